import { ConfigError, HttpError, InputError } from '@liftwing/core';
import {
  type FakeGateway,
  gatewayClient,
  hostSentDuring,
  type PredictRequest,
  refusalOf,
  sortedBodies,
  startFakeGateway,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTICLEQUALITY_INTERNAL_HOST,
  type ArticleQualityFeatures,
  type ArticleQualityModel,
  type ArticleQualityResponse,
  createModel,
  definition,
} from '../src/index.js';

const FEATURES: ArticleQualityFeatures = {
  characters: 12000,
  refs: 30,
  wikilinks: 250,
  categories: 12,
  media: 4,
  headings: 9,
  sources: 25,
  infobox: true,
  messagebox: false,
};

/** Answers as the articlequality server does: the extended fields only when asked for. */
function answer(request: PredictRequest) {
  const { lang, rev_id, extended_output } = request.json as Record<string, string | number>;
  if (rev_id === 404) {
    const error = `Fetching html failed for the article revision with id: ${rev_id}. Reason: Not Found`;
    return { status: 404, body: { error } };
  }
  const response: ArticleQualityResponse = {
    score: 0.10391570042067477,
    model_name: 'articlequality',
    model_version: '1',
    wiki_db: `${lang}wiki`,
    revision_id: rev_id as number,
  };
  if (String(extended_output).toLowerCase() === 'true') {
    response.label = 'B';
    response.features = { raw: FEATURES, normalized: { ...FEATURES, characters: 0.9 } };
  }
  return { body: response };
}

const client = (gateway: FakeGateway, extra = {}) =>
  gatewayClient(gateway, 'articlequality', extra);

let gateway: FakeGateway;
let model: ArticleQualityModel;

beforeAll(async () => {
  gateway = await startFakeGateway({ articlequality: answer });
  model = await createModel({ client: client(gateway) });
});

afterAll(async () => {
  await model?.close();
  await gateway?.close();
});

describe('articlequality online', () => {
  it('asks /v1/models/articlequality:predict with lang and rev_id', async () => {
    const start = gateway.requests.length;
    const response = await model.predict({ lang: 'en', rev_id: 12345 });
    expect(response).toEqual({
      score: 0.10391570042067477,
      model_name: 'articlequality',
      model_version: '1',
      wiki_db: 'enwiki',
      revision_id: 12345,
    });
    expect(response.label).toBeUndefined();
    const sent = gateway.requests.slice(start);
    expect(sent.map((r) => r.path)).toEqual(['/v1/models/articlequality:predict']);
    expect(JSON.parse(sent[0]!.body)).toEqual({ lang: 'en', rev_id: 12345 });
  });

  it('sends extended_output as the string the server reads, and types the extended answer', async () => {
    const start = gateway.requests.length;
    const response = await model.predict({ lang: 'de', rev_id: 7, extended_output: 'True' });
    expect(response.label).toBe('B');
    expect(response.features?.raw.infobox).toBe(true);
    expect(response.features?.normalized.characters).toBe(0.9);
    expect(JSON.parse(gateway.requests[start]!.body)).toEqual({
      lang: 'de',
      rev_id: 7,
      extended_output: 'True',
    });
  });

  it.each([
    [{ rev_id: 1 }, 'The parameter lang is required.'],
    [{ lang: null, rev_id: 1 }, 'The parameter lang is required.'],
    [
      { lang: 5, rev_id: 1 },
      'The parameter lang must be a Wikipedia language code such as "en"; got 5.',
    ],
    [
      { lang: '', rev_id: 1 },
      'The parameter lang must be a Wikipedia language code such as "en"; got "".',
    ],
    [{ lang: 'en' }, 'The parameter rev_id is required.'],
    [
      { lang: 'en', rev_id: '12' },
      'The parameter rev_id must be a positive integer revision id; got "12".',
    ],
    [
      { lang: 'en', rev_id: 1.5 },
      'The parameter rev_id must be a positive integer revision id; got 1.5.',
    ],
    [
      { lang: 'en', rev_id: 0 },
      'The parameter rev_id must be a positive integer revision id; got 0.',
    ],
    [
      { lang: 'en', rev_id: 1, extended_output: true },
      'The parameter extended_output must be the string "true" or "false"; got true.',
    ],
    [
      { lang: 'en', rev_id: 1, extended_output: 'maybe' },
      'The parameter extended_output must be the string "true" or "false"; got "maybe".',
    ],
    [
      [{ lang: 'en', rev_id: 1 }],
      'An articlequality request is a JSON object such as {"lang": "en", "rev_id": 12345}; got [{"lang":"en","rev_id":1}].',
    ],
  ])('rejects %j before sending anything', async (body, message) => {
    const { handled, predicted, sent } = await refusalOf(gateway, model, body);
    expect(handled).toBeInstanceOf(InputError);
    expect(handled).toMatchObject({ status: 400, bodyKey: 'error', message });
    expect(predicted).toMatchObject({ message });
    expect(sent).toEqual([]);
  });

  it('accepts every strtobool spelling of extended_output', async () => {
    for (const value of ['yes', 'Y', 'on', '1', 'no', 'f', 'OFF', '0', 'false']) {
      await expect(
        model.predict({ lang: 'en', rev_id: 1, extended_output: value }),
      ).resolves.toMatchObject({ revision_id: 1 });
    }
  });

  it('leaves a revision the server cannot fetch as its HttpError (not an input error)', async () => {
    const error = await model.predict({ lang: 'en', rev_id: 404 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).not.toBeInstanceOf(InputError);
    expect(error).toMatchObject({ status: 404 });
  });

  it('turns a server 400 into an InputError with its message', async () => {
    gateway.models.articlequality = { status: 400, body: { error: 'bad' } };
    try {
      await expect(model.predict({ lang: 'en', rev_id: 1 })).rejects.toMatchObject({
        status: 400,
        bodyKey: 'error',
        message: 'bad',
      });
    } finally {
      gateway.models.articlequality = answer;
    }
  });

  it('sends each request of predictMany and handleMany alone', async () => {
    const start = gateway.requests.length;
    const results = await model.predictMany([
      { lang: 'en', rev_id: 1 },
      { lang: 'en' } as never,
      { lang: 'fr', rev_id: 2 },
    ]);
    expect(results).toMatchObject([
      { ok: true, value: { wiki_db: 'enwiki', revision_id: 1 } },
      { ok: false, error: { message: 'The parameter rev_id is required.' } },
      { ok: true, value: { wiki_db: 'frwiki', revision_id: 2 } },
    ]);
    const handled = await model.handleMany([
      { rawBody: '{"lang": "en", "rev_id": 3}' },
      { rawBody: 'nope' },
    ]);
    expect(handled).toMatchObject([
      { ok: true, value: { revision_id: 3 } },
      { ok: false, error: { code: 'invalid_input' } },
    ]);
    // Requests run concurrently, so the server sees them in any order.
    expect(sortedBodies(gateway.requests.slice(start).map((r) => JSON.parse(r.body)))).toEqual(
      sortedBodies([
        { lang: 'en', rev_id: 1 },
        { lang: 'fr', rev_id: 2 },
        { lang: 'en', rev_id: 3 },
      ]),
    );
  });

  it('sends its service Host on the WMF-internal endpoint', async () => {
    const internal = await createModel({ client: client(gateway, { internal: true }) });
    const host = await hostSentDuring(gateway, () => internal.predict({ lang: 'en', rev_id: 1 }));
    expect(host).toBe(ARTICLEQUALITY_INTERNAL_HOST);
    expect(ARTICLEQUALITY_INTERNAL_HOST).toBe('articlequality.article-models.wikimedia.org');
  });

  it('has no offline mode', async () => {
    await expect(createModel({ mode: 'offline' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('articlequality definition', () => {
  it('is online only and creates the model', async () => {
    expect(definition).toMatchObject({
      name: 'articlequality',
      alias: 'articlequality',
      pin: null,
      modes: ['online'],
      request: { required: ['lang', 'rev_id'] },
    });
    expect(definition.request.properties.extended_output).toMatchObject({
      type: 'string',
      default: 'false',
    });
    const created = await definition.create({ client: client(gateway) });
    await expect(created.predict({ lang: 'en', rev_id: 9 })).resolves.toMatchObject({
      revision_id: 9,
    });
  });
});
