import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addLocalModel,
  HttpError,
  InputError,
  type LiftWingError,
  MediaWikiClient,
  ModelFormatError,
} from '@liftwing/core';
import { type FakeMediaWiki, startFakeMediaWiki } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  FeatureExtractor,
  type FeatureInput,
  loadRevertRisk,
  type RevertRiskModel,
} from '../src/index.js';
import { REVISION_TEXT, revision } from './revision-data.js';
import { evaluate, readTrees } from './tree-eval.js';
import { busyWiki, englishWiki, REGISTERED_USER, REV } from './wiki-data.js';

const REGRESSOR = fileURLToPath(new URL('./fixtures/regressor-sigmoid', import.meta.url));
const TREES = readTrees(REGRESSOR);
const EXTRACTOR = new FeatureExtractor(TREES.features.map((f) => f.name));

let mw: FakeMediaWiki;
let model: RevertRiskModel;
const en = englishWiki();

function mediawiki() {
  return new MediaWikiClient({
    apiUrlTemplate: mw.apiUrlTemplate,
    retries: 0,
    userAgent: 'revertrisk-tests (test@example.org)',
  });
}

beforeAll(async () => {
  mw = await startFakeMediaWiki({
    'en.wikipedia.org': en,
    'als.wikipedia.org': busyWiki(500, 3),
    'de.wikipedia.org': busyWiki(1000, 130),
  });
  model = await createModel({ mode: 'offline', modelPath: REGRESSOR, mediawiki: mediawiki() });
});

afterAll(async () => {
  await model?.close();
  await mw?.close();
});

/** P(true) the fixture's trees give for an edit, computed without onnxruntime. */
function expectedProbability(input: FeatureInput): number {
  return evaluate(TREES, EXTRACTOR.extract(input));
}

function requestsSince(start: number) {
  return mw.requests.slice(start);
}

describe('offline model: revisions from MediaWiki', () => {
  it('scores a revision from its MediaWiki data, as Lift Wing answers', async () => {
    const response = await model.predict({ lang: 'en', rev_id: REV.registered });
    const rev = en.revisions.get(REV.registered)!;
    const parent = en.revisions.get(REV.creation)!;
    const expected = expectedProbability({
      revision: {
        id: rev.revid,
        lang: 'en',
        text: rev.content,
        timestamp: rev.timestamp,
        bytes: Buffer.byteLength(rev.content),
        comment: rev.comment,
        tags: rev.tags,
        parent: {
          id: parent.revid,
          lang: 'en',
          text: parent.content,
          timestamp: parent.timestamp,
          bytes: Buffer.byteLength(parent.content),
        },
        user: { id: 42 },
        page: { id: 10, title: 'Berlin', first_edit_timestamp: parent.timestamp },
      },
      user: {
        groups: REGISTERED_USER.groups,
        editCount: REGISTERED_USER.editcount,
        registration: REGISTERED_USER.registration,
      },
    });
    expect(response).toEqual({
      model_name: 'revertrisk-language-agnostic',
      model_version: 'fixture-regressor-sigmoid',
      wiki_db: 'enwiki',
      revision_id: REV.registered,
      output: {
        prediction: expected > 0.5,
        probabilities: {
          true: expect.closeTo(expected, 5),
          false: expect.closeTo(1 - expected, 5),
        },
      },
    });
    expect(model.mode).toBe('offline');
    expect(model.version).toBe(REGRESSOR);
  });

  it('asks MediaWiki with formatversion=2 queries for revisions, parents, page and user', async () => {
    const start = mw.requests.length;
    await model.predict({ lang: 'en', rev_id: REV.registered });
    const queries = requestsSince(start).map(({ host, params }) => ({
      host,
      formatversion: params.get('formatversion'),
      what:
        params.get('list') ?? `${params.get('prop')}:${params.has('pageids') ? 'page' : 'revids'}`,
      ids: params.get('revids') ?? params.get('pageids') ?? params.get('ususerids'),
    }));
    expect(queries).toEqual([
      { host: 'en.wikipedia.org', formatversion: '2', what: 'revisions:revids', ids: '101' },
      { host: 'en.wikipedia.org', formatversion: '2', what: 'revisions:revids', ids: '100' },
      { host: 'en.wikipedia.org', formatversion: '2', what: 'revisions:page', ids: '10' },
      { host: 'en.wikipedia.org', formatversion: '2', what: 'users', ids: '42' },
    ]);
  });

  it('scores an anonymous edit without asking for a user', async () => {
    const start = mw.requests.length;
    const response = await model.predict({ lang: 'en', rev_id: REV.anonymous });
    expect(response.revision_id).toBe(REV.anonymous);
    expect(requestsSince(start).some(({ params }) => params.get('list') === 'users')).toBe(false);
  });

  it.each([
    [REV.missing, 'revision_missing'],
    [REV.textHidden, 'revision_info_deleted'],
    [REV.userHidden, 'revision_info_deleted'],
    [REV.creation, 'parent_revision_missing'],
    [REV.parentGone, 'parent_revision_missing'],
    [REV.childOfHiddenParent, 'parent_revision_info_deleted'],
    [REV.onDeletedPage, 'page_missing'],
    [REV.unknownUser, 'user_missing'],
  ])('answers revision %i with reason %s (422)', async (revId, reason) => {
    const error = await model.predict({ lang: 'en', rev_id: revId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'revision_error', status: 422, reason });
    expect((error as InputError).message).toBe(
      `Could not make prediction for revision ${revId} (en). Reason: ${reason}`,
    );
  });

  it('scores many revisions in few queries, in order, with per-item errors', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => 1001 + i);
    const requests = [
      ...ids.slice(0, 60).map((rev_id) => ({ lang: 'de', rev_id })),
      { lang: 'en', rev_id: REV.missing },
      { lang: 'enwiki', rev_id: 1 },
      ...ids.slice(60).map((rev_id) => ({ lang: 'de', rev_id })),
    ];
    const progress: number[] = [];
    const start = mw.requests.length;
    const results = await model.predictMany(requests, {
      onProgress: (p) => progress.push(p.done),
    });
    expect(results).toHaveLength(122);
    const scored = results.filter((r) => r.ok).map((r) => r.ok && r.value.revision_id);
    expect(scored).toEqual(ids);
    expect(results[60]).toMatchObject({ ok: false, error: { reason: 'revision_missing' } });
    expect(results[61]).toMatchObject({ ok: false, error: { code: 'invalid_input', status: 400 } });
    expect(progress.at(-1)).toBe(122);
    const revids = requestsSince(start)
      .filter(({ params }) => params.has('revids'))
      .map(({ params }) => params.get('revids')!.split('|').length);
    expect(Math.max(...revids)).toBeLessThanOrEqual(50);
    // 120 German revisions and their parents in 50s, plus the English one and its (absent) parent.
    expect(revids).toHaveLength(3 + 3 + 1);
  });

  it('fails only the revisions of the query MediaWiki failed, reporting progress per query', async () => {
    mw.options.failWith = 500;
    mw.options.failIf = (params) => params.get('revids')?.split('|').includes('1060') ?? false;
    try {
      const ids = Array.from({ length: 120 }, (_, i) => 1001 + i);
      const progress: Array<{ done: number; failed: number }> = [];
      const results = await model.predictMany(
        [{ lang: 'enwiki', rev_id: 1 }, ...ids.map((rev_id) => ({ lang: 'de', rev_id }))],
        { onProgress: ({ done, failed }) => progress.push({ done, failed }) },
      );
      ids.forEach((id, i) => {
        const result = results[i + 1]!;
        if (id > 1050 && id <= 1100) {
          expect(result).toMatchObject({ ok: false, error: { code: 'http_error', status: 500 } });
        } else expect(result.ok && result.value.revision_id).toBe(id);
      });
      expect(progress).toEqual([
        { done: 1, failed: 1 },
        { done: 51, failed: 1 },
        { done: 101, failed: 51 },
        { done: 121, failed: 51 },
      ]);
    } finally {
      mw.options.failWith = undefined;
      mw.options.failIf = undefined;
    }
  });

  it('follows continuation when MediaWiki cuts a large answer', async () => {
    mw.options.revisionsPerResponse = 7;
    try {
      const results = await model.predictMany(
        Array.from({ length: 20 }, (_, i) => ({ lang: 'de', rev_id: 1010 + i })),
      );
      expect(results.every((r) => r.ok)).toBe(true);
    } finally {
      mw.options.revisionsPerResponse = undefined;
    }
  });

  it('rewrites hosts through the wikis table: gsw is als.wikipedia.org, test is en', async () => {
    const start = mw.requests.length;
    const gsw = await model.predict({ lang: 'gsw', rev_id: 501 });
    expect(gsw.wiki_db).toBe('gswwiki');
    expect(new Set(requestsSince(start).map((r) => r.host))).toEqual(
      new Set(['als.wikipedia.org']),
    );
    const test = await model.predict({ lang: 'test', rev_id: REV.registered });
    expect(test.wiki_db).toBe('testwiki');
  });

  it('scores the pre-save form, fetching only the editor', async () => {
    const start = mw.requests.length;
    const data = revision({ id: 12345, user: { id: 42 } });
    const response = await model.predict({ revision_data: data });
    expect(response.revision_id).toBe(-1);
    expect(response.wiki_db).toBe('enwiki');
    const expected = expectedProbability({
      revision: data,
      user: {
        groups: REGISTERED_USER.groups,
        editCount: REGISTERED_USER.editcount,
        registration: REGISTERED_USER.registration,
      },
    });
    expect(response.output.probabilities.true).toBeCloseTo(expected, 5);
    expect(requestsSince(start).map((r) => r.params.get('list'))).toEqual(['users']);
    expect(data.text).toBe(REVISION_TEXT);
  });

  it('rejects pre-save data with a missing field, naming it', async () => {
    const { parent: _parent, ...noParent } = revision();
    await expect(model.predict({ revision_data: noParent as never })).rejects.toThrow(
      /revision_data\.parent must be an object/,
    );
  });

  it('reports MediaWiki failures as HTTP errors, per item in batches', async () => {
    mw.options.failWith = 500;
    try {
      const error = await model.predict({ lang: 'en', rev_id: REV.registered }).catch((e) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(500);
      const results = await model.predictMany([{ lang: 'en', rev_id: REV.registered }]);
      expect(results[0]).toMatchObject({ ok: false, error: { code: 'http_error', status: 500 } });
    } finally {
      mw.options.failWith = undefined;
    }
  });
});

describe('offline model: handle, the server protocol', () => {
  it('answers the single form with one prediction', async () => {
    const response = await model.handle({ lang: 'en', rev_id: REV.anonymous });
    expect(response).toMatchObject({ revision_id: REV.anonymous, wiki_db: 'enwiki' });
  });

  it('answers the batch form with predictions and errors for failed items', async () => {
    const response = await model.handle({
      instances: [
        { lang: 'en', rev_id: REV.registered },
        { lang: 'en', rev_id: REV.missing },
        { lang: 'en', rev_id: REV.anonymous },
        { lang: 'en', rev_id: REV.registered },
      ],
    });
    expect(response).toEqual({
      predictions: [
        expect.objectContaining({ revision_id: REV.registered }),
        expect.objectContaining({ revision_id: REV.anonymous }),
      ],
      errors: [
        `Could not make prediction for revision ${REV.missing} (en). Reason: revision_missing`,
      ],
    });
    const all = (await model.handle({
      instances: [{ lang: 'en', rev_id: REV.anonymous }],
    })) as object;
    expect(all).toEqual({ predictions: [expect.objectContaining({ revision_id: REV.anonymous })] });
  });

  it('answers 422 when every revision failed, single form included', async () => {
    const error = (await model
      .handle({
        instances: [
          { lang: 'en', rev_id: REV.missing },
          { lang: 'en', rev_id: REV.creation },
        ],
      })
      .catch((e: unknown) => e)) as InputError;
    expect(error).toMatchObject({ status: 422, code: 'revision_error' });
    expect(error.toResponseBody()).toEqual({
      detail:
        "Could not make prediction for revisions dict_keys([(999999, 'en'), (100, 'en')]). " +
        "Reason: ['revision_missing', 'parent_revision_missing']",
    });
    const single = (await model
      .handle({ lang: 'en', rev_id: REV.textHidden })
      .catch((e) => e)) as InputError;
    expect(single.status).toBe(422);
    expect(single.toResponseBody()).toEqual({
      detail: `Could not make prediction for revisions dict_keys([(${REV.textHidden}, 'en')]). Reason: ['revision_info_deleted']`,
    });
  });

  it('answers the pre-save form with revision_id -1', async () => {
    const response = await model.handle({ revision_data: revision({ user: { id: 0 } }) });
    expect(response).toMatchObject({ revision_id: -1, wiki_db: 'enwiki' });
  });

  it.each([
    [{ rev_id: 1 }, { error: 'The parameter lang is required.' }],
    [{ lang: 'en' }, { error: 'The parameter rev_id is required.' }],
    [{ lang: 'en', rev_id: null }, { error: 'The parameter rev_id is required.' }],
    [
      { lang: 'enwiki', rev_id: 1 },
      { detail: "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'" },
    ],
    [
      { lang: 'www', rev_id: 1 },
      { detail: "lang 'www' does not exist in the canonical Wikipedia language list." },
    ],
    [
      { instances: Array.from({ length: 21 }, (_, i) => ({ lang: 'en', rev_id: i + 1 })) },
      { detail: 'Only accept a maximum of 20 rev_ids in the request.' },
    ],
    [
      {
        instances: [
          { lang: 'en', rev_id: 1 },
          { lang: 'de', rev_id: 2 },
        ],
      },
      { detail: 'Requesting multiple revisions should have the same language.' },
    ],
    [{ instances: [{ lang: 'en' }] }, { error: 'The parameter rev_id is required.' }],
  ])('rejects %j with 400 %j before any MediaWiki request', async (body, expected) => {
    const start = mw.requests.length;
    const error = (await model.handle(body).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.status).toBe(400);
    expect(error.toResponseBody()).toEqual(expected);
    expect(mw.requests.length).toBe(start);
  });

  it.each([0, -5, 1.5, '123'])('rejects rev_id %j with a clear 400', async (revId) => {
    const error = (await model.handle({ lang: 'en', rev_id: revId }).catch((e) => e)) as InputError;
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/rev_id must be a positive integer/);
  });
});

describe('offline model: loading', () => {
  let cacheDir: string;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'revertrisk-model-'));
  });

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('explains that the published model is a Python pickle and how to get a bundle', async () => {
    const error = (await createModel({
      mode: 'offline',
      cacheDir,
      offline: true,
      userAgent: 'test@example.org',
    }).catch((e: unknown) => e)) as LiftWingError;
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error.message).toMatch(
      /revertrisk@20231117132654 is published as model\.pkl \(python-pickle\)/,
    );
    expect(error.message).toMatch(/npx liftwing-convert-revertrisk <model\.pkl> \.\/rrla-bundle/);
    expect(error.message).toMatch(
      /liftwing cache add revertrisk@20231117132654-onnx \.\/rrla-bundle/,
    );
    expect(error.message).toMatch(/liftwing predict revertrisk@20231117132654-onnx --offline/);
    expect(error.message).not.toMatch(/packages\/revertrisk/);
  });

  it('loads a bundle added to the cache with addLocalModel', async () => {
    await addLocalModel({
      model: 'revertrisk',
      version: 'fixture-onnx',
      from: REGRESSOR,
      cacheDir,
    });
    const local = await loadRevertRisk({
      mode: 'offline',
      version: 'fixture-onnx',
      userAgent: 'test@example.org',
      cacheDir,
      offline: true,
      mediawiki: mediawiki(),
    });
    try {
      expect(local.version).toBe('fixture-onnx');
      const [a, b] = await Promise.all([
        local.predict({ lang: 'en', rev_id: REV.registered }),
        model.predict({ lang: 'en', rev_id: REV.registered }),
      ]);
      expect(a).toEqual(b);
    } finally {
      await local.close();
    }
  });
});
