import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LayoutRoot } from '../layout/layout-root';
import type { UploadSessions } from './uploads';

/** What every handler gets. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  root: LayoutRoot;
  uploads: UploadSessions;
  /** Repository name from the path (already validated by the router). */
  repo: string;
  /** Verify blob content while serving full GETs (a corrupt blob aborts the response). */
  verifyOnServe: boolean;
  /**
   * Blobs verified while serving, keyed by digest → `ino:size:mtime:ctime` of the file then:
   * an unchanged file is not hashed again on the next GET.
   */
  verified: Map<string, string>;
}
