/**
 * The CLI in a child process with fake model packages, for tests that need signals or a kill:
 * `node --import tsx test/helpers/child.ts <liftwing arguments>`. The model prints `handling` on
 * stdout each time a request reaches it, and takes CHILD_HANDLE_MS (default 0) to answer it, so
 * that a test can stop it mid-run.
 */
import { run } from '../../src/cli.js';
import { FakeModel, fakeDeps } from './fakes.js';

const { deps } = fakeDeps(
  {},
  (name, mode) =>
    new FakeModel(name, mode, null, {
      onHandle: () => process.stdout.write('handling\n'),
      delayMs: Number(process.env.CHILD_HANDLE_MS ?? 0),
    }),
);

process.exitCode = await run(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
  deps,
);
