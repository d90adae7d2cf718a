// The e2e run boots nsgroup containers, for which mos reserves root's subordinate id ranges in
// /etc/subuid and /etc/subgid; the teardown removes what this run added.
import { preserveSubids } from '@mos/test-utils';

export default async function setup(): Promise<void> {
  (globalThis as { __MOS_E2E_SUBIDS__?: () => void }).__MOS_E2E_SUBIDS__ = preserveSubids();
}
