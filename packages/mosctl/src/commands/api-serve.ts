import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec } from '@mos/trust/cli';
import { UsageError } from '@mos/trust/cli';
import { startApiServer } from '../api/server';
import { caOf, caOptions, jsonOption, rootOf, rootOptions } from '../cli/options';
import { MosctlError } from '../errors';
import { supervisorCommand } from './supervise';

/** Where a machine keeps its API identity (mos-original §2.7: the SUDI is the TLS server identity). */
const secure = (root: string, f: string) => join(root, 'factory', 'secure', f);

export const apiServeCommand: CommandSpec = {
  words: ['api', 'serve'],
  summary: 'answer authenticated API calls: HTTPS with mutual TLS (--listen) and a root-only unix socket',
  args: '[-r R] [--listen HOST:PORT] [--socket PATH | --no-socket] [--server-cert F --server-key F --client-ca F] [--json]',
  positionals: [0, 0],
  options: {
    ...rootOptions,
    ...caOptions,
    listen: { type: 'string', arg: 'HOST:PORT', help: 'serve HTTPS with mutual TLS here (port 0 picks one); without it, only the unix socket' },
    socket: { type: 'string', arg: 'PATH', help: 'unix socket (default R/run/mos/api.sock, mode 0600)' },
    'no-socket': { type: 'boolean', help: 'no unix socket' },
    'server-cert': { type: 'string', arg: 'F', help: "the machine's TLS certificate (default R/factory/secure/server.crt, its SUDI)" },
    'server-key': { type: 'string', arg: 'F', help: 'its key (default R/factory/secure/server.key)' },
    'client-ca': { type: 'string', arg: 'F', help: 'CA of the API clients (default R/factory/secure/api-ca.pem; F.revoked is honoured)' },
    ...jsonOption,
  },
  async run({ values, out }) {
    const root = rootOf(values);
    if (values.socket && values['no-socket']) throw new UsageError('--socket and --no-socket exclude each other');
    const listen = values.listen as string | undefined;
    let tls;
    if (listen !== undefined) {
      const m = /^(.+):(\d{1,5})$/.exec(listen);
      if (!m || Number(m[2]) > 65535) throw new UsageError(`--listen ${JSON.stringify(listen)} is not HOST:PORT`);
      const files = { cert: (values['server-cert'] as string) ?? secure(root, 'server.crt'), key: (values['server-key'] as string) ?? secure(root, 'server.key'), clientCa: (values['client-ca'] as string) ?? secure(root, 'api-ca.pem') };
      for (const [what, f] of Object.entries(files)) {
        if (!existsSync(f)) throw new MosctlError('ERR_MOSCTL_NOT_FOUND', `${f} (${what}) does not exist: HTTPS needs the machine's certificate and key (its SUDI, trust sudi add) and the API client CA (trust keyset add makes api-ca)`);
      }
      tls = { cert: readFileSync(files.cert), key: readFileSync(files.key), clientCa: files.clientCa, host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
    }
    const socket = values['no-socket'] ? undefined : ((values.socket as string) ?? join(root, 'run', 'mos', 'api.sock'));
    if (!tls && !socket) throw new UsageError('nothing to serve: give --listen, or keep the unix socket');
    const server = await startApiServer({ root, manifestCa: caOf(values), supervisorCommand, tls, socket, log: (l) => process.stderr.write(`mosctl api: ${l}\n`) });
    const where = { tcp: server.tcp, socket: server.socket };
    out(values.json ? JSON.stringify(where) + '\n' : `serving the API of ${root}${server.tcp ? ` on https://${server.tcp.host}:${server.tcp.port}` : ''}${server.socket ? ` and ${server.socket}` : ''}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
  },
};
