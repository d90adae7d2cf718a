import type { ApiRole } from '@mos/trust';
import { serviceStatus } from '@mos/services';
import { confirm } from '../ops/confirm';
import { gc } from '../ops/gc';
import { rollbackAndActivate, updateAndActivate } from '../ops/state-changes';
import { status } from '../ops/status';
import { checkFields, HttpError } from './request';

/** What an operation gets: the root it serves and the request's JSON body (`{}` for GET). */
export interface OperationContext {
  root: string;
  manifestCa?: string;
  supervisorCommand: (root: string) => string[];
  body: Record<string, unknown>;
}

/** One `/v1/…` operation: the least role that may call it (given its body) and what it runs. */
export interface Operation {
  method: 'GET' | 'POST';
  path: string;
  role: (body: Record<string, unknown>) => ApiRole;
  /** Written to the audit log. */
  mutating: boolean;
  run(ctx: OperationContext): Promise<unknown>;
}

type UpdateBody = { url: string; check: boolean; downloadOnly: boolean; apply: boolean; activate: boolean };
type RollbackBody = { to: string; reason: string; activate: boolean };
type GcBody = { keep: number; dryRun: boolean };

/**
 * The operations of the API, each the very function the CLI runs and the document its `--json`
 * prints (DESIGN: one operation, two front ends). Reading is `reader`; checking for an update is
 * `operator`; changing the state is `admin`.
 */
export const OPERATIONS: Operation[] = [
  { method: 'GET', path: '/v1/status', role: () => 'reader', mutating: false, run: (c) => status({ root: c.root, manifestCa: c.manifestCa }) },
  { method: 'GET', path: '/v1/services', role: () => 'reader', mutating: false, run: async (c) => serviceStatus({ root: c.root }) },
  {
    method: 'POST',
    path: '/v1/update',
    role: (b) => (b.check === true ? 'operator' : 'admin'),
    mutating: true,
    async run(c) {
      const b = checkFields<UpdateBody>(c.body, { url: 'string', check: 'boolean', downloadOnly: 'boolean', apply: 'boolean', activate: 'boolean' });
      if (b.apply && (b.url !== undefined || b.check || b.downloadOnly)) throw new HttpError(400, 'ERR_API_BAD_FIELD', '"apply" applies what is staged: give no "url", "check" or "downloadOnly" with it');
      const common = { root: c.root, manifestCa: c.manifestCa, activate: b.activate !== false, supervisorCommand: c.supervisorCommand };
      const r = b.apply ? await updateAndActivate({ ...common, apply: true }) : await updateAndActivate({ ...common, url: b.url, check: b.check, downloadOnly: b.downloadOnly });
      return r.document;
    },
  },
  {
    method: 'POST',
    path: '/v1/rollback',
    role: () => 'admin',
    mutating: true,
    async run(c) {
      const b = checkFields<RollbackBody>(c.body, { to: 'string', reason: 'string', activate: 'boolean' });
      return (await rollbackAndActivate({ root: c.root, manifestCa: c.manifestCa, to: b.to, reason: b.reason, activate: b.activate !== false, supervisorCommand: c.supervisorCommand })).document;
    },
  },
  {
    method: 'POST',
    path: '/v1/confirm',
    role: () => 'admin',
    mutating: true,
    async run(c) {
      checkFields(c.body, {});
      const r = await confirm({ root: c.root, by: 'hand' });
      return { root: r.root, commit: r.commit, confirmed: r.confirmed, pending: r.pending };
    },
  },
  {
    method: 'POST',
    path: '/v1/gc',
    role: () => 'admin',
    mutating: true,
    async run(c) {
      const b = checkFields<GcBody>(c.body, { keep: 'integer', dryRun: 'boolean' });
      return gc({ root: c.root, keep: b.keep, dryRun: b.dryRun });
    },
  },
];
