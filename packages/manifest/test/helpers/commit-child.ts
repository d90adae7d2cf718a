// Child process for the crash test: loads a state from a JSON file, says "ready", waits for a
// line on stdin, then commits it. The parent SIGKILLs it at a random moment after "go".
import { commitState, type StateSnapshot } from '@mos/manifest';
import { readFileSync } from 'node:fs';

const [configDir, stateFile] = process.argv.slice(2);
const raw = JSON.parse(readFileSync(stateFile, 'utf8'));
const state: StateSnapshot = {
  system: raw.system,
  installs: raw.installs.map((i: Record<string, string>) => ({
    sha256: i.sha256,
    json: Buffer.from(i.json, 'base64'),
    signature: Buffer.from(i.signature, 'base64'),
    certificate: Buffer.from(i.certificate, 'base64'),
  })),
};
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  const oid = await commitState({ configDir, state, message: 'System upgrade' });
  process.stdout.write(`done ${oid}\n`);
  process.exit(0);
});
