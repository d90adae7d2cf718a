import type { CommandSpec } from '@mos/trust/cli';
import { createBootFsCommand } from '../commands/create-boot-fs';
import { installCommand } from '../commands/install';
import { mountCommand, umountCommand } from '../commands/mount';
import { publishCommand } from '../commands/publish';
import { statusCommand } from '../commands/status';
import { switchCommand, updateCommand } from '../commands/update';
import { gcCommand } from '../commands/gc';
import { rollbackCommand } from '../commands/rollback';
import { confirmCommand } from '../commands/confirm';
import { serveCommand } from '../commands/serve';
import { apiServeCommand } from '../commands/api-serve';
import { storeCopyCommand } from '../commands/store-copy';
import { storeFsckCommand } from '../commands/store-fsck';
import { storeGcCommand } from '../commands/store-gc';
import { storeInspectCommand } from '../commands/store-inspect';
import { storeLsCommand } from '../commands/store-ls';
import { activateCommand } from '../commands/activate';
import { bootCommand } from '../commands/boot';
import { deactivateCommand } from '../commands/deactivate';
import { servicesCommand } from '../commands/services';
import { superviseCommand } from '../commands/supervise';
import { initrdBuildCommand } from '../commands/initrd-build';
import { initrdHooksCommand } from '../commands/initrd-hooks';
import { bootkitBuildCommand } from '../commands/bootkit-build';

/**
 * The commands of each bin. Each command lives in `src/commands/<name>.ts` and is thin: parse,
 * validate, open the root, call one library function, render text or `--json`.
 */
export const MOSCTL_COMMANDS: CommandSpec[] = [installCommand, mountCommand, umountCommand, createBootFsCommand, updateCommand, switchCommand, rollbackCommand, confirmCommand, gcCommand, statusCommand,
  storeCopyCommand, storeLsCommand, storeInspectCommand, storeFsckCommand, storeGcCommand, serveCommand, apiServeCommand,
  bootCommand, activateCommand, deactivateCommand, servicesCommand, superviseCommand];

export const MOSB_COMMANDS: CommandSpec[] = [publishCommand, initrdBuildCommand, initrdHooksCommand, bootkitBuildCommand];
