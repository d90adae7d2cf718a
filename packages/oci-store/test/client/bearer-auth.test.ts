// Bearer auth: docker-registry configured with a token realm served by this test (RS256 JWT,
// x5c), credentials from --creds and from a docker-style config.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore, MediaType, copy, credentialResolver } from '@mos/oci-store';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry';
import { buildImage } from '../helpers/image';
import { startTokenRealm } from '../helpers/token-realm';
import { skopeoCopy } from '../helpers/skopeo';
import { tempDirs } from '../helpers/tmp';

const dirs = tempDirs();
let realm: Awaited<ReturnType<typeof startTokenRealm>>;
let reg: DockerRegistry;
beforeAll(async () => {
  realm = await startTokenRealm(dirs.make());
  reg = await startDockerRegistry({ auth: realm.registryAuth });
});
afterAll(async () => {
  await reg?.stop();
  await realm?.stop();
  dirs.cleanup();
});

describe('Bearer token auth against docker-registry', () => {
  it('anonymous is refused; --creds gets a token for pull,push; config.json credentials pull', async () => {
    const src = join(dirs.make(), 'src');
    const s = await LayoutStore.open(src, { create: true });
    const img = await buildImage(s, { layerMediaType: MediaType.StackerSquashfsZstdVerity });
    await s.tag(img.manifest, 'v1');

    await expect(copy(`oci:${src}:v1`, `docker://${reg.host}/mos:v1`)).rejects.toMatchObject({ code: 'ERR_OCI_COPY_FAILED', cause: { code: 'ERR_OCI_REGISTRY_AUTH' } });
    await expect(copy(`oci:${src}:v1`, `docker://${reg.host}/mos:v1`, { creds: 'user:wrong' })).rejects.toMatchObject({ code: 'ERR_OCI_COPY_FAILED', cause: { code: 'ERR_OCI_REGISTRY_AUTH' } });

    const pushed = await copy(`oci:${src}:v1`, `docker://${reg.host}/mos:v1`, { creds: 'user:pass' });
    expect(pushed.manifest.digest).toBe(img.manifest.digest);
    expect(realm.requests.some((r) => r.user === 'user' && r.scopes.includes('repository:mos:pull,push'))).toBe(true);

    const cfgDir = dirs.make();
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('user:pass').toString('base64') } } }));
    const dst = join(dirs.make(), 'dst');
    const pulled = await copy(`docker://${reg.host}/mos:v1`, `oci:${dst}:v1`, { credentials: credentialResolver({ env: { DOCKER_CONFIG: cfgDir } }) });
    expect(pulled.manifest.digest).toBe(img.manifest.digest);

    // skopeo, with the same realm, reads what we pushed.
    const sk = join(dirs.make(), 'sk');
    await skopeoCopy(`docker://${reg.host}/mos:v1`, `oci:${sk}:v1`, ['--src-creds', 'user:pass']);
    expect((await (await LayoutStore.open(sk)).resolve('v1')).digest).toBe(img.manifest.digest);
  });
});
