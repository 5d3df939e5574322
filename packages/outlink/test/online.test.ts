import { HttpError, InputError, LiftWingClient } from '@liftwing/core';
import {
  type Answer,
  type FakeGateway,
  type PredictRequest,
  startFakeGateway,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModel, type OutlinkModel } from '../src/index.js';
import { USER_AGENT } from './helpers.js';

const EINSTEIN = {
  prediction: {
    article: 'https://en.wikipedia.org/wiki/Albert_Einstein',
    results: [
      { topic: 'STEM.Physics', score: 0.9990700483322144 },
      { topic: 'Culture.Biography.Biography*', score: 0.8267217874526978 },
    ],
  },
};

let gateway: FakeGateway;
let model: OutlinkModel;
let answer: (request: PredictRequest) => Answer;

beforeAll(async () => {
  gateway = await startFakeGateway({ 'outlink-topic-model': (request) => answer(request) });
  model = await createModel({
    mode: 'online',
    client: new LiftWingClient({
      apiUrl: `${gateway.url}/v1/models/`,
      rateLimit: false,
      retries: 0,
      userAgent: USER_AGENT,
      env: {},
    }),
  });
});
afterAll(async () => {
  await model.close();
  await gateway.close();
});
beforeEach(() => {
  gateway.requests.length = 0;
  answer = () => ({ body: EINSTEIN });
});

describe('online', () => {
  it('forwards the request body as given and returns the response', async () => {
    const request = { lang: 'en', page_title: 'Albert_Einstein', threshold: 0.8, revision_id: 5 };
    expect(await model.predict(request)).toEqual(EINSTEIN);
    expect(gateway.requests).toHaveLength(1);
    expect(gateway.requests[0]?.path).toBe('/v1/models/outlink-topic-model:predict');
    expect(gateway.requests[0]?.body).toBe(JSON.stringify(request));
    expect(model.version).toBeUndefined();
    expect(model.fastText).toBeUndefined();
  });

  it('sends an integer-valued threshold as the double just below it, which Lift Wing reads as a float', async () => {
    await model.predict({ lang: 'en', page_id: 1, threshold: 1 });
    await model.predict({ lang: 'en', page_id: 1, threshold: 0 });
    await model.handle({ lang: 'en', page_id: 1, threshold: 5 });
    const sent = gateway.requests.map((r) => /"threshold":([^,}]+)/.exec(r.body)?.[1]);
    expect(sent).toEqual(['0.9999999999999999', '-5e-324', '1.9999999999999998']);
  });

  it('validates locally with the service messages, without a request', async () => {
    await expect(model.predict({ lang: 'en' })).rejects.toMatchObject({
      status: 400,
      message: 'You must pass either `page_title` or `page_id`.',
    });
    const raw = '{"lang":"en","page_id":1,"threshold":1}';
    await expect(model.handle(JSON.parse(raw), { rawBody: raw })).rejects.toBeInstanceOf(
      InputError,
    );
    expect(gateway.requests).toHaveLength(0);
  });

  it('turns a gateway 400 into an InputError with the body key Lift Wing used', async () => {
    const detail =
      "Cannot fetch revision 1 on en.wikipedia.org: MediaWiki API error 'nosuchrevid'.";
    answer = () => ({ status: 400, body: { detail } });
    const error = await model.handle({ lang: 'en', page_id: 1, revision_id: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.toResponseBody()).toEqual({ detail });
    expect(error.cause).toBeInstanceOf(HttpError);
    answer = () => ({ status: 400, body: { error: 'Unknown wiki_id: xwiki' } });
    const other = await model.predict({ lang: 'en', page_id: 1 }).catch((e) => e);
    expect(other.toResponseBody()).toEqual({ error: 'Unknown wiki_id: xwiki' });
  });

  it('leaves a wiki_id its wiki table does not know to the server', async () => {
    const before = gateway.requests.length;
    answer = () => ({ status: 400, body: { error: 'Unknown wiki_id: newwiki' } });
    const error = await model.predict({ wiki_id: 'newwiki', page_id: 1 }).catch((e) => e);
    expect(error.toResponseBody()).toEqual({ error: 'Unknown wiki_id: newwiki' });
    expect(gateway.requests.length - before).toBe(1);
  });

  it('keeps other gateway failures as HttpError', async () => {
    answer = () => ({ status: 500, body: { error: 'An unexpected error has occurred.' } });
    const error = await model.predict({ lang: 'en', page_id: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).not.toBeInstanceOf(InputError);
    expect(error.status).toBe(500);
    expect(error.serverMessage).toBe('An unexpected error has occurred.');
  });

  it('predictMany: one request per valid item, results in order, per-item errors, progress', async () => {
    answer = (request) => {
      const body = JSON.parse(request.body);
      return body.page_id === 2
        ? { status: 400, body: { error: 'nope' } }
        : { body: { prediction: { article: String(body.page_id), results: [] } } };
    };
    const progress: { done: number; failed: number }[] = [];
    const results = await model.predictMany(
      [
        { lang: 'en', page_id: 1 },
        { lang: 'en' },
        { lang: 'en', page_id: 2 },
        { lang: 'en', page_id: 3 },
      ],
      { onProgress: ({ done, failed }) => progress.push({ done, failed }) },
    );
    expect(gateway.requests).toHaveLength(3);
    expect(results.map((r) => (r.ok ? r.value.prediction.article : r.error.message))).toEqual([
      '1',
      'You must pass either `page_title` or `page_id`.',
      'nope',
      '3',
    ]);
    expect(results[2]?.ok === false && results[2].error).toBeInstanceOf(InputError);
    expect(progress.at(-1)).toEqual({ done: 4, failed: 2 });
  });
});
