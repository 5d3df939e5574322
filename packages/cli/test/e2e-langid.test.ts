/**
 * The built `liftwing` with @liftwing/langid offline: the engine's lid201-labelled fastText
 * fixture, under a name of its own, recorded with `cache add` as the pinned version (as
 * `lid201-model.bin`), then `predict --offline` and `serve --offline` answer with what Lift
 * Wing's server code answers (`packages/langid/test/fixtures/expected.json`), asking no server.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoopbackServer, startLoopbackServer } from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ROOT, runCli, startServe } from './helpers/run-cli.js';

const PACKAGES = join(CLI_ROOT, '..');
const FIXTURE = join(PACKAGES, 'fasttext', 'test', 'fixtures', 'subwords', 'softmax-2-5.bin');
/** The version @liftwing/langid pins (its src/model-pin.json). */
const PINNED = (
  JSON.parse(await readFile(join(PACKAGES, 'langid', 'src', 'model-pin.json'), 'utf8')) as {
    version: string;
  }
).version;

interface Case {
  body: Record<string, unknown>;
  status: number;
  response?: unknown;
  error?: string;
}
const expected = JSON.parse(
  await readFile(join(PACKAGES, 'langid', 'test', 'fixtures', 'expected.json'), 'utf8'),
) as { cases: Case[] };
const answered = expected.cases.filter((c) => c.status === 200);
const refused = expected.cases.filter((c) => c.status === 400);
/** Some texts of each kind: scripts, emoji, whitespace only, newlines, beyond the length cut. */
const SAMPLE = [
  answered.find((c) => (c.body.text as string).trim() === '')!,
  answered.find((c) => (c.body.text as string).includes('\n'))!,
  answered.find((c) => Array.from(c.body.text as string).length > 100)!,
  ...answered.filter((_, i) => i % 16 === 5),
];

let dir: string;
let servers: LoopbackServer[];
let env: Record<string, string>;
const running: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-e2e-langid-'));
  // Every server liftwing could ask: none may see a request.
  servers = await Promise.all([0, 1].map(() => startLoopbackServer(() => ({ status: 500 }))));
  env = {
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_MODELS_URL: `${servers[0]!.url}/`,
    LIFTWING_API_URL: `${servers[1]!.url}/v1/models/`,
    LIFTWING_USER_AGENT: 'liftwing-tests/1.0 (test@example.org)',
    LIFTWING_WORKERS: '2',
  };
  const mine = join(dir, 'my-openlid.bin');
  await copyFile(FIXTURE, mine);
  const added = await runCli(['cache', 'add', `langid@${PINNED}`, mine], env);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  expect(added.stdout).toMatch(
    new RegExp(
      `^Added langid@${PINNED} \\(\\d+(\\.\\d+)? kB\\) at .*, recorded as lid201-model\\.bin ` +
        `\\(the name langid loads it by; the file was my-openlid\\.bin\\)\\.\\n` +
        `Use it: liftwing predict langid@${PINNED} --offline`,
    ),
  );
});

afterEach(() => {
  for (const proc of running.splice(0)) if (proc.exitCode === null) proc.kill('SIGKILL');
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(dir, { recursive: true, force: true });
});

const seen = () => servers.map((server) => server.requests.length);

describe('langid offline from the command line', () => {
  it('predict --offline --text answers with Lift Wing JSON, asking no one', async () => {
    for (const c of SAMPLE) {
      const run = await runCli(
        ['predict', 'langid', '--offline', '--text', c.body.text as string],
        env,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toStrictEqual(c.response);
    }
    expect(seen()).toEqual([0, 0]);
  }, 90_000);

  it('serve --offline --models langid answers every body as the server does', async () => {
    const server = await startServe(['--offline', '--models', 'langid'], env, running);
    const answers = await Promise.all(
      [...answered, ...refused].map((c) => server.post('langid', c.body)),
    );
    [...answered, ...refused].forEach((c, i) => {
      const { status, text } = answers[i]!;
      expect({ status, body: JSON.parse(text) }).toStrictEqual(
        c.status === 200
          ? { status: 200, body: c.response }
          : { status: 400, body: { error: c.error } },
      );
    });
    expect(await server.stop()).toBe(0);
    expect(seen()).toEqual([0, 0]);
  });

  it('cache add of a version of your own records the file under the published name', async () => {
    const other = join(dir, 'retrained.bin');
    await copyFile(FIXTURE, other);
    const added = await runCli(['cache', 'add', 'langid@local-1', other], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(', recorded as lid201-model.bin (the name langid loads it by');
    const run = await runCli(
      ['predict', 'langid@local-1', '--offline', '--text', SAMPLE[3]!.body.text as string],
      env,
    );
    expect(JSON.parse(run.stdout)).toStrictEqual(SAMPLE[3]!.response);
    // outlink's file is model.bin; a file already so named says only that.
    const outlink = await runCli(['cache', 'add', 'outlink@local-1', other, '--json'], env);
    expect(JSON.parse(outlink.stdout)).toMatchObject({ files: ['model.bin'] });
    const named = join(dir, 'model.bin');
    await copyFile(FIXTURE, named);
    const plain = await runCli(['cache', 'add', 'outlink@local-2', named], env);
    expect(plain.stdout).toMatch(/, recorded as model\.bin\.\n/);
    expect(seen()).toEqual([0, 0]);
  });
});
