import type { CommandSpec } from '@mos/trust/cli';
import { required } from '@mos/trust/cli';
import { RegistryServer } from '@mos/oci-store/server';
import { jsonOption } from '../cli/options';

/**
 * `mosctl serve --root DIR`: our registry (distribution API v1.1 with referrers) over a
 * zot-shaped store root, until SIGINT/SIGTERM. Loopback by default.
 */
export const serveCommand: CommandSpec = {
  words: ['serve'],
  summary: 'serve a store root as an OCI registry (distribution API v1.1 incl. referrers); loopback by default',
  args: '--root DIR [--addr HOST:PORT] [--tls-cert F --tls-key F] [--htpasswd F]',
  positionals: [0, 0],
  options: {
    root: { type: 'string', arg: 'DIR', help: 'store root: DIR/<repo>/ are OCI layouts (created if missing)' },
    addr: { type: 'string', arg: 'HOST:PORT', help: 'listen address (default 127.0.0.1:5000; port 0 picks one)' },
    'tls-cert': { type: 'string', arg: 'F', help: 'serve https with this PEM certificate' },
    'tls-key': { type: 'string', arg: 'F', help: 'the PEM key of --tls-cert' },
    htpasswd: { type: 'string', arg: 'F', help: 'require Basic auth (htpasswd: {SHA}, $apr1$, $1$, $5$, $6$; not bcrypt)' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const server = await RegistryServer.start({
      root: required(values, 'root'),
      addr: values.addr as string | undefined,
      tlsCert: values['tls-cert'] as string | undefined,
      tlsKey: values['tls-key'] as string | undefined,
      htpasswd: values.htpasswd as string | undefined,
    });
    const url = `${server.tls ? 'https' : 'http'}://${server.address}`;
    out(values.json ? JSON.stringify({ address: server.address, url, root: values.root }) + '\n' : `serving ${values.root} at ${url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
  },
};
