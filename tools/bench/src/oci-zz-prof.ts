import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copy } from '@mos/oci-store';
import { dockerRegistry, makeImage, sh, timed } from './oci-lib';
function childCpu(): number { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (Number(f[13]) + Number(f[14])) / 100; }
(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  const reg = await dockerRegistry();
  const regPid = Number(execFileSync('pgrep', ['-n', 'docker-registry']).toString());
  const regCpu = () => { const f = readFileSync(`/proc/${regPid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
  try {
    await makeImage(join(dir, 'src'), 10, 30);
    await sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(dir, 'src')}:v1`, `docker://${reg.host}/b:v1`]);
    for (let i = 0; i < 3; i++) {
      const a = join(dir, `a${i}`);
      const c = process.cpuUsage(); const r0 = regCpu();
      const t = await timed(() => copy(`docker://${reg.host}/b:v1`, `oci:${a}:v1`));
      const d = process.cpuUsage(c);
      console.log('ours ms', t.toFixed(0), 'cpu', ((d.user + d.system) / 1000).toFixed(0), 'registry cpu', ((regCpu() - r0) * 1000).toFixed(0));
      rmSync(a, { recursive: true }); execFileSync('sync');
      const c2 = childCpu(); const r1 = regCpu();
      const t2 = await timed(() => sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/b:v1`, `oci:${a}:v1`]));
      console.log('skopeo ms', t2.toFixed(0), 'cpu', ((childCpu() - c2) * 1000).toFixed(0), 'registry cpu', ((regCpu() - r1) * 1000).toFixed(0));
      rmSync(a, { recursive: true }); execFileSync('sync');
    }
  } finally { await reg.stop(); rmSync(dir, { recursive: true, force: true }); }
})();
