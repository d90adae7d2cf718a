// The supervisor process of the tests (what `mosctl supervise --rfs R` runs), started by
// ensureSupervisor through tsx so the tests need no build.
import { runSupervisor } from '@mos/services';

async function main(): Promise<void> {
  const root = process.argv[2];
  const h = await runSupervisor({ root, handleSignals: true });
  process.stdout.write(`supervisor ${process.pid} serving ${root}\n`);
  await h.done;
  process.stdout.write(`supervisor ${process.pid} stopped\n`);
}

main().catch((e) => {
  process.stderr.write(`supervisor: ${(e as Error).message}\n`);
  process.exit(1);
});
