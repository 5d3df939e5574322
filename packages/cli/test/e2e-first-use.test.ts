/**
 * First use of an offline model with the built `liftwing` and every model package it has as a
 * devDependency: `--offline` downloads what is missing (as the library does), `--no-download` and
 * `LIFTWING_OFFLINE=1` never do, and `serve --offline` without `--models` serves what can run
 * here. The built-in catalogue is used as published, with its model tree on a loopback fake that
 * serves outlink's and langid's pinned versions (fastText fixtures of @liftwing/fasttext); the
 * gateway and MediaWiki fakes must see no request at all.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactServer,
  type LoopbackServer,
  PUBLISHED_ROOT,
  startArtifactServer,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ROOT, runCli, startCli, startServe } from './helpers/run-cli.js';

const FASTTEXT = join(CLI_ROOT, '..', 'fasttext', 'test', 'fixtures');
/** The version @liftwing/outlink pins, where the catalogue says the tree has it. */
const PINNED = '20221111111111';
const ARTIFACT = `${PUBLISHED_ROOT}articletopic/outlink/${PINNED}/model.bin`;
/** The version @liftwing/langid pins, and the engine's fixture with lid201 labels in its place. */
const LANGID_PINNED = '20231011160342';
const LANGID_ARTIFACT = `${PUBLISHED_ROOT}llm/langid/${LANGID_PINNED}/lid201-model.bin`;
const LANGID_MODEL = join(FASTTEXT, 'subwords', 'softmax-2-5.bin');
const FEATURES = (
  JSON.parse(await readFile(join(FASTTEXT, 'expected.json'), 'utf8')) as {
    texts: string[];
  }
).texts[32]!;
const PREDICT = [
  'predict',
  'outlink',
  '--lang',
  'en',
  '--page-title',
  'Test_page',
  '--features',
  FEATURES,
  '--debug',
];

let dir: string;
let tree: ArtifactServer;
let gateway: LoopbackServer;
let mediawiki: LoopbackServer;
let base: Record<string, string>;
let caches = 0;
const running: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-e2e-first-use-'));
  tree = await startArtifactServer({
    [ARTIFACT]: await readFile(join(FASTTEXT, 'ova.bin')),
    [LANGID_ARTIFACT]: await readFile(LANGID_MODEL),
  });
  gateway = await startLoopbackServer(() => ({ status: 500, body: {} }));
  mediawiki = await startLoopbackServer(() => ({ status: 500, body: {} }));
  base = {
    LIFTWING_MODELS_URL: tree.url,
    LIFTWING_API_URL: `${gateway.url}/v1/models/`,
    LIFTWING_MW_API_URL: `${mediawiki.url}/w/api.php`,
    LIFTWING_USER_AGENT: 'liftwing-tests/1.0 (test@example.org)',
  };
});

afterEach(() => {
  for (const proc of running.splice(0)) if (proc.exitCode === null) proc.kill('SIGKILL');
  // --offline never reaches the Lift Wing gateway; features_str spares MediaWiki.
  expect(gateway.requests).toEqual([]);
  expect(mediawiki.requests).toEqual([]);
});

afterAll(async () => {
  await Promise.all([tree.close(), gateway.close(), mediawiki.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** The environment with a cache of its own, empty. */
const freshEnv = (extra: Record<string, string> = {}) => ({
  ...base,
  LIFTWING_CACHE_DIR: join(dir, `cache-${++caches}`),
  ...extra,
});

const downloads = () => tree.requests.filter((request) => request.path === ARTIFACT).length;

/** The progress lines of a run, with the rate left out, which differs from run to run. */
const progressLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('outlink-topic-model model.bin: '))
    .map((line) => line.replace(/\d+(\.\d+)? [kMGT]?B\/s$/, '<rate>'));

describe('predict --offline on first use', () => {
  it('downloads the model with the progress pull shows on stderr, answers on stdout, then runs from the cache', async () => {
    const env = freshEnv();
    const first = await runCli([...PREDICT, '--offline'], env);
    expect(first.code).toBe(0);
    const lines = first.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^outlink-topic-model model\.bin: \d+% {2}\d/);
    expect(lines.at(-1)).toBe(
      `outlink-topic-model@${PINNED}: 1 file(s), 87.1 kB downloaded, verified`,
    );
    const answer = JSON.parse(first.stdout) as {
      prediction: { article: string; results: { topic: string; score: number }[] };
    };
    expect(answer.prediction.article).toBe('https://en.wikipedia.org/wiki/Test_page');
    expect(answer.prediction.results.length).toBeGreaterThan(0);
    expect(downloads()).toBe(1);

    // The progress lines are pull's own. Which 10 % steps get a line depends on how the socket
    // cut the body into reads, so the runs are compared by their form and their last line.
    const pulled = await runCli(['pull', 'outlink'], freshEnv());
    expect(pulled.code).toBe(0);
    const line = /^outlink-topic-model model\.bin: \d+0% {2}[\d.]+ k?B \/ 87\.1 kB {2}<rate>$/;
    for (const run of [first, pulled]) {
      const progress = progressLines(run.stderr);
      expect(progress.length).toBeGreaterThan(0);
      for (const each of progress) expect(each).toMatch(line);
      expect(progress.at(-1)).toBe(
        'outlink-topic-model model.bin: 100%  87.1 kB / 87.1 kB  <rate>',
      );
    }
    expect(downloads()).toBe(2);

    // Cached now: the same answer, not a byte downloaded, not a line on stderr; downloads off too.
    for (const extra of [[], ['--no-download']]) {
      const again = await runCli([...PREDICT, '--offline', ...extra], env);
      expect(again).toEqual({ code: 0, stdout: first.stdout, stderr: '' });
    }
    expect(downloads()).toBe(2);
  });

  it('fails at once with LIFTWING_OFFLINE=1 or --no-download, naming liftwing pull, asking no server', async () => {
    const before = tree.requests.length;
    const env = freshEnv();
    const cases = [
      [
        [...PREDICT],
        { ...env, LIFTWING_OFFLINE: '1' },
        'LIFTWING_OFFLINE',
        'unset LIFTWING_OFFLINE',
      ],
      [[...PREDICT, '--offline', '--no-download'], env, '--no-download', 'drop --no-download'],
      [
        ['serve', '--offline', '--no-download', '--models', 'outlink'],
        env,
        '--no-download',
        'drop --no-download',
      ],
    ] as const;
    for (const [args, caseEnv, by, undo] of cases) {
      expect(await runCli(args, caseEnv)).toEqual({
        code: 1,
        stdout: '',
        stderr:
          `liftwing: outlink@${PINNED} is not in the cache (${env.LIFTWING_CACHE_DIR}), and ${by} ` +
          'keeps liftwing from downloading it. Fetch it first: liftwing pull outlink ' +
          `(or ${undo} to download it on first use).\n`,
      });
    }
    expect(tree.requests.length).toBe(before);
  });
});

describe('serve --offline without --models, every model package installed', () => {
  it('downloads and serves outlink and langid, and says which models it skipped and why', async () => {
    const env = freshEnv();
    const server = startCli(['serve', '--port', '0', '--offline'], env, { running });
    const [, url, served] = await server.until(
      'stderr',
      /liftwing serve: listening on (\S+) \(offline: (.*)\)\n/,
    );
    expect(served).toBe('outlink-topic-model, langid');
    const skipped = server.out.stderr.slice(
      server.out.stderr.indexOf('liftwing serve: not serving'),
    );
    const lines = skipped.split('\n');
    expect(lines[0]).toMatch(/^liftwing serve: not serving \d+ installed model\(s\) offline:$/);
    const reasons = new Map(
      lines
        .slice(1)
        // The skipped models' lines, indented; the listening and playground lines follow them.
        .filter((line) => line.startsWith('  '))
        .map((line) => line.match(/^ {2}(\S+): (.*)$/)!)
        .map(([, model, reason]) => [model!, reason!]),
    );
    // The published revert risk model is a pickle: refused before a byte of it is downloaded.
    expect(reasons.get('revertrisk-language-agnostic')).toMatch(
      /^revertrisk@20231117132654 is published as model\.pkl \(python-pickle\).*cannot run in Node\. Convert model\.pkl.*npx liftwing-convert-revertrisk/,
    );
    for (const model of ['revertrisk-multilingual', 'revertrisk-wikidata', 'edit-check']) {
      expect(reasons.get(model)).toBe('online only');
    }
    // The 109 revscoring models, online only, in one line.
    expect(reasons.get('@liftwing/revscoring')).toMatch(
      /^\d{3} models \(.*, \.\.\.\): online only$/,
    );
    expect(server.out.stderr).toMatch(/^outlink-topic-model model\.bin: \d+%/);
    expect(downloads()).toBeGreaterThan(0);

    expect(await (await fetch(`${url}/v1/models`)).json()).toEqual({
      models: ['outlink-topic-model', 'langid'],
    });
    const langid = await fetch(`${url}/v1/models/langid:predict`, {
      method: 'POST',
      body: JSON.stringify({ text: 'ann' }),
    });
    const offline = await runCli(['predict', 'langid', '--offline', '--text', 'ann'], env);
    expect({ status: langid.status, text: await langid.text() }).toEqual({
      status: 200,
      text: offline.stdout.trimEnd(),
    });
    expect(tree.requests.filter((r) => r.path === LANGID_ARTIFACT)).toHaveLength(1);
    const body = { lang: 'en', page_title: 'Test_page', debug: true, features_str: FEATURES };
    const response = await fetch(`${url}/v1/models/outlink-topic-model:predict`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    const predicted = await runCli(
      ['predict', 'outlink', '--offline', '--input', JSON.stringify(body)],
      env,
    );
    expect({ status: response.status, text: await response.text() }).toEqual({
      status: 200,
      text: predicted.stdout.trimEnd(),
    });
    server.proc.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('with --no-download fails when nothing is cached, naming --models and pull; serves outlink once pulled', async () => {
    const before = tree.requests.length;
    const env = freshEnv();
    const none = await runCli(['serve', '--offline', '--no-download'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('\n  outlink-topic-model: not cached (liftwing pull outlink)\n');
    expect(none.stderr.trimEnd().split('\n').at(-1)).toBe(
      'liftwing: No installed model can run offline here (see why above). Fetch one first with ' +
        '`liftwing pull <model>` (`liftwing models` lists them; the online-only ones cannot), drop ' +
        '--no-download to download on first use, or name the models to serve with --models ' +
        '<model>[,<model>...].',
    );
    expect(tree.requests.length).toBe(before);

    expect((await runCli(['pull', 'outlink'], env)).code).toBe(0);
    const server = await startServe(['--offline', '--no-download'], env, running);
    const events = server.out.stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; model?: string; models?: string[] });
    expect(events.at(-1)).toMatchObject({ event: 'listening', models: ['outlink-topic-model'] });
    expect(
      events.filter((event) => event.event === 'skipped').map((event) => event.model),
    ).toContain('revertrisk-language-agnostic');
    expect(await server.stop()).toBe(0);
  });
});
