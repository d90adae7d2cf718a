// Sample manifests in the shapes of the original's tests (mos-original.md §2.12).
export const PRODUCT = 'de6c82c5-2e01-4c92-949b-a6545d30fc06';
export const DIGEST_A = 'sha256:' + 'a'.repeat(64);
export const DIGEST_B = 'sha256:' + 'b'.repeat(64);

export function target(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service_name: 'hostfs',
    version: '1.0.0',
    service_type: 'hostfs',
    network: { type: 'host', ipv4: '', ipv6: '', ports: null },
    nsgroup: '',
    digest: DIGEST_A,
    storage: null,
    size: 528,
    ...over,
  };
}

export function install(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: 1, product: PRODUCT, storage: null, targets: [target()], update_type: 'complete', ...over };
}
