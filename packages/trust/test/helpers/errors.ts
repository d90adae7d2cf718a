import { TrustError, type TrustErrorCode } from '@mos/trust';

/**
 * The TrustError `fn` throws (sync or async). Fails the test when it throws nothing or
 * something that is not a TrustError, so assertions can go on `code` and `check`.
 */
export async function trustErrorOf(fn: () => unknown): Promise<TrustError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw new Error(`expected a TrustError, got ${(e as Error)?.stack ?? String(e)}`);
  }
  throw new Error('expected a TrustError, but nothing was thrown');
}

/** Same, for synchronous code. */
export function trustErrorOfSync(fn: () => unknown): TrustError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw new Error(`expected a TrustError, got ${(e as Error)?.stack ?? String(e)}`);
  }
  throw new Error('expected a TrustError, but nothing was thrown');
}

/** `{ code, check }` of a TrustError: what tests compare against. */
export const codeAndCheck = (e: TrustError): { code: TrustErrorCode; check: string } => ({ code: e.code, check: e.check });
