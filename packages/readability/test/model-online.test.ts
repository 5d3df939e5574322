import { ConfigError, InputError, LiftWingError } from '@liftwing/core';
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
  createModel,
  definition,
  FEATURES_UNAVAILABLE,
  LANG_REQUIRED,
  READABILITY_INTERNAL_HOST,
  READABILITY_TIMEOUT_MS,
  REV_ID_REQUIRED,
  type ReadabilityModel,
  type ReadabilityResponse,
  unsupportedLanguageMessage,
} from '../src/index.js';

/**
 * How long the slow answer takes: undici checks header timeouts on a timer of about a second, so
 * a 100 ms timeout fires between 1 and 1.5 s.
 */
const SLOW_MS = 2500;

/** Answers as the readability server does; `xx` is unsupported, rev 404 has no data. */
function answer(request: PredictRequest) {
  const { lang, rev_id } = request.json as { lang: string; rev_id: number };
  if (lang === 'xx') return { status: 400, body: { error: unsupportedLanguageMessage(lang) } };
  if (rev_id === 404) return { status: 400, body: { detail: FEATURES_UNAVAILABLE } };
  const response: ReadabilityResponse = {
    model_name: 'readability',
    model_version: '1',
    wiki_db: `${lang}wiki`,
    revision_id: rev_id,
    output: { score: 0.6433582305908203, fk_score_proxy: 9.397851597845303 },
  };
  return { body: response, delayMs: rev_id === 999 ? SLOW_MS : 0 };
}

const client = (gateway: FakeGateway, extra = {}) => gatewayClient(gateway, 'readability', extra);

let gateway: FakeGateway;
let model: ReadabilityModel;

beforeAll(async () => {
  gateway = await startFakeGateway({ readability: answer });
  model = await createModel({ client: client(gateway) });
});

afterAll(async () => {
  await model?.close();
  await gateway?.close();
});

describe('readability online', () => {
  it('asks /v1/models/readability:predict with lang and rev_id', async () => {
    const start = gateway.requests.length;
    const response = await model.predict({ lang: 'en', rev_id: 123456789 });
    expect(response).toEqual({
      model_name: 'readability',
      model_version: '1',
      wiki_db: 'enwiki',
      revision_id: 123456789,
      output: { score: 0.6433582305908203, fk_score_proxy: 9.397851597845303 },
    });
    const sent = gateway.requests.slice(start);
    expect(sent.map((r) => r.path)).toEqual(['/v1/models/readability:predict']);
    expect(JSON.parse(sent[0]!.body)).toEqual({ lang: 'en', rev_id: 123456789 });
  });

  it.each([
    [{ rev_id: 1 }, LANG_REQUIRED],
    [{ lang: null }, LANG_REQUIRED],
    [{ lang: 'en' }, REV_ID_REQUIRED],
    [{ lang: 5 }, REV_ID_REQUIRED],
    [{ lang: '', rev_id: 1 }, 'Unsupported lang: .'],
    [
      { lang: 5, rev_id: 1 },
      'The parameter lang must be a Wikipedia language code such as "en"; got 5.',
    ],
    [
      { lang: 'en', rev_id: 'a' },
      'The parameter rev_id must be a positive integer revision id; got "a".',
    ],
    [
      { lang: 'en', rev_id: -3 },
      'The parameter rev_id must be a positive integer revision id; got -3.',
    ],
    [
      'en',
      'A readability request is a JSON object such as {"lang": "en", "rev_id": 123456}; got "en".',
    ],
  ])('rejects %j before sending anything', async (body, message) => {
    const { handled, predicted, sent } = await refusalOf(gateway, model, body);
    expect(handled).toBeInstanceOf(InputError);
    expect(handled).toMatchObject({ status: 400, bodyKey: 'error', message });
    expect(predicted).toMatchObject({ message });
    expect(sent).toEqual([]);
  });

  it('leaves languages to the server, and keeps its 400s with their body keys', async () => {
    const unsupported = (await model
      .predict({ lang: 'xx', rev_id: 1 })
      .catch((e: unknown) => e)) as InputError;
    expect(unsupported).toBeInstanceOf(InputError);
    expect(unsupported.toResponseBody()).toEqual({ error: 'Unsupported lang: xx.' });
    const missing = (await model
      .predict({ lang: 'en', rev_id: 404 })
      .catch((e: unknown) => e)) as InputError;
    expect(missing).toBeInstanceOf(InputError);
    expect(missing).toMatchObject({ status: 400, bodyKey: 'detail' });
    expect(missing.toResponseBody()).toEqual({ detail: FEATURES_UNAVAILABLE });
  });

  it('waits a minute by default, longer than the client default, and takes its own timeout', async () => {
    expect(READABILITY_TIMEOUT_MS).toBe(60_000);
    // The client's own 100 ms would cut the slow answer; the model's timeout wins.
    const patient = await createModel({ client: client(gateway, { timeoutMs: 100 }) });
    await expect(patient.predict({ lang: 'en', rev_id: 999 })).resolves.toMatchObject({
      revision_id: 999,
    });
    const hasty = await createModel({ client: client(gateway), predictTimeoutMs: 100 });
    const error = await hasty.predict({ lang: 'en', rev_id: 999 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LiftWingError);
    expect(error).not.toBeInstanceOf(InputError);
    await expect(createModel({ predictTimeoutMs: 0 })).rejects.toBeInstanceOf(ConfigError);
  }, 15_000);

  it('sends each request of predictMany and handleMany alone', async () => {
    const start = gateway.requests.length;
    const results = await model.predictMany([
      { lang: 'en', rev_id: 1 },
      { lang: 'xx', rev_id: 2 },
      { rev_id: 3 } as never,
    ]);
    expect(results).toMatchObject([
      { ok: true, value: { revision_id: 1 } },
      { ok: false, error: { status: 400, message: 'Unsupported lang: xx.' } },
      { ok: false, error: { message: LANG_REQUIRED } },
    ]);
    const handled = await model.handleMany([{ rawBody: '{"lang": "de", "rev_id": 4}' }]);
    expect(handled).toMatchObject([{ ok: true, value: { wiki_db: 'dewiki' } }]);
    // Requests run concurrently, so the server sees them in any order.
    expect(sortedBodies(gateway.requests.slice(start).map((r) => JSON.parse(r.body)))).toEqual(
      sortedBodies([
        { lang: 'en', rev_id: 1 },
        { lang: 'xx', rev_id: 2 },
        { lang: 'de', rev_id: 4 },
      ]),
    );
  });

  it('sends its service Host on the WMF-internal endpoint', async () => {
    const internal = await createModel({ client: client(gateway, { internal: true }) });
    const host = await hostSentDuring(gateway, () => internal.predict({ lang: 'en', rev_id: 1 }));
    expect(host).toBe(READABILITY_INTERNAL_HOST);
    expect(READABILITY_INTERNAL_HOST).toBe('readability.readability.wikimedia.org');
  });

  it('has no offline mode', async () => {
    await expect(createModel({ mode: 'offline' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('readability definition', () => {
  it('is online only and creates the model', async () => {
    expect(definition).toMatchObject({
      name: 'readability',
      alias: 'readability',
      pin: null,
      modes: ['online'],
      request: { required: ['rev_id', 'lang'] },
    });
    const created = await definition.create({ client: client(gateway) });
    await expect(created.predict({ lang: 'en', rev_id: 9 })).resolves.toMatchObject({
      revision_id: 9,
    });
  });
});
