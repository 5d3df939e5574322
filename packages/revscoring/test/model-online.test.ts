import { ConfigError, HttpError, InputError, isModelDefinition } from '@liftwing/core';
import type { FakeGateway } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  definitions,
  internalHostOf,
  MODEL_TABLE,
  MODELS,
  type RevscoringModel,
  revisionNotFoundMessage,
  scoreOf,
} from '../src/index.js';
import { clientOf, startRevscoringGateway } from './server.js';

const SERVED = [
  'enwiki-damaging',
  'enwiki-articlequality',
  'wikidatawiki-itemtopic',
  'viwiki-reverted',
];

let gateway: FakeGateway;
let damaging: RevscoringModel<'damaging'>;

beforeAll(async () => {
  gateway = await startRevscoringGateway(SERVED);
  damaging = await createModel<'damaging'>({ ...clientOf(gateway), model: 'enwiki-damaging' });
});

afterAll(async () => {
  await damaging?.close();
  await gateway?.close();
});

describe('the table and the definitions', () => {
  it('has one definition per model of the table, each a valid online-only definition', () => {
    expect(definitions).toHaveLength(MODEL_TABLE.models.length);
    expect(definitions.length).toBeGreaterThan(100);
    for (const definition of definitions) {
      expect(isModelDefinition(definition)).toBe(true);
      expect(definition).toMatchObject({
        modes: ['online'],
        pin: null,
        package: '@liftwing/revscoring',
      });
      expect(definition.alias).toBe(definition.name);
      expect(definition.request.required).toEqual(['rev_id']);
    }
    expect(new Set(definitions.map((d) => d.name)).size).toBe(definitions.length);
  });

  it('knows the deployment facts of a few wikis', () => {
    expect(MODEL_TABLE.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(MODELS.get('enwiki-damaging')).toMatchObject({
      wiki: 'enwiki',
      type: 'damaging',
      namespace: 'revscoring-editquality-damaging',
      wikiHost: 'en.wikipedia.org',
    });
    // simplewiki runs enwiki's model file (use_model_from_wiki).
    const simple = MODELS.get('simplewiki-damaging')!;
    expect(simple.modelWiki).toBe('enwiki');
    expect(simple.artifact).toBe(`damaging/enwiki/${simple.version}/model.bin`);
    expect(MODELS.get('wikidatawiki-itemquality')).toMatchObject({
      namespace: 'revscoring-articlequality',
      wikiHost: 'www.wikidata.org',
    });
    expect(MODELS.get('enwiki-draftquality')?.artifact).toMatch(/model\.bz2$/);
    expect(internalHostOf(MODELS.get('wikidatawiki-itemtopic')!)).toBe(
      'wikidatawiki-itemtopic.revscoring-articletopic.wikimedia.org',
    );
  });

  it('creates the model its definition names', async () => {
    const definition = definitions.find((d) => d.name === 'viwiki-reverted')!;
    const model = await definition.create(clientOf(gateway));
    expect(model.name).toBe('viwiki-reverted');
    const start = gateway.bodies.length;
    await expect(model.predict({ rev_id: 12345 })).resolves.toMatchObject({
      viwiki: { scores: { '12345': { reverted: { score: { prediction: false } } } } },
    });
    expect(gateway.bodies.slice(start)).toEqual([{ rev_id: 12345 }]);
  });
});

describe('online model', () => {
  it('asks /v1/models/{wiki}-{type}:predict with the body as given and types the envelope', async () => {
    const start = gateway.bodies.length;
    const response = await damaging.predict({ rev_id: 12375 });
    expect(gateway.bodies.slice(start)).toEqual([{ rev_id: 12375 }]);
    expect(response).toEqual({
      enwiki: {
        models: { damaging: { version: '0.5.1' } },
        scores: {
          '12375': {
            damaging: { score: { prediction: true, probability: { false: 0.25, true: 0.75 } } },
          },
        },
      },
    });
    const score = scoreOf(response, 'enwiki', 'damaging', 12375);
    const prediction: boolean | undefined = score?.prediction;
    expect(prediction).toBe(true);
    expect(damaging).toMatchObject({ wiki: 'enwiki', type: 'damaging', mode: 'online' });
    expect(damaging.version).toBeUndefined();
  });

  it('sends extended_output and returns the features', async () => {
    const start = gateway.bodies.length;
    const response = await damaging.predict({ rev_id: 5, extended_output: true });
    expect(gateway.bodies.slice(start)).toEqual([{ rev_id: 5, extended_output: true }]);
    expect(response.enwiki?.scores['5']?.damaging?.features).toEqual({
      'feature.revision.parent.chars': 1234,
    });
  });

  it('types the prediction of quality and topic models', async () => {
    const quality = await createModel<'articlequality'>({
      ...clientOf(gateway),
      model: 'enwiki-articlequality',
    });
    const label: string | undefined = scoreOf(
      await quality.predict({ rev_id: 1 }),
      'enwiki',
      'articlequality',
      1,
    )?.prediction;
    expect(label).toBe('Stub');
    const topic = await createModel<'itemtopic'>({
      ...clientOf(gateway),
      model: 'wikidatawiki-itemtopic',
    });
    const labels: string[] | undefined = scoreOf(
      await topic.predict({ rev_id: 2 }),
      'wikidatawiki',
      'itemtopic',
      2,
    )?.prediction;
    expect(labels).toEqual(['STEM.STEM*']);
  });

  it.each([
    [{}, 'Expected "rev_id" in input data.'],
    [{ rev_id: '12345' }, 'Expected "rev_id" to be an integer.'],
    [{ rev_id: 1.5 }, 'Expected "rev_id" to be an integer.'],
    [{ rev_id: true }, 'Expected "rev_id" to be an integer.'],
    [{ rev_id: -3 }, revisionNotFoundMessage(-3)],
    [{ event: { $schema: '/mediawiki/page/change/1.1.0' } }, 'Expected "rev_id" in input data.'],
    [
      { event: { $schema: '/mediawiki/recentchange/1.0.0', rev_id: 1 } },
      'Unsupported event of schema /mediawiki/recentchange/1.0.0, the rev_id value cannot be determined.',
    ],
    [[12345], /is a JSON object such as \{"rev_id": 12345\}/],
  ])('rejects %j with the server message, without a request', async (body, message) => {
    const start = gateway.bodies.length;
    const error = (await damaging.predict(body as never).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ status: 400, bodyKey: 'error' });
    if (typeof message === 'string') expect(error.toResponseBody()).toEqual({ error: message });
    else expect(error.message).toMatch(message);
    await expect(damaging.handle(body)).rejects.toThrow(error.message);
    expect(gateway.bodies.length).toBe(start);
  });

  it('takes the revision of an event, as the server does', async () => {
    const start = gateway.bodies.length;
    const event = { $schema: '/mediawiki/revision/create/2.0.0', rev_id: 42, database: 'enwiki' };
    await expect(damaging.handle({ event })).resolves.toMatchObject({
      enwiki: { scores: { '42': { damaging: { score: { prediction: false } } } } },
    });
    expect(gateway.bodies.slice(start)).toEqual([{ event }]);
  });

  it("turns the server's 400 for a revision MediaWiki lacks into an InputError with its message", async () => {
    const error = (await damaging
      .predict({ rev_id: 404404 })
      .catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.toResponseBody()).toEqual({ error: revisionNotFoundMessage(404404) });
  });

  it('answers an unknown wiki with the 404 of Lift Wing, and refuses a name that is no revscoring model', async () => {
    const unknown = await createModel({ ...clientOf(gateway), model: 'xxwiki-damaging' });
    const error = (await unknown.predict({ rev_id: 1 }).catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      status: 404,
      serverMessage: 'Model with name xxwiki-damaging does not exist.',
    });
    await expect(createModel({ model: 'enwiki-quality' })).rejects.toThrow(ConfigError);
    await expect(createModel({ model: 'enwiki-damaging', mode: 'offline' })).rejects.toThrow(
      /runs only on Lift Wing/,
    );
  });

  it('predictMany sends each revision alone (no batch form) and keeps the order', async () => {
    const start = gateway.bodies.length;
    const progress: number[] = [];
    const results = await damaging.predictMany(
      [{ rev_id: 11 }, { rev_id: 0 }, { rev_id: 404404 }, { rev_id: 13 }],
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(gateway.bodies.slice(start)).toHaveLength(3);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(results[3]).toMatchObject({ ok: true, value: { enwiki: { scores: { '13': {} } } } });
    expect(results[1]).toMatchObject({
      ok: false,
      error: { status: 400, message: revisionNotFoundMessage(0) },
    });
    expect(progress.at(-1)).toBe(4);
  });

  it('handleMany answers raw JSON lines', async () => {
    const results = await damaging.handleMany([
      { rawBody: '{"rev_id": 21}' },
      { rawBody: '{"rev_id": "x"}' },
      { rawBody: '{' },
    ]);
    expect(results[0]).toMatchObject({ ok: true, value: { enwiki: { scores: { '21': {} } } } });
    expect(results[1]).toMatchObject({
      ok: false,
      error: { message: 'Expected "rev_id" to be an integer.' },
    });
    expect(results[2]).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});
