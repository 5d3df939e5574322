import { ConfigError, InputError, isModelDefinition, type LiftWingModel } from '@liftwing/core';
import { type FakeGateway, type PredictRequest, startFakeGateway } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMultilingualModel,
  createWikidataModel,
  definition,
  definitions,
  type MultilingualModel,
  type MultilingualResponse,
  pythonStr,
  type WikidataModel,
  type WikidataResponse,
} from '../src/index.js';

const client = {
  rateLimit: false,
  retries: 0,
  userAgent: 'revertrisk-family-tests (test@example.org)',
} as const;

/**
 * The multilingual server's answers, shaped as `base_model.py` builds them: rev_id 404 is a
 * deleted revision (422), and a request without lang is what the server answers for an
 * `instances` body (400, KServe's `error`).
 */
function multilingual({ json }: PredictRequest) {
  const { lang, rev_id: revId } = json as Record<string, unknown>;
  if (lang === undefined)
    return { status: 400, body: { error: 'The parameter lang is required.' } };
  if (revId === 404) {
    return {
      status: 422,
      body: {
        detail: `Could not make prediction for revision 404 (${lang}). Reason: revision_missing`,
      },
    };
  }
  if (revId === 405) return { status: 422, body: { detail: 'Something else went wrong.' } };
  if (lang === 'xx') {
    return {
      status: 400,
      body: { detail: "lang 'xx' does not exist in the canonical Wikipedia language list." },
    };
  }
  const p = (revId as number) % 2 === 0 ? 0.2 : 0.8;
  return {
    body: {
      model_name: 'revertrisk-multilingual',
      model_version: '1.0',
      wiki_db: `${lang}wiki`,
      revision_id: revId,
      output: { prediction: p > 0.5, probabilities: { true: p, false: 1 - p } },
    },
  };
}

/** The Wikidata server's answers, shaped as `revertrisk_wikidata/model_server/model.py` builds them. */
function wikidata({ json }: PredictRequest) {
  const { rev_id: revId } = json as Record<string, unknown>;
  if (revId === 500) return { status: 500, body: { error: 'Error in preprocess for rev_id 500.' } };
  return {
    body: {
      model_name: 'revertrisk-wikidata',
      model_version: '2',
      revision_id: revId,
      output: { prediction: false, probabilities: { true: 0.39, false: 0.61 } },
    },
  };
}

let gateway: FakeGateway;
let ml: MultilingualModel;
let wd: WikidataModel;

beforeAll(async () => {
  gateway = await startFakeGateway({
    'revertrisk-multilingual': multilingual,
    'revertrisk-wikidata': wikidata,
  });
  ml = await createMultilingualModel({ client: { ...client, apiUrl: gateway.apiUrl } });
  wd = await createWikidataModel({ client: { ...client, apiUrl: gateway.apiUrl } });
});

afterAll(async () => {
  await ml?.close();
  await wd?.close();
  await gateway?.close();
});

/** The requests (model, body) sent while `run` runs. */
async function sent(run: () => Promise<unknown>): Promise<unknown[]> {
  const start = gateway.requests.length;
  await run().catch(() => undefined);
  return gateway.requests.slice(start).map((r) => [r.path, JSON.parse(r.body)]);
}

const path = (name: string) => `/v1/models/${name}:predict`;

describe('definitions', () => {
  it('lists the family: language-agnostic first (still `definition`), then the online-only models', () => {
    expect(definitions.map((d) => [d.name, d.alias, d.package, d.pin === null, d.modes])).toEqual([
      [
        'revertrisk-language-agnostic',
        'revertrisk',
        '@liftwing/revertrisk',
        false,
        ['online', 'offline'],
      ],
      [
        'revertrisk-multilingual',
        'revertrisk-multilingual',
        '@liftwing/revertrisk',
        true,
        ['online'],
      ],
      ['revertrisk-wikidata', 'revertrisk-wikidata', '@liftwing/revertrisk', true, ['online']],
    ]);
    expect(definitions[0]).toBe(definition);
    for (const d of definitions) expect(isModelDefinition(d)).toBe(true);
    expect(definitions[1].request.required).toEqual(['lang', 'rev_id']);
    expect(Object.keys(definitions[2].request.properties)).toEqual(['rev_id']);
    expect(definitions[2].request.required).toEqual(['rev_id']);
  });

  it('creates each model through its definition, online only', async () => {
    const options = { client: { ...client, apiUrl: gateway.apiUrl } };
    const created = [
      (await definitions[1].create(options)) as LiftWingModel<unknown, unknown>,
      (await definitions[2].create(options)) as LiftWingModel<unknown, unknown>,
    ];
    expect(created.map((m) => [m.name, m.mode, m.version])).toEqual([
      ['revertrisk-multilingual', 'online', undefined],
      ['revertrisk-wikidata', 'online', undefined],
    ]);
    await expect(definitions[1].create({ mode: 'offline' })).rejects.toThrow(ConfigError);
    await expect(createWikidataModel({ mode: 'offline' })).rejects.toThrow(ConfigError);
  });
});

describe('revertrisk-multilingual online', () => {
  it('posts {lang, rev_id} to revertrisk-multilingual:predict and returns the answer', async () => {
    let response: MultilingualResponse | undefined;
    const requests = await sent(async () => {
      response = await ml.predict({ lang: 'en', rev_id: 123456789 });
    });
    expect(requests).toEqual([
      [path('revertrisk-multilingual'), { lang: 'en', rev_id: 123456789 }],
    ]);
    expect(response).toEqual({
      model_name: 'revertrisk-multilingual',
      model_version: '1.0',
      wiki_db: 'enwiki',
      revision_id: 123456789,
      output: { prediction: true, probabilities: { true: 0.8, false: expect.closeTo(0.2) } },
    });
  });

  it.each([
    [{ rev_id: 1 }, 'The parameter lang is required.', 'error'],
    [{ lang: 'en', rev_id: null }, 'The parameter rev_id is required.', 'error'],
    // The server's check_input_param tests Python truthiness.
    [{ lang: '', rev_id: 1 }, 'The parameter lang is required.', 'error'],
    [{ lang: 'en', rev_id: 0 }, 'The parameter rev_id is required.', 'error'],
    [
      { lang: 'enwiki', rev_id: 1 },
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
      'detail',
    ],
    // The server has no batch form: an instances body has no lang.
    [{ instances: [{ lang: 'en', rev_id: 1 }] }, 'The parameter lang is required.', 'error'],
    // Nor does the public service take the pre-save form.
    [{ revision_data: { lang: 'en' } }, 'The parameter lang is required.', 'error'],
  ])('refuses %j with the server message, before sending', async (body, message, bodyKey) => {
    const requests = await sent(async () => {
      const error = await ml.handle(body).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ message, status: 400, bodyKey });
      await expect(ml.predict(body as never)).rejects.toMatchObject({ message });
    });
    expect(requests).toEqual([]);
  });

  it("refuses rev ids that can never be found with liftwing's own 400, before sending", async () => {
    const requests = await sent(() => ml.predict({ lang: 'en', rev_id: -3 }));
    expect(requests).toEqual([]);
    await expect(ml.predict({ lang: 'en', rev_id: -3 })).rejects.toMatchObject({
      status: 400,
      message: 'The parameter rev_id must be a positive integer revision id; got -3.',
    });
  });

  it("turns the server's 422 into a revision_error with its reason", async () => {
    const error = (await ml.predict({ lang: 'de', rev_id: 404 }).catch((e) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({
      code: 'revision_error',
      status: 422,
      bodyKey: 'detail',
      reason: 'revision_missing',
      message: 'Could not make prediction for revision 404 (de). Reason: revision_missing',
    });
    await expect(ml.predict({ lang: 'de', rev_id: 405 })).rejects.toMatchObject({
      code: 'revision_error',
      status: 422,
      message: 'Something else went wrong.',
    });
  });

  it('leaves languages its wiki table does not know to the server, and relays its 400', async () => {
    const requests = await sent(() => ml.predict({ lang: 'xx', rev_id: 1 }));
    expect(requests).toEqual([[path('revertrisk-multilingual'), { lang: 'xx', rev_id: 1 }]]);
    await expect(ml.predict({ lang: 'xx', rev_id: 1 })).rejects.toMatchObject({
      code: 'invalid_input',
      status: 400,
      bodyKey: 'detail',
      message: "lang 'xx' does not exist in the canonical Wikipedia language list.",
    });
  });

  it('sends each revision of predictMany alone (no batch form), results in input order', async () => {
    let results: Awaited<ReturnType<MultilingualModel['predictMany']>> = [];
    const requests = await sent(async () => {
      results = await ml.predictMany([
        { lang: 'en', rev_id: 2 },
        { lang: 'en', rev_id: 0 },
        { lang: 'de', rev_id: 404 },
        { lang: 'fr', rev_id: 3 },
      ]);
    });
    expect(requests).toHaveLength(3);
    expect(requests.map((r) => (r as unknown[])[1])).toEqual(
      expect.arrayContaining([
        { lang: 'en', rev_id: 2 },
        { lang: 'de', rev_id: 404 },
        { lang: 'fr', rev_id: 3 },
      ]),
    );
    expect(results.map((r) => (r.ok ? r.value.revision_id : r.error.message))).toEqual([
      2,
      'The parameter rev_id is required.',
      'Could not make prediction for revision 404 (de). Reason: revision_missing',
      3,
    ]);
  });

  it('handleMany answers raw JSONL bodies one request each', async () => {
    const results = await ml.handleMany([
      { body: { lang: 'en', rev_id: 4 } },
      { body: { instances: [] } },
    ]);
    expect(results[0]).toMatchObject({ ok: true, value: { revision_id: 4 } });
    expect(results[1]).toMatchObject({
      ok: false,
      error: { message: 'The parameter lang is required.' },
    });
  });
});

describe('revertrisk-wikidata online', () => {
  it('posts {rev_id} alone to revertrisk-wikidata:predict and returns the answer', async () => {
    let response: WikidataResponse | undefined;
    const requests = await sent(async () => {
      response = await wd.predict({ rev_id: 1799693453 });
    });
    expect(requests).toEqual([[path('revertrisk-wikidata'), { rev_id: 1799693453 }]]);
    expect(response).toEqual({
      model_name: 'revertrisk-wikidata',
      model_version: '2',
      revision_id: 1799693453,
      output: { prediction: false, probabilities: { true: 0.39, false: 0.61 } },
    });
    // The server ignores other fields, so they are not sent.
    const extra = await sent(() => wd.handle({ rev_id: 7, lang: 'en' }));
    expect(extra).toEqual([[path('revertrisk-wikidata'), { rev_id: 7 }]]);
  });

  it.each([
    [{}, 'None'],
    [{ rev_id: null }, 'None'],
    [{ rev_id: 0 }, '0'],
    [{ rev_id: -5 }, '-5'],
    [{ rev_id: 1.5 }, '1.5'],
    [{ rev_id: '123' }, '123'],
    [{ rev_id: true }, 'True'],
    [{ rev_id: [1, 'a'] }, "[1, 'a']"],
    // No batch form: an instances body has no rev_id.
    [{ instances: [{ rev_id: 1 }] }, 'None'],
  ])('refuses %j with the server message, before sending', async (body, shown) => {
    const message = `Invalid rev_id: ${shown}. The rev_id must be a positive integer.`;
    const requests = await sent(async () => {
      await expect(wd.handle(body)).rejects.toMatchObject({
        code: 'invalid_input',
        message,
        status: 400,
        bodyKey: 'detail',
      });
      await expect(wd.predict(body as never)).rejects.toBeInstanceOf(InputError);
    });
    expect(requests).toEqual([]);
  });

  it('keeps the server 500 an HttpError, not an input error', async () => {
    const error = await wd.predict({ rev_id: 500 }).catch((e) => e);
    expect(error).not.toBeInstanceOf(InputError);
    expect(error).toMatchObject({ status: 500 });
  });

  it('sends each revision of predictMany alone and fails bad items without sending them', async () => {
    let results: Awaited<ReturnType<WikidataModel['predictMany']>> = [];
    const requests = await sent(async () => {
      results = await wd.predictMany([{ rev_id: 11 }, { rev_id: -1 }, { rev_id: 12 }]);
    });
    expect(requests.map((r) => (r as unknown[])[1])).toEqual(
      expect.arrayContaining([{ rev_id: 11 }, { rev_id: 12 }]),
    );
    expect(requests).toHaveLength(2);
    expect(results.map((r) => (r.ok ? r.value.revision_id : r.error.message))).toEqual([
      11,
      'Invalid rev_id: -1. The rev_id must be a positive integer.',
      12,
    ]);
  });
});

describe('pythonStr', () => {
  it("prints values as Python's str() does", () => {
    expect(
      [null, undefined, true, false, 'x', 3, { a: ["b'c", 'd\n', null] }].map(pythonStr),
    ).toEqual(['None', 'None', 'True', 'False', 'x', '3', `{'a': ["b'c", 'd\\n', None]}`]);
  });
});
