import { ConfigError, InputError, LiftWingClient } from '@liftwing/core';
import {
  type Answer,
  bodiesSentDuring,
  type FakeGateway,
  gatewayClient,
  type PredictRequest,
  refusalOf,
  startFakeGateway,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTICLE_DESCRIPTIONS_LANGUAGES,
  ARTICLE_DESCRIPTIONS_TIMEOUT_MS,
  type ArticleDescriptionsModel,
  type ArticleDescriptionsResponse,
  createModel,
  definition,
} from '../src/index.js';

/** The server's answer, shaped as `model.py` builds it: `num_beams` candidates. */
function answer({ json }: PredictRequest): Answer | Promise<Answer> {
  const { lang, title, num_beams: beams, debug } = json as Record<string, unknown>;
  if (title === 'Slow') return new Promise<Answer>(() => {});
  const body: ArticleDescriptionsResponse = {
    prediction: Array.from({ length: beams as number }, (_, i) => `description ${i + 1}`),
    blp: title === 'Living person',
    lang: lang as string,
    title: title as string,
    num_beams: beams as number,
  };
  if (debug === 1) {
    Object.assign(body, {
      groundtruth: null,
      latency: { 'model (s)': 1.5 },
      features: { descriptions: {}, 'first-paragraphs': {} },
    });
  }
  return { body };
}

let gateway: FakeGateway;
let model: ArticleDescriptionsModel;

beforeAll(async () => {
  gateway = await startFakeGateway({ 'article-descriptions': answer });
  model = await createModel({ client: gatewayClient(gateway, 'article-descriptions') });
});

afterAll(async () => {
  await model?.close();
  await gateway?.close();
});

/** The bodies sent while `run` runs. */
const sent = (run: () => Promise<unknown>) => bodiesSentDuring(gateway, run);

describe('definition', () => {
  it('is online only, with the 25 languages and the OpenAPI fields', () => {
    expect(definition).toMatchObject({
      name: 'article-descriptions',
      alias: 'article-descriptions',
      pin: null,
      modes: ['online'],
    });
    expect(definition.request.properties.lang?.enum).toHaveLength(25);
    expect(definition.request.properties.debug).toMatchObject({ default: 0, enum: [0, 1] });
    expect(definition.request.required).toEqual(['lang', 'title', 'num_beams']);
  });

  it('refuses offline mode', async () => {
    await expect(definition.create({ mode: 'offline' })).rejects.toThrow(ConfigError);
  });
});

describe('online model', () => {
  it('posts the request to article-descriptions:predict and returns the answer', async () => {
    let response: ArticleDescriptionsResponse | undefined;
    const bodies = await sent(async () => {
      response = await model.predict({ lang: 'en', title: 'Clandonald', num_beams: 3 });
    });
    expect(bodies).toEqual([{ lang: 'en', title: 'Clandonald', num_beams: 3 }]);
    expect(response).toEqual({
      prediction: ['description 1', 'description 2', 'description 3'],
      blp: false,
      lang: 'en',
      title: 'Clandonald',
      num_beams: 3,
    });
    expect(model).toMatchObject({ name: 'article-descriptions', mode: 'online' });
  });

  it('types the debug answer', async () => {
    const response = await model.predict({
      lang: 'fr',
      title: 'Tour_Eiffel',
      num_beams: 1,
      debug: 1,
    });
    expect(response.latency?.['model (s)']).toBe(1.5);
    expect(response.groundtruth).toBeNull();
    expect(response.features).toEqual({ descriptions: {}, 'first-paragraphs': {} });
  });

  it('gives the slow model its own timeout, longer than the default', async () => {
    expect(ARTICLE_DESCRIPTIONS_TIMEOUT_MS).toBeGreaterThan(35_000);
    // A client with a short timeout of its own still waits the model's timeout, per call...
    const short = new LiftWingClient(
      gatewayClient(gateway, 'article-descriptions', { timeoutMs: 50 }),
    );
    const own = await createModel({ client: short });
    const controller = new AbortController();
    const pending = own.predict(
      { lang: 'en', title: 'Slow', num_beams: 1 },
      {
        signal: controller.signal,
      },
    );
    const early = await Promise.race([
      pending.then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 300)),
    ]);
    expect(early).toBe('still waiting');
    controller.abort();
    await expect(pending).rejects.toThrow();
  });

  const SUPPORTED = `['${ARTICLE_DESCRIPTIONS_LANGUAGES.join("', '")}']`;

  it.each([
    [{ title: 'X', num_beams: 1 }, 'The parameter lang is required.'],
    [{ lang: '', title: 'X', num_beams: 1 }, 'The parameter lang is required.'],
    [
      { lang: 'pt', title: 'X', num_beams: 1 },
      `Unsupported lang: pt.                 The supported ones are: ${SUPPORTED}.`,
    ],
    [{ lang: 'en', num_beams: 1 }, 'The parameter title is required.'],
    [{ lang: 'en', title: '', num_beams: 1 }, 'The parameter title is required.'],
    [{ lang: 'en', title: 'X' }, 'The parameter num_beams is required.'],
    [{ lang: 'en', title: 'X', num_beams: 0 }, 'The parameter num_beams is required.'],
    [
      { lang: 'en', title: 'X', num_beams: -2 },
      'The parameter num_beams should be a positive number.',
    ],
    [
      { lang: 'en', title: 'X', num_beams: 2.5 },
      'The parameter num_beams should be a positive number.',
    ],
    [
      { lang: 'en', title: 'X', num_beams: '3' },
      'The parameter num_beams should be a positive number.',
    ],
    [
      { lang: 'en', title: 'X', num_beams: 1, debug: 2 },
      'The parameter debug should be either 0 or 1.',
    ],
    [
      { lang: 'en', title: 'X', num_beams: 1, debug: null },
      'The parameter debug should be either 0 or 1.',
    ],
    [
      { lang: 'en', title: 'X', num_beams: 1, debug: '1' },
      'The parameter debug should be either 0 or 1.',
    ],
    [{ lang: ['en'], title: 'X', num_beams: 1 }, /lang must be a language code string/],
    ['en', /is a JSON object such as/],
  ])('refuses %j with the 400 before any request', async (body, message) => {
    const { handled, predicted, sent } = await refusalOf(gateway, model, body);
    expect(predicted).toBeInstanceOf(InputError);
    expect(predicted).toMatchObject({ status: 400, bodyKey: 'error' });
    const { message: said } = predicted as InputError;
    if (typeof message === 'string') expect(said).toBe(message);
    else expect(said).toMatch(message);
    expect(handled).toBeInstanceOf(Error);
    expect((handled as Error).message).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('accepts what Python accepts: num_beams true is 1, debug false is 0', async () => {
    const bodies = await sent(() =>
      model.handle({ lang: 'en', title: 'X', num_beams: true, debug: false }),
    );
    expect(bodies).toEqual([{ lang: 'en', title: 'X', num_beams: true, debug: false }]);
  });

  it("passes the server's own 400s on as InputErrors", async () => {
    gateway.models['article-descriptions'] = {
      status: 400,
      body: { error: 'The parameter num_beams should be a positive number.' },
    };
    try {
      // 3.0 in the raw JSON: Python's float, refused there; JSON.parse makes it 3.
      const error = (await model
        .handle(undefined, { rawBody: '{"lang": "en", "title": "X", "num_beams": 3.0}' })
        .catch((e) => e)) as InputError;
      expect(error).toBeInstanceOf(InputError);
      expect(error.toResponseBody()).toEqual({
        error: 'The parameter num_beams should be a positive number.',
      });
    } finally {
      gateway.models['article-descriptions'] = answer;
    }
  });

  it('sends each request of a batch alone, bad ones not at all', async () => {
    let results: Awaited<ReturnType<ArticleDescriptionsModel['predictMany']>> = [];
    const bodies = await sent(async () => {
      results = await model.predictMany([
        { lang: 'en', title: 'A', num_beams: 1 },
        { lang: 'xx' as never, title: 'B', num_beams: 1 },
        { lang: 'de', title: 'Living person', num_beams: 2 },
      ]);
    });
    expect(bodies).toHaveLength(2);
    expect(results[0]).toMatchObject({
      ok: true,
      value: { title: 'A', prediction: ['description 1'] },
    });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(results[2]).toMatchObject({ ok: true, value: { blp: true, num_beams: 2 } });
  });
});
