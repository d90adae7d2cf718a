import { runAsync } from './run';

/** `skopeo copy` with TLS verification off for loopback registries (plain http); async, so it may talk to an in-process server. */
export async function skopeoCopy(src: string, dst: string, extra: string[] = []): Promise<string> {
  return (await runAsync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra, src, dst])).stdout;
}
