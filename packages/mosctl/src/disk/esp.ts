import { MosctlError } from '../errors';
import { realDiskSys, type DiskSys } from './sys';

/** Where the boot files go on the ESP (the removable-media path firmware boots by default). */
export const ESP_BOOT_DIR = 'EFI/BOOT';

const MTOOLS_ENV = { MTOOLS_SKIP_CHECK: '1' };
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Copies `files` into `EFI/BOOT/` of the FAT filesystem on `device` with mtools, each to a
 * temp name first and then renamed over the final one. mtools writes the filesystem directly,
 * so the ESP is never mounted: a kernel without vfat (like this CI kernel, or a minimal
 * installer) can still install. Returns the paths written, relative to the ESP.
 */
export async function writeEspFiles(device: string, files: { name: string; path: string }[], sys: DiskSys = realDiskSys): Promise<string[]> {
  for (const f of files) {
    if (!SAFE_NAME.test(f.name)) throw new MosctlError('ERR_MOSCTL_INVALID', `boot file name "${f.name}" is not a plain file name`, { details: { name: f.name } });
  }
  const run = (tool: string, args: string[], allowFail = false) => sys.run(tool, ['-i', device, ...args], { env: MTOOLS_ENV, allowFail });
  // Existing directories are fine (-D s: skip a name clash).
  await run('mmd', ['-D', 's', '::/EFI'], true);
  await run('mmd', ['-D', 's', `::/${ESP_BOOT_DIR}`], true);
  const written: string[] = [];
  for (const f of files) {
    const tmp = `::/${ESP_BOOT_DIR}/${f.name}.tmp`;
    await run('mcopy', ['-o', f.path, tmp]);
    await run('mmove', ['-D', 'o', tmp, `::/${ESP_BOOT_DIR}/${f.name}`]);
    written.push(`${ESP_BOOT_DIR}/${f.name}`);
  }
  return written;
}
