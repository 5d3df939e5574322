import { ConfigError, InputError, isModelDefinition, type LiftWingModel } from '@liftwing/core';
import {
  bodiesSentDuring,
  type FakeGateway,
  gatewayClient,
  type PredictRequest,
  refusalOf,
  startFakeGateway,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createReferenceNeedModel,
  createReferenceRiskModel,
  definitions,
  type ReferenceNeedModel,
  type ReferenceNeedResponse,
  type ReferenceRiskModel,
  type ReferenceRiskResponse,
} from '../src/index.js';

/** The server's answers, shaped as `model.py` builds them; `rev_id` 404 is a deleted revision. */
function answer(name: 'reference-need' | 'reference-risk') {
  return ({ json }: PredictRequest) => {
    const { lang, rev_id: revId, extended_output: extended } = json as Record<string, unknown>;
    if (revId === 404) {
      return {
        status: 400,
        body: {
          error: `Could not make prediction for revision 404 (${lang}). Reason: {'error': 'nosuchrevid'}`,
        },
      };
    }
    if (lang === 'xx') return { status: 400, body: { error: 'Unsupported lang: xx.' } };
    const common = {
      model_name: name,
      model_version: 'v1',
      wiki_db: `${lang}wiki`,
      revision_id: revId,
    };
    if (name === 'reference-need') return { body: { ...common, reference_need_score: 0.92 } };
    return {
      body: {
        ...common,
        reference_count: 23,
        survival_ratio: { min: 0.15, mean: 0.68, median: 0.71 },
        reference_risk_score: 0.12,
        ...(extended === 'true' ? { references: [{ url: 'https://example.org/' }] } : {}),
      },
    };
  };
}

let gateway: FakeGateway;
let need: ReferenceNeedModel;
let risk: ReferenceRiskModel;

beforeAll(async () => {
  gateway = await startFakeGateway({
    'reference-need': answer('reference-need'),
    'reference-risk': answer('reference-risk'),
  });
  need = await createReferenceNeedModel({ client: gatewayClient(gateway, 'reference-quality') });
  risk = await createReferenceRiskModel({ client: gatewayClient(gateway, 'reference-quality') });
});

afterAll(async () => {
  await need?.close();
  await risk?.close();
  await gateway?.close();
});

/** The bodies sent while `run` runs. */
const sent = (run: () => Promise<unknown>) => bodiesSentDuring(gateway, run);

describe('definitions', () => {
  it('defines both models of the server, online only', () => {
    expect(definitions.map((d) => [d.name, d.alias, d.package, d.pin, d.modes])).toEqual([
      ['reference-need', 'reference-need', '@liftwing/reference-quality', null, ['online']],
      ['reference-risk', 'reference-risk', '@liftwing/reference-quality', null, ['online']],
    ]);
    for (const definition of definitions) expect(isModelDefinition(definition)).toBe(true);
    expect(definitions[1].request.properties.extended_output).toMatchObject({
      type: 'boolean',
      default: false,
    });
  });

  it('creates each model through its definition', async () => {
    const model = (await definitions[0].create({
      client: gatewayClient(gateway, 'reference-quality'),
    })) as LiftWingModel<unknown, unknown>;
    expect(model.name).toBe('reference-need');
    await expect(definitions[1].create({ mode: 'offline' })).rejects.toThrow(ConfigError);
  });
});

describe('reference-need online', () => {
  it('posts {lang, rev_id} to reference-need:predict and returns the answer', async () => {
    let response: ReferenceNeedResponse | undefined;
    const bodies = await sent(async () => {
      response = await need.predict({ lang: 'en', rev_id: 1242378206 });
    });
    expect(bodies).toEqual([{ lang: 'en', rev_id: 1242378206 }]);
    expect(response).toEqual({
      model_name: 'reference-need',
      model_version: 'v1',
      wiki_db: 'enwiki',
      revision_id: 1242378206,
      reference_need_score: 0.92,
    });
    expect(need).toMatchObject({ name: 'reference-need', mode: 'online', version: undefined });
  });

  it("turns the server's 400s into InputErrors with its message", async () => {
    await expect(need.predict({ lang: 'xx', rev_id: 1 })).rejects.toMatchObject({
      code: 'invalid_input',
      status: 400,
      bodyKey: 'error',
      message: 'Unsupported lang: xx.',
    });
    const error = (await need.predict({ lang: 'en', rev_id: 404 }).catch((e) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.toResponseBody()).toEqual({
      error: "Could not make prediction for revision 404 (en). Reason: {'error': 'nosuchrevid'}",
    });
  });

  it.each([
    [{ rev_id: 1 }, 'The parameter lang is required.'],
    [{ lang: '', rev_id: 1 }, 'The parameter lang is required.'],
    [{ lang: 'en' }, 'The parameter rev_id is required.'],
    [{ lang: 'en', rev_id: 0 }, 'The parameter rev_id is required.'],
    [{}, 'The parameter lang is required.'],
    [
      { lang: 'enwiki', rev_id: 1 },
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
    ],
    [{ lang: 5, rev_id: 1 }, 'The parameter lang must be a string such as "en"; got 5.'],
    [
      { lang: 'en', rev_id: '12' },
      'The parameter rev_id must be a positive integer revision id; got "12".',
    ],
    [
      { lang: 'en', rev_id: -3 },
      'The parameter rev_id must be a positive integer revision id; got -3.',
    ],
    [[1], /is a JSON object such as/],
  ])('refuses %j with the 400 before any request', async (body, message) => {
    const { handled, predicted, sent } = await refusalOf(gateway, need, body);
    expect(predicted).toBeInstanceOf(InputError);
    expect(predicted).toMatchObject({ status: 400, bodyKey: 'error' });
    expect((predicted as InputError).message).toMatch(message);
    expect(handled).toBeInstanceOf(Error);
    expect((handled as Error).message).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('sends each request of a batch alone: the server has no batch form', async () => {
    const progress: number[] = [];
    let results: Awaited<ReturnType<ReferenceNeedModel['predictMany']>> = [];
    const bodies = await sent(async () => {
      results = await need.predictMany(
        [
          { lang: 'en', rev_id: 1 },
          { lang: 'enwiki', rev_id: 2 },
          { lang: 'fr', rev_id: 3 },
          { lang: 'en', rev_id: 404 },
        ],
        { onProgress: (p) => progress.push(p.done) },
      );
    });
    expect(bodies).toEqual([
      { lang: 'en', rev_id: 1 },
      { lang: 'fr', rev_id: 3 },
      { lang: 'en', rev_id: 404 },
    ]);
    expect(results.map((r) => (r.ok ? r.value.revision_id : r.error.message))).toEqual([
      1,
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
      3,
      "Could not make prediction for revision 404 (en). Reason: {'error': 'nosuchrevid'}",
    ]);
    expect(progress.at(-1)).toBe(4);
  });

  it('handleMany answers JSONL lines in order', async () => {
    const results = await need.handleMany([
      { rawBody: '{"lang": "en", "rev_id": 7}' },
      { rawBody: '{"lang": "en"' },
      { rawBody: '{"lang": "de", "rev_id": 8}' },
    ]);
    expect(results[0]).toMatchObject({ ok: true, value: { revision_id: 7, wiki_db: 'enwiki' } });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(results[2]).toMatchObject({ ok: true, value: { revision_id: 8, wiki_db: 'dewiki' } });
  });
});

describe('reference-risk online', () => {
  it('posts to reference-risk:predict and types the answer', async () => {
    let response: ReferenceRiskResponse | undefined;
    const bodies = await sent(async () => {
      response = await risk.predict({ lang: 'en', rev_id: 1242378206 });
    });
    expect(bodies).toEqual([{ lang: 'en', rev_id: 1242378206 }]);
    expect(response).toEqual({
      model_name: 'reference-risk',
      model_version: 'v1',
      wiki_db: 'enwiki',
      revision_id: 1242378206,
      reference_count: 23,
      survival_ratio: { min: 0.15, mean: 0.68, median: 0.71 },
      reference_risk_score: 0.12,
    });
    expect(response?.references).toBeUndefined();
  });

  it("sends extended_output as the string the server's strtobool reads", async () => {
    let response: ReferenceRiskResponse | undefined;
    const bodies = await sent(async () => {
      response = await risk.predict({ lang: 'en', rev_id: 5, extended_output: true });
      await risk.handle({ lang: 'en', rev_id: 6, extended_output: false });
      await risk.handle({ lang: 'en', rev_id: 7, extended_output: 'Yes' });
    });
    expect(bodies).toEqual([
      { lang: 'en', rev_id: 5, extended_output: 'true' },
      { lang: 'en', rev_id: 6, extended_output: 'false' },
      { lang: 'en', rev_id: 7, extended_output: 'Yes' },
    ]);
    expect(response?.references).toEqual([{ url: 'https://example.org/' }]);
  });

  it.each([
    ['maybe', 'The parameter extended_output must be true or false; got "maybe".'],
    [null, 'The parameter extended_output must be true or false; got null.'],
    [1, 'The parameter extended_output must be true or false; got 1.'],
  ])('refuses extended_output %j before any request', async (value, message) => {
    const bodies = await sent(async () => {
      await expect(
        risk.predict({ lang: 'en', rev_id: 5, extended_output: value as never }),
      ).rejects.toThrow(message);
    });
    expect(bodies).toEqual([]);
  });

  it('checks lang and rev_id as reference-need does', async () => {
    await expect(risk.predict({ lang: 'dewiki', rev_id: 5 })).rejects.toThrow(/'wiki' suffix/);
    await expect(risk.predict({ lang: 'de' } as never)).rejects.toThrow(
      'The parameter rev_id is required.',
    );
  });
});
