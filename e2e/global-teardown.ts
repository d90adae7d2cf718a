export default async function teardown(): Promise<void> {
  (globalThis as { __MOS_E2E_SUBIDS__?: () => void }).__MOS_E2E_SUBIDS__?.();
}
