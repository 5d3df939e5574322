import { ConfigError, InputError } from '@liftwing/core';
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
  ARTICLE_COUNTRY_INTERNAL_HOST,
  type ArticleCountryModel,
  type ArticleCountryResponse,
  createModel,
  definition,
  requiredMessage,
  WIKI_SUFFIX,
} from '../src/index.js';

/** Answers as the article-country server does. */
function answer(request: PredictRequest) {
  const { lang, title } = request.json as { lang: string; title: string };
  const response: ArticleCountryResponse = {
    model_name: 'article-country',
    model_version: '1',
    prediction: {
      article: `https://${lang}.wikipedia.org/wiki/${title}`,
      wikidata_item: title === 'Nowhere' ? null : 'Q243',
      results:
        title === 'Nowhere'
          ? []
          : [
              {
                country: 'France',
                score: 0.95,
                source: {
                  wikidata_properties: [{ P17: 'country' }, { P625: 'coordinate location' }],
                  categories: ['Category:Buildings and structures in Paris'],
                  links: [{ country: 'France', count: 12, 'prop-tfidf': 0.45 }],
                },
              },
            ],
    },
  };
  return { body: response };
}

const client = (gateway: FakeGateway, extra = {}) =>
  gatewayClient(gateway, 'article-country', extra);

let gateway: FakeGateway;
let model: ArticleCountryModel;

beforeAll(async () => {
  gateway = await startFakeGateway({ 'article-country': answer });
  model = await createModel({ client: client(gateway) });
});

afterAll(async () => {
  await model?.close();
  await gateway?.close();
});

describe('article-country online', () => {
  it('asks /v1/models/article-country:predict with lang and title', async () => {
    const start = gateway.requests.length;
    const response = await model.predict({ lang: 'en', title: 'Eiffel_Tower' });
    expect(response.prediction.article).toBe('https://en.wikipedia.org/wiki/Eiffel_Tower');
    expect(response.prediction.wikidata_item).toBe('Q243');
    const [france] = response.prediction.results;
    expect(france).toMatchObject({ country: 'France', score: 0.95 });
    expect(france?.source.links?.[0]?.['prop-tfidf']).toBe(0.45);
    const sent = gateway.requests.slice(start);
    expect(sent.map((r) => r.path)).toEqual(['/v1/models/article-country:predict']);
    expect(JSON.parse(sent[0]!.body)).toEqual({ lang: 'en', title: 'Eiffel_Tower' });
  });

  it('types an article with no Wikidata item and no countries', async () => {
    const response = await model.predict({ lang: 'en', title: 'Nowhere' });
    expect(response.prediction).toMatchObject({ wikidata_item: null, results: [] });
  });

  it.each([
    [{ title: 'X' }, requiredMessage('lang')],
    [{ lang: '', title: 'X' }, 'The parameter lang is required.'],
    [{ lang: 0, title: 'X' }, 'The parameter lang is required.'],
    [{ lang: 'en' }, 'The parameter title is required.'],
    [{ lang: 'en', title: '' }, 'The parameter title is required.'],
    [{ lang: 'en', title: null }, 'The parameter title is required.'],
    [{}, 'The parameter lang is required.'],
    [{ lang: 'enwiki', title: 'X' }, WIKI_SUFFIX],
    [
      { lang: 5, title: 'X' },
      'The parameter lang must be a Wikipedia language code such as "en"; got 5.',
    ],
    [
      { lang: 'en', title: 42 },
      'The parameter title must be an article title such as "Eiffel_Tower"; got 42.',
    ],
    [
      { event: { meta: { domain: 'en.wikipedia.org' } } },
      'The "event" form of article-country is for Wikimedia\'s event pipeline (it publishes events); send {"lang", "title"} instead.',
    ],
    [
      null,
      'An article-country request is a JSON object such as {"lang": "en", "title": "Eiffel_Tower"}; got null.',
    ],
  ])('rejects %j before sending anything', async (body, message) => {
    const { handled, predicted, sent } = await refusalOf(gateway, model, body);
    expect(handled).toBeInstanceOf(InputError);
    expect(handled).toMatchObject({ status: 400, bodyKey: 'error', message });
    expect((handled as InputError).toResponseBody()).toEqual({ error: message });
    expect(predicted).toMatchObject({ message });
    expect(sent).toEqual([]);
  });

  it('has the server wiki-suffix message word for word', () => {
    expect(WIKI_SUFFIX).toBe(
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
    );
  });

  it('turns a server 400 into an InputError with its message', async () => {
    gateway.models['article-country'] = { status: 400, body: { error: 'bad' } };
    try {
      await expect(model.predict({ lang: 'en', title: 'X' })).rejects.toMatchObject({
        status: 400,
        bodyKey: 'error',
        message: 'bad',
      });
    } finally {
      gateway.models['article-country'] = answer;
    }
  });

  it('sends each request of predictMany and handleMany alone', async () => {
    const start = gateway.requests.length;
    const results = await model.predictMany([
      { lang: 'en', title: 'Eiffel_Tower' },
      { lang: 'frwiki', title: 'Tour_Eiffel' },
      { lang: 'fr', title: 'Tour_Eiffel' },
    ]);
    expect(results).toMatchObject([
      {
        ok: true,
        value: { prediction: { article: 'https://en.wikipedia.org/wiki/Eiffel_Tower' } },
      },
      { ok: false, error: { message: WIKI_SUFFIX } },
      { ok: true, value: { prediction: { article: 'https://fr.wikipedia.org/wiki/Tour_Eiffel' } } },
    ]);
    const handled = await model.handleMany([
      { rawBody: '{"lang": "de", "title": "Eiffelturm"}' },
      { rawBody: '{"lang": "de"}' },
    ]);
    expect(handled).toMatchObject([
      { ok: true, value: { prediction: { wikidata_item: 'Q243' } } },
      { ok: false, error: { message: 'The parameter title is required.' } },
    ]);
    // Requests run concurrently, so the server sees them in any order.
    expect(sortedBodies(gateway.requests.slice(start).map((r) => JSON.parse(r.body)))).toEqual(
      sortedBodies([
        { lang: 'en', title: 'Eiffel_Tower' },
        { lang: 'fr', title: 'Tour_Eiffel' },
        { lang: 'de', title: 'Eiffelturm' },
      ]),
    );
  });

  it('sends its service Host on the WMF-internal endpoint', async () => {
    const internal = await createModel({ client: client(gateway, { internal: true }) });
    const host = await hostSentDuring(gateway, () => internal.predict({ lang: 'en', title: 'X' }));
    expect(host).toBe(ARTICLE_COUNTRY_INTERNAL_HOST);
    expect(ARTICLE_COUNTRY_INTERNAL_HOST).toBe('article-country.article-models.wikimedia.org');
  });

  it('has no offline mode', async () => {
    await expect(createModel({ mode: 'offline' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('article-country definition', () => {
  it('is online only and creates the model', async () => {
    expect(definition).toMatchObject({
      name: 'article-country',
      alias: 'article-country',
      pin: null,
      modes: ['online'],
      request: { required: ['lang', 'title'] },
    });
    const created = await definition.create({ client: client(gateway) });
    await expect(created.predict({ lang: 'en', title: 'X' })).resolves.toMatchObject({
      model_name: 'article-country',
    });
  });
});
