import { join } from 'node:path';
import { LayoutStore, MemoryStore, RegistryClient, RemoteRepository } from '@mos/oci-store';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry';
import { startOurServer } from '../helpers/our-server';
import { tempDirs } from '../helpers/tmp';
import { describeStore } from './describe-store';

const dirs = tempDirs();
let reg: DockerRegistry;
let ours: Awaited<ReturnType<typeof startOurServer>>;
const clients: RegistryClient[] = [];
let n = 0;

beforeAll(async () => {
  [reg, ours] = await Promise.all([startDockerRegistry(), startOurServer()]);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([reg?.stop(), ours?.stop()]);
  dirs.cleanup();
});

function remote(host: string) {
  const c = new RegistryClient(host);
  clients.push(c);
  return new RemoteRepository(c, `conformance/r${++n}`);
}

describeStore('MemoryStore', async () => new MemoryStore());
describeStore('LayoutStore', async () => LayoutStore.open(join(dirs.make(), 'l'), { create: true }));
describeStore('RemoteRepository → our server', async () => remote(ours.host));
describeStore('RemoteRepository → docker-registry (referrers via tag fallback)', async () => remote(reg.host));
