/**
 * Offline langid against what Lift Wing's own server code answers: `test/fixtures/expected.json`
 * is written by `tools/langid-fixtures.py`, which runs the server's `model.py` (request checks,
 * `normalize_text`, `predict` with k = 1, its languages table) with python3-fasttext 0.9.2 on the
 * engine's fixture `softmax-2-5.bin` (real lid201 labels, character n-grams of 2 to 5).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, InputError } from '@liftwing/core';
import { startArtifactServer } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  definition,
  LANGID_ARTIFACT,
  LANGUAGES,
  LANGUAGES_SOURCE,
  type LangIdModel,
  type LangIdResponse,
  languageOf,
  normalizeText,
  PINNED_VERSION,
} from '../src/index.js';

const FIXTURE = fileURLToPath(
  new URL('../../fasttext/test/fixtures/subwords/softmax-2-5.bin', import.meta.url),
);

interface Case {
  body: Record<string, unknown>;
  status: 200 | 400 | 500;
  normalized?: string;
  response?: LangIdResponse;
  error?: string;
  exception?: string;
}

interface Expected {
  source: { repository: string; path: string; commit: string; model: string };
  cases: Case[];
  labels: (Case & { label: string; score: number })[];
}

const expected = JSON.parse(
  await readFile(new URL('fixtures/expected.json', import.meta.url), 'utf8'),
) as Expected;
const answered = expected.cases.filter((c) => c.status === 200);
const refused = expected.cases.filter((c) => c.status === 400);

/** The response as a result of a batch, or the server's 400 as an error. */
const outcomeOf = (c: Case) =>
  c.status === 200
    ? { ok: true, value: c.response }
    : { ok: false, error: expect.objectContaining({ status: 400, message: c.error }) };

/** Exact: the same keys, strings and doubles (no rounding), in the server's key order. */
function expectSame(got: unknown, want: LangIdResponse | undefined) {
  expect(got).toStrictEqual(want);
  expect(Object.keys(got as object)).toEqual(['language', 'wikicode', 'languagename', 'score']);
}

it('the expectations cover what the task asks', () => {
  expect(expected.source.path).toBe('src/models/langid/model.py');
  expect(answered.length).toBeGreaterThan(100);
  expect(refused.length).toBeGreaterThan(10);
  const languages = new Set(answered.map((c) => c.response!.language));
  expect(languages.size).toBeGreaterThan(5);
  // zho_Hans is one of the table's labels without a wiki code.
  expect(answered.some((c) => c.response!.language === 'zho_Hans')).toBe(true);
  expect(answered.some((c) => c.normalized === '')).toBe(true); // whitespace only
  expect(answered.some((c) => (c.body.text as string).includes('\n'))).toBe(true);
  expect(answered.some((c) => Array.from(c.body.text as string).length > 100)).toBe(true);
});

describe.each([0, 2])('langid offline with %i workers', (workers) => {
  let model: LangIdModel;

  beforeAll(async () => {
    model = await createModel({ mode: 'offline', modelPath: FIXTURE, workers, env: {} });
  });
  afterAll(async () => {
    await model?.close();
  });

  it('answers every request body exactly as the server does', async () => {
    expect(model).toMatchObject({ name: 'langid', mode: 'offline', version: undefined });
    for (const c of answered) {
      expectSame(await model.handle(c.body), c.response);
      expectSame(await model.predict(c.body as { text: string }), c.response);
    }
  });

  it('refuses bad requests with the server 400 and message', async () => {
    for (const c of refused) {
      const error = await model.handle(c.body).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ status: 400, bodyKey: 'error', message: c.error });
      expect((error as InputError).toResponseBody()).toEqual({ error: c.error });
    }
  });

  it('scores predictMany and handleMany in one batch, results in input order', async () => {
    const progress: number[] = [];
    const many = await model.predictMany(
      expected.cases.map((c) => c.body as { text: string }),
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(many).toEqual(expected.cases.map(outcomeOf));
    expect(progress.at(-1)).toBe(expected.cases.length);
    const lines = expected.cases.map((c) => ({ rawBody: JSON.stringify(c.body) }));
    const handled = await model.handleMany([...lines, { rawBody: '{' }]);
    expect(handled.slice(0, -1)).toEqual(expected.cases.map(outcomeOf));
    expect(handled.at(-1)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('fails only the item whose text fastText cannot read (a lone surrogate)', async () => {
    const [bad, good] = await model.predictMany([{ text: 'a\ud800b' }, answered[0]!.body as never]);
    expect(bad).toMatchObject({ ok: false, error: expect.any(InputError) });
    expect(good).toEqual({ ok: true, value: answered[0]!.response });
  });
});

describe('the server pipeline, piece by piece', () => {
  it('normalises each text as the server does before scoring it', () => {
    for (const c of answered) expect(normalizeText(c.body.text as string)).toBe(c.normalized);
  });

  it('carries the server table, with the row its reader drops', () => {
    expect(LANGUAGES_SOURCE).toMatchObject({
      repository: 'wikimedia/machinelearning-liftwing-inference-services',
      path: 'src/models/langid/languages.tsv',
      commit: expected.source.commit,
    });
    expect(Object.keys(LANGUAGES)).toHaveLength(201);
    expect(LANGUAGES.eng_Latn).toEqual({ wikicode: 'en', languagename: 'English' });
    // Labels the table gives no wiki code keep the empty string the server answers.
    expect(LANGUAGES.zho_Hans).toEqual({ wikicode: '', languagename: 'Chinese(Simplified)' });
  });

  it('answers the labels the server fails on, as documented', () => {
    const byLabel = Object.fromEntries(expected.labels.map((c) => [c.label, c]));
    // The server's own answer where its table has the label (an empty wiki code).
    const apc = byLabel.__label__apc_Arab!;
    expect({ ...languageOf(apc.label), score: apc.score }).toStrictEqual(apc.response);
    // ace_Arab, the first row, which the server's reader skips: a 500 there, its row here.
    expect(byLabel.__label__ace_Arab).toMatchObject({ status: 500 });
    expect(languageOf('__label__ace_Arab')).toEqual({
      language: 'ace_Arab',
      wikicode: '',
      languagename: 'Acehnese',
    });
    // A label of another model (modelPath): a 500 there, empty code and name here.
    expect(byLabel.__label__xxx_Latn).toMatchObject({ status: 500 });
    expect(languageOf('__label__xxx_Latn')).toEqual({
      language: 'xxx_Latn',
      wikicode: '',
      languagename: '',
    });
  });
});

describe('langid offline model lifecycle', () => {
  it('refuses to predict once closed', async () => {
    const model = await createModel({ mode: 'offline', modelPath: FIXTURE, workers: 0 });
    await model.close();
    await expect(model.predict({ text: 'ann' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('is defined online and offline, pinned to the catalogue version', () => {
    expect(definition).toMatchObject({
      modes: ['online', 'offline'],
      pin: { model: 'langid', version: '20231011160342' },
    });
    expect(PINNED_VERSION).toBe('20231011160342');
  });
});

describe('loading through the registry and cache', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'liftwing-langid-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('downloads the pinned lid201-model.bin on first use, then loads it from the cache', async () => {
    const bytes = await readFile(FIXTURE);
    const tree = await startArtifactServer({
      [`/llm/langid/${PINNED_VERSION}/${LANGID_ARTIFACT}`]: bytes,
    });
    try {
      const options = {
        mode: 'offline' as const,
        modelsUrl: `${tree.origin}/`,
        cacheDir: join(root, 'cache'),
        workers: 0,
        env: {},
      };
      const first = await createModel(options);
      expect(first.version).toBe(PINNED_VERSION);
      const c = answered[0]!;
      expect(await first.handle(c.body)).toStrictEqual(c.response);
      await first.close();
      expect(tree.requests).toHaveLength(1);
      const cached = await createModel({ ...options, offline: true });
      expect(await cached.handle(c.body)).toStrictEqual(c.response);
      await cached.close();
      expect(tree.requests).toHaveLength(1);
    } finally {
      await tree.close();
    }
  });
});
