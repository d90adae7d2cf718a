import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryServer, type ServeOptions } from '@mos/oci-store/server';

/** Our registry server on a free loopback port with a temp root; `stop()` closes and removes it. */
export async function startOurServer(opts: Partial<ServeOptions> = {}) {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'mos-registry-'));
  const server = await RegistryServer.start({ addr: '127.0.0.1:0', ...opts, root });
  return {
    host: server.address,
    root,
    server,
    async stop() {
      await server.close();
      if (!opts.root) rmSync(root, { recursive: true, force: true });
    },
  };
}
