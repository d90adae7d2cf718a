import { serviceStatus, type ServiceStatus } from '@mos/services';

/**
 * Polls until `fn` returns something truthy. The limit is a hang guard (a broken service
 * would otherwise hang the suite), never a performance assertion.
 */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, guardMs = 120_000): Promise<NonNullable<T>> {
  const end = Date.now() + guardMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The status row of one service (undefined when not listed). */
export const svc = (root: string, name: string): ServiceStatus | undefined => serviceStatus({ root }).services.find((s) => s.name === name);

/** Waits until service `name` satisfies `pred`. */
export const waitService = (root: string, name: string, what: string, pred: (s: ServiceStatus) => boolean) =>
  waitFor(`${name}: ${what}`, () => {
    const s = svc(root, name);
    return s && pred(s) ? s : undefined;
  });
