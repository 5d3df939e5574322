import { InputError } from '@liftwing/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, jsonLiterals, type OutlinkModel, parseOutlinkRequest } from '../src/index.js';
import { OVA_MODEL, USER_AGENT } from './helpers.js';

const rejects = (body: unknown, raw?: string) => {
  try {
    parseOutlinkRequest(body, raw === undefined ? {} : { literals: jsonLiterals(raw) });
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).toResponseBody();
  }
  throw new Error('accepted');
};

describe('parseOutlinkRequest', () => {
  it.each([
    [
      { lang: 'en', page_title: 'A', page_id: 1 },
      'Detected both `page_title` and `page_id` in the request. Please pass only one of those.',
    ],
    [{ lang: 'en' }, 'You must pass either `page_title` or `page_id`.'],
    [{ lang: 'en', page_title: '', page_id: 0 }, 'You must pass either `page_title` or `page_id`.'],
    [{ wiki_id: 'nowiki_at_all', page_id: 1 }, 'Unknown wiki_id: nowiki_at_all'],
    [{ wiki_id: 5, page_id: 1 }, 'Unknown wiki_id: 5'],
    [{ page_id: 1 }, 'Missing "lang" in input data.'],
    [{ lang: 3, page_id: 1 }, 'Expected "lang" to be a string.'],
    [{ lang: null, wiki_id: 'enwiki', page_id: 1 }, 'Expected "lang" to be a string.'],
    [{ lang: 'en', page_id: 1, threshold: '0.5' }, 'Expected "threshold" to be a float'],
    [{ lang: 'en', page_id: 1, threshold: null }, 'Expected "threshold" to be a float'],
    [
      { lang: 'en', page_id: 1, threshold: true, debug: true },
      'Expected "threshold" to be a float',
    ],
    [{ lang: 'en', page_title: 5 }, 'Expected "page_title" to be a string.'],
    [{ lang: 'en', page_id: 1.5 }, 'Expected "page_id" to be an integer.'],
    [{ lang: 'en', page_id: 'abc' }, 'Expected "page_id" to be an integer.'],
    [{ lang: 'en', page_id: 1, revision_id: 'x' }, 'Expected "revision_id" to be an integer.'],
    [
      { lang: 'en', page_id: 1, features_str: 42 },
      'Expected "features_str" to be a string of space-separated Wikidata QIDs.',
    ],
    [[{ lang: 'en' }], 'Please verify that request input is a json dict'],
  ])('rejects %j: %s', (body, message) => {
    expect(rejects(body)).toEqual({ error: message });
  });

  it('applies the defaults, debug, and wiki_id', () => {
    expect(parseOutlinkRequest({ lang: 'en', page_title: 'A' })).toEqual({
      lang: 'en',
      host: 'en.wikipedia.org',
      pageTitle: 'A',
      pageId: undefined,
      revisionId: undefined,
      threshold: 0.5,
      debug: false,
      featuresStr: undefined,
    });
    const q = parseOutlinkRequest({
      wiki_id: 'zh_yuewiki',
      page_id: '12',
      threshold: 0.9,
      debug: 1,
    });
    expect(q).toMatchObject({
      lang: 'zh-yue',
      host: 'zh-yue.wikipedia.org',
      pageId: '12',
      threshold: 0,
      debug: true,
    });
    expect(parseOutlinkRequest({ lang: 'en', page_title: '', page_id: 3 }).pageId).toBe(3);
  });

  it('tells a JSON integer threshold from a float when it has the raw text', () => {
    const body = { lang: 'en', page_id: 1, threshold: 1 };
    for (const raw of ['1', '-0', '10']) {
      expect(rejects(body, `{"lang":"en","page_id":1,"threshold":${raw}}`)).toEqual({
        error: 'Expected "threshold" to be a float',
      });
    }
    for (const raw of ['1.0', '1e0', '1E+0', '0.50', '-1.5e-3']) {
      const text = `{"lang": "en", "page_id": 1, "threshold" : ${raw} }`;
      expect(
        parseOutlinkRequest(JSON.parse(text), { literals: jsonLiterals(text) }).threshold,
      ).toBe(Number(raw));
    }
    expect(parseOutlinkRequest(body).threshold).toBe(1);
  });
});

describe('jsonLiterals', () => {
  it('returns the raw text of each top-level field, the last of a repeated key', () => {
    const text =
      ' {"a": {"threshold": 1, "s": "}\\","}, "b" :[1, [2, "]"]], "t\\u0068reshold":2,"threshold":\t3.0}';
    expect(Object.fromEntries(jsonLiterals(text) ?? [])).toEqual({
      a: '{"threshold": 1, "s": "}\\","}',
      b: '[1, [2, "]"]]',
      threshold: '3.0',
    });
    expect(jsonLiterals('{}')?.size).toBe(0);
    expect(jsonLiterals('[1]')).toBeUndefined();
    expect(jsonLiterals('{"a" 1}')).toBeUndefined();
  });
});

describe('handle', () => {
  let model: OutlinkModel;
  beforeAll(async () => {
    model = await createModel({ mode: 'offline', modelPath: OVA_MODEL, userAgent: USER_AGENT });
  });
  afterAll(() => model.close());

  it('rejects with the status and body Lift Wing answers', async () => {
    const error = await model.handle({ lang: 'en', page_title: 'A', page_id: 2 }).catch((e) => e);
    expect(error.status).toBe(400);
    expect(error.toResponseBody()).toEqual({
      error:
        'Detected both `page_title` and `page_id` in the request. Please pass only one of those.',
    });
  });

  it('checks threshold against the raw body, parsing it when body is undefined', async () => {
    const int = '{"lang": "en", "page_id": 1, "features_str": "", "threshold": 1}';
    await expect(model.handle(JSON.parse(int), { rawBody: int })).rejects.toMatchObject({
      status: 400,
      message: 'Expected "threshold" to be a float',
    });
    await expect(model.handle(undefined, { rawBody: Buffer.from(int) })).rejects.toThrow(/float/);
    const float = int.replace('1}', '1.0}');
    expect(await model.handle(undefined, { rawBody: float })).toEqual({
      prediction: { article: 'https://en.wikipedia.org/wiki?curid=1', results: [] },
    });
    expect(await model.handle(JSON.parse(int))).toEqual(
      await model.handle(undefined, { rawBody: float }),
    );
    await expect(model.handle(undefined, { rawBody: '{"lang": ' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^Unrecognized request format: /),
    });
  });

  it('rejects features fastText cannot read as bad input', async () => {
    await expect(
      model.handle({ lang: 'en', page_id: 1, features_str: 'Q1\nQ2' }),
    ).rejects.toBeInstanceOf(InputError);
  });

  it('is closed by close()', async () => {
    const other = await createModel({
      mode: 'offline',
      modelPath: OVA_MODEL,
      version: 'mine',
      userAgent: USER_AGENT,
    });
    expect(other.version).toBe('mine');
    await other.close();
    expect(other.fastText).toBeUndefined();
    await expect(other.predict({ lang: 'en', page_id: 1, features_str: '' })).rejects.toThrow(
      /closed/,
    );
  });

  it('refuses an unknown mode', async () => {
    await expect(createModel({ mode: 'local' as never })).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });
});
