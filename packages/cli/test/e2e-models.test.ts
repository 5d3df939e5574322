/**
 * The built `liftwing` with the real model packages, against loopback fakes of the published model
 * tree, the Lift Wing gateway and the MediaWiki API. Outlink runs offline on the fastText fixture
 * model of @liftwing/outlink (pulled through a user registry); revertrisk offline on an ONNX
 * fixture bundle added with `cache add`.
 */
import type { ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactServer,
  type FakeGateway,
  type LoopbackServer,
  startArtifactServer,
  startFakeGateway,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ROOT, runCli, startServe, writeOutlinkRegistry } from './helpers/run-cli.js';

const FASTTEXT = join(CLI_ROOT, '..', 'fasttext', 'test', 'fixtures');
const ONNX = join(CLI_ROOT, '..', 'revertrisk', 'test', 'fixtures', 'classifier-zipmap');
const OUTLINK = 'outlink@20250101000000';
const ARTIFACT = 'articletopic/outlink/20250101000000/model.bin';

interface Expected {
  texts: string[];
  models: { ova: { labels: string[] } };
  cases: Array<{
    model: string;
    text: number;
    k: number;
    threshold: number;
    labels: number[];
    /** float32 bit patterns in hex, 8 digits per label. */
    bits: string;
  }>;
}

const expected = JSON.parse(await readFile(join(FASTTEXT, 'expected.json'), 'utf8')) as Expected;
/** A float32 from its bit pattern in hex. */
const float32 = (bits: string) =>
  new Float32Array(Uint32Array.of(Number.parseInt(bits, 16)).buffer)[0]!;

/** What python3-fasttext 0.9.2 said for a text with every label (k=-1, threshold 0). */
function fastTextTopics(text: number) {
  const found = expected.cases.find(
    (c) => c.model === 'ova' && c.text === text && c.k === -1 && c.threshold === 0,
  )!;
  return found.labels.map((label, i) => ({
    topic: expected.models.ova.labels[label]!.replace('__label__', ''),
    score: float32(found.bits.slice(8 * i, 8 * i + 8)),
  }));
}

// Texts of the fixture of ~100-300 QIDs.
const TEXTS = [32, 25, 29];
const request = (text: number, title = 'Test_page') => ({
  lang: 'en',
  page_title: title,
  debug: true,
  features_str: expected.texts[text],
});

let dir: string;
let tree: ArtifactServer;
let gateway: FakeGateway;
let mediawiki: LoopbackServer;
let env: Record<string, string>;
const running: ChildProcess[] = [];

/** A Lift Wing answer, as the gateway gives it. */
const GATEWAY_ANSWER = {
  prediction: {
    article: 'https://en.wikipedia.org/wiki/Albert_Einstein',
    results: [{ topic: 'STEM.Physics', score: 0.9990700483322144 }],
  },
};

const REVERTRISK_ANSWER = {
  model_name: 'revertrisk-language-agnostic',
  model_version: '3',
  wiki_db: 'enwiki',
  revision_id: 12345,
  output: { prediction: false, probabilities: { true: 0.2551, false: 0.7449 } },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-e2e-models-'));
  const model = await readFile(join(FASTTEXT, 'ova.bin'));
  tree = await startArtifactServer({ [`/${ARTIFACT}`]: model });
  gateway = await startFakeGateway({
    'revertrisk-language-agnostic': ({ json }) => {
      const answer = (item: unknown) => ({
        ...REVERTRISK_ANSWER,
        wiki_db: `${(item as { lang: string }).lang}wiki`,
        revision_id: (item as { rev_id: number }).rev_id,
      });
      const { instances } = json as { instances?: unknown[] };
      return { body: instances ? { predictions: instances.map(answer) } : answer(json) };
    },
    'outlink-topic-model': ({ json }) =>
      (json as { page_title?: string }).page_title === undefined
        ? { status: 400, body: { error: 'You must pass either `page_title` or `page_id`.' } }
        : { body: GATEWAY_ANSWER },
  });
  // Offline scoring with features_str, or of the pre-save form of an anonymous edit, asks nothing.
  mediawiki = await startLoopbackServer(() => ({ status: 500, body: {} }));
  const registry = join(dir, 'registry.json');
  await writeOutlinkRegistry(registry, {
    modelsUrl: `${tree.origin}/`,
    id: '20250101000000',
    modelVersion: 'fixture_ova',
    status: 'staging',
    artifactPath: ARTIFACT,
    body: model,
  });
  env = {
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_REGISTRY: registry,
    LIFTWING_MODELS_URL: 'http://127.0.0.1:9/',
    LIFTWING_API_URL: `${gateway.url}/v1/models/`,
    LIFTWING_MW_API_URL: `${mediawiki.url}/w/api.php`,
    LIFTWING_USER_AGENT: 'liftwing-tests/1.0 (test@example.org)',
  };
  expect((await runCli(['pull', OUTLINK], env)).code).toBe(0);
});

afterEach(() => {
  for (const proc of running.splice(0)) if (proc.exitCode === null) proc.kill('SIGKILL');
});

afterAll(async () => {
  await Promise.all([tree.close(), gateway.close(), mediawiki.close()]);
  await rm(dir, { recursive: true, force: true });
});

const requestCounts = () => [tree, gateway, mediawiki].map((server) => server.requests.length);

/** Starts `liftwing serve` on a free port; resolves with its URL once it listens. */
const serve = (args: string[]) => startServe(args, env, running);

describe('outlink offline: pull, then predict and serve with no network', () => {
  it('answers predict --offline with the scores fastText 0.9.2 gives, asking no one', async () => {
    const before = requestCounts();
    expect(before[0]).toBe(1); // the pull in beforeAll
    const { code, stdout, stderr } = await runCli(
      [
        'predict',
        OUTLINK,
        '--offline',
        '--lang',
        'en',
        '--page-title',
        'Test_page',
        '--debug',
        '--features',
        expected.texts[32]!,
      ],
      env,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as {
      prediction: { article: string; results: { topic: string; score: number }[] };
    };
    expect(answer.prediction.article).toBe('https://en.wikipedia.org/wiki/Test_page');
    const byTopic = (a: { topic: string }, b: { topic: string }) => a.topic.localeCompare(b.topic);
    expect([...answer.prediction.results].sort(byTopic)).toEqual(fastTextTopics(32).sort(byTopic));
    const scores = answer.prediction.results.map((result) => result.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(requestCounts()).toEqual(before);
  });

  it('spreads concurrent requests over --workers threads, each answered as on one thread', async () => {
    const server = await serve(['--offline', '--models', OUTLINK, '--workers', '3']);
    const bodies = Array.from({ length: 60 }, (_, i) => request(TEXTS[i % 3]!, `C${i}`));
    const single = await Promise.all(
      TEXTS.map((text) =>
        runCli(
          [
            'predict',
            OUTLINK,
            '--offline',
            '--workers',
            '0',
            '--input',
            JSON.stringify(request(text)),
          ],
          env,
        ),
      ),
    );
    const answers = await Promise.all(
      bodies.map((body) => server.post('outlink-topic-model', body)),
    );
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      const want = JSON.parse(single[i % 3]!.stdout) as { prediction: { results: unknown } };
      expect(JSON.parse(answer.text)).toEqual({
        prediction: {
          article: `https://en.wikipedia.org/wiki/C${i}`,
          results: want.prediction.results,
        },
      });
    });
    expect(await server.stop()).toBe(0);
  });

  it('serves the same request bodies with the same responses as predict', async () => {
    const server = await serve(['--offline', '--models', OUTLINK]);
    for (const text of TEXTS) {
      const body = request(text);
      const predicted = await runCli(
        ['predict', OUTLINK, '--offline', '--input', JSON.stringify(body)],
        env,
      );
      expect(await server.post('outlink-topic-model', body)).toEqual({
        status: 200,
        text: predicted.stdout.trim(),
      });
    }
    const missing = await server.post('outlink-topic-model', { lang: 'en', features_str: 'Q1' });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text)).toEqual({
      error: 'You must pass either `page_title` or `page_id`.',
    });
    expect(await server.post('outlink-topic-model', '{"lang": ')).toMatchObject({ status: 400 });
    // Lift Wing's Python server tells the JSON literal 1 (an integer, rejected) from 1.0 (a float).
    const literal = (threshold: string) =>
      `{"lang": "en", "page_id": 1, "features_str": "Q1", "threshold": ${threshold}}`;
    expect(await server.post('outlink-topic-model', literal('1'))).toEqual({
      status: 400,
      text: JSON.stringify({ error: 'Expected "threshold" to be a float' }),
    });
    expect(await server.post('outlink-topic-model', literal('1.0'))).toMatchObject({ status: 200 });
    expect(await server.stop()).toBe(0);
    expect(requestCounts().slice(1)).toEqual([0, 0]);
  });

  it("says what was wrong with a request in the flags' terms, or in JSON's when it was JSON", async () => {
    const flags = await runCli(
      ['predict', OUTLINK, '--offline', '--lang', 'en', '--features', 'Q1'],
      env,
    );
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/You must pass either --page-title or --page-id\./);
    const json = await runCli(
      ['predict', OUTLINK, '--offline', '--input', '{"lang": "en", "features_str": "Q1"}'],
      env,
    );
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/You must pass either `page_title` or `page_id`\./);
    const typo = await runCli(
      ['predict', OUTLINK, '--offline', '--lang', 'en', '--pag-title', 'X'],
      env,
    );
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean --page-title\?/);
  });

  it('writes the same bytes with --workers 0 (main thread) and 2 or 3 threads, and checks the flag', async () => {
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({ ...request(TEXTS[i % 3]!, `P${i}`), threshold: 0.005 + 0.01 * (i % 7) }),
    );
    const input = join(dir, 'threads.jsonl');
    await writeFile(input, `${lines.join('\n')}\n`);
    const outputs: string[] = [];
    for (const workers of ['0', '2', '3']) {
      const output = join(dir, `threads-${workers}.jsonl`);
      const args = [
        'predict',
        OUTLINK,
        '--offline',
        '--input-file',
        input,
        '--output-file',
        output,
      ];
      const result = await runCli([...args, '--workers', workers, '--batch-size', '7'], env);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/120 answered: 120 ok, 0 failed/);
      outputs.push(await readFile(output, 'utf8'));
    }
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
    expect(JSON.parse(outputs[0]!.split('\n')[0]!).prediction.results[0]).toEqual(
      fastTextTopics(TEXTS[0]!)[0],
    );
    for (const [value, message] of [
      ['-1', /--workers must be a non-negative integer/],
      ['two', /--workers must be a non-negative integer/],
      ['999', /--workers is at most 256/],
    ] as const) {
      const bad = await runCli(
        ['predict', OUTLINK, '--offline', `--workers=${value}`, '--input', '{}'],
        env,
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
    const fromEnv = await runCli(
      ['predict', OUTLINK, '--offline', '--input', JSON.stringify(request(32))],
      {
        ...env,
        LIFTWING_WORKERS: 'lots',
      },
    );
    expect(fromEnv.code).not.toBe(0);
    expect(fromEnv.stderr).toMatch(/LIFTWING_WORKERS=lots is not a number of worker threads/);
  });

  it('answers a JSONL batch with an error line for a bad line, and resumes a cut-off run', async () => {
    const lines = [
      JSON.stringify(request(32, 'A')),
      JSON.stringify(request(25, 'B')),
      '{"lang": "en", "features_str": "Q1"}',
      'not json',
      JSON.stringify(request(29, 'C')),
    ];
    const input = join(dir, 'batch.jsonl');
    const output = join(dir, 'results.jsonl');
    await writeFile(input, `${lines.join('\n')}\n`);
    const args = ['predict', OUTLINK, '--offline', '--input-file', input, '--output-file', output];
    const first = await runCli(args, env);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/5 answered: 3 ok, 2 failed/);
    const results = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(results).toHaveLength(5);
    expect(JSON.parse(results[2]!)).toEqual({
      line: 3,
      input: { lang: 'en', features_str: 'Q1' },
      error: 'You must pass either `page_title` or `page_id`.',
      code: 'invalid_input',
      status: 400,
    });
    expect(JSON.parse(results[3]!)).toMatchObject({ line: 4, input: 'not json' });
    expect(JSON.parse(results[4]!).prediction.article).toBe('https://en.wikipedia.org/wiki/C');

    // A run killed while writing its third line; --resume answers from there on.
    const whole = await readFile(output, 'utf8');
    const cut = whole.indexOf('\n', whole.indexOf('\n') + 1) + 10;
    await truncate(output, cut);
    expect((await runCli(args, env)).code).toBe(2); // never overwritten without --resume
    const resumed = await runCli([...args, '--resume'], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/^Resuming: 2 line\(s\) already in .*; removed 9 byte\(s\)/);
    expect(resumed.stderr).toMatch(/3 answered: 1 ok, 2 failed, 2 skipped/);
    expect(await readFile(output, 'utf8')).toBe(whole);
  });
});

describe('online through the gateway', () => {
  it('serves the request bodies of Lift Wing with the gateway answers', async () => {
    const server = await serve(['--online', '--models', 'outlink']);
    const body = { lang: 'en', page_title: 'Albert_Einstein' };
    expect(await server.post('outlink-topic-model', body)).toEqual({
      status: 200,
      text: JSON.stringify(GATEWAY_ANSWER),
    });
    const forwarded = gateway.requests.at(-1)!;
    expect(forwarded.url).toBe('/v1/models/outlink-topic-model:predict');
    expect(JSON.parse(forwarded.body)).toEqual(body);
    expect(forwarded.headers['user-agent']).toMatch(/^liftwing-tests\/1\.0 \(test@example\.org\)/);
    expect(await server.post('outlink-topic-model', { lang: 'en' })).toEqual({
      status: 400,
      text: JSON.stringify({ error: 'You must pass either `page_title` or `page_id`.' }),
    });
    expect(await server.stop()).toBe(0);
  });

  it('predicts revertrisk through the gateway, and serves it', async () => {
    const body = { lang: 'en', rev_id: 12345 };
    const predicted = await runCli(
      ['predict', 'revertrisk', '--lang', 'en', '--rev-id', '12345'],
      env,
    );
    expect(predicted).toMatchObject({ code: 0, stdout: `${JSON.stringify(REVERTRISK_ANSWER)}\n` });
    expect(JSON.parse(gateway.requests.at(-1)!.body)).toEqual(body);
    const server = await serve(['--online', '--models', 'revertrisk']);
    expect(await server.post('revertrisk-language-agnostic', body)).toEqual({
      status: 200,
      text: JSON.stringify(REVERTRISK_ANSWER),
    });
    const wrong = await server.post('revertrisk-language-agnostic', { rev_id: 1 });
    expect(wrong).toEqual({
      status: 400,
      text: JSON.stringify({ error: 'The parameter lang is required.' }),
    });
    expect(await server.stop()).toBe(0);
  });
});

describe('a JSONL batch of revert-risk requests online', () => {
  it('reaches the gateway in batches of at most 20 of one language, results in input order', async () => {
    const lines = Array.from({ length: 45 }, (_, i) => ({
      lang: i % 3 === 0 ? 'de' : 'en',
      rev_id: 1000 + i,
    }));
    const input = join(dir, 'revisions.jsonl');
    await writeFile(input, lines.map((line) => JSON.stringify(line)).join('\n'));
    const start = gateway.bodies.length;
    const { code, stdout } = await runCli(
      ['predict', 'revertrisk', '--online', '--input-file', input],
      env,
    );
    expect(code).toBe(0);
    const sent = gateway.bodies.slice(start) as { instances: { lang: string }[] }[];
    // 30 en and 15 de: 20 + 10 + 15.
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent.map((body) => body.instances.length).sort((a, b) => a - b)).toEqual([10, 15, 20]);
    for (const body of sent) expect(new Set(body.instances.map((i) => i.lang)).size).toBe(1);
    const results = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(results.map((r) => [r.wiki_db, r.revision_id])).toEqual(
      lines.map((line) => [`${line.lang}wiki`, line.rev_id]),
    );
  });
});

describe('revertrisk offline from a bundle added to the cache', () => {
  it('scores the pre-save form of an edit as the library does', async () => {
    const bundle = join(dir, 'rr-bundle');
    for (const name of ['model.onnx', 'manifest.json']) {
      await cp(join(ONNX, name), join(bundle, name));
    }
    const ref = 'revertrisk@20231117132654-onnx';
    expect((await runCli(['cache', 'add', ref, bundle], env)).code).toBe(0);
    const body = {
      revision_data: {
        id: -1,
        lang: 'en',
        text: "'''Berlin''' is the capital of Germany.<ref>A</ref>\n[[Category:Capitals]]\n",
        timestamp: '2024-03-10T15:30:00Z',
        bytes: 80,
        comment: 'typo',
        parent: {
          id: 100,
          lang: 'en',
          text: "'''Berlin''' is the capital of Germany.\n",
          timestamp: '2024-03-09T15:30:00Z',
          bytes: 40,
        },
        user: { id: 0 },
        page: { id: 7, title: 'Berlin', first_edit_timestamp: '2004-03-10T15:30:00Z' },
      },
    };
    const before = requestCounts();
    const { code, stdout, stderr } = await runCli(
      ['predict', ref, '--offline', '--input', JSON.stringify(body)],
      env,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const { createModel } = await import('@liftwing/revertrisk');
    const library = await createModel({
      mode: 'offline',
      bundle,
      userAgent: env.LIFTWING_USER_AGENT!,
    });
    try {
      expect(JSON.parse(stdout)).toEqual(await library.handle(body));
    } finally {
      await library.close();
    }
    expect(JSON.parse(stdout)).toMatchObject({
      model_name: 'revertrisk-language-agnostic',
      wiki_db: 'enwiki',
      revision_id: -1,
    });
    expect(requestCounts()).toEqual(before);
  });
});
