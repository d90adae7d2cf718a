/**
 * Polls `check` until it returns a truthy value. The bound is a hang guard for a service that
 * never comes up (the test then fails saying what it waited for), not a performance assertion.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, guardMs = 60_000): Promise<T> {
  const end = Date.now() + guardMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
