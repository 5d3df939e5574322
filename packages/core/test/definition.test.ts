import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, isModelDefinition, type ModelDefinition } from '../src/index.js';
import { defineModel, flagOf, handleEach } from '../src/model-kit.js';

const base: ModelDefinition = {
  name: 'example-model',
  alias: 'example',
  package: '@example/model',
  description: 'An example.',
  pin: { model: 'example-model', version: '20240101000000' },
  modes: ['online', 'offline'],
  request: {
    type: 'object',
    properties: {
      rev_id: { type: 'integer', description: 'revision id' },
      features_str: { type: 'string', description: 'QIDs', 'x-flag': 'features' },
    },
    required: ['rev_id'],
    examples: [{ rev_id: 1 }],
  },
  create: () => Promise.reject(new Error('not in this test')),
};

describe('defineModel', () => {
  it('returns a valid definition frozen, and flags derive from field names', () => {
    const definition = defineModel(base);
    expect(Object.isFrozen(definition)).toBe(true);
    expect(isModelDefinition(definition)).toBe(true);
    expect(flagOf('rev_id', definition.request.properties.rev_id!)).toBe('rev-id');
    expect(flagOf('features_str', definition.request.properties.features_str!)).toBe('features');
  });

  it('names every mistake of a package at once', () => {
    const bad: ModelDefinition = {
      ...base,
      pin: null,
      request: {
        ...base.request,
        properties: {
          rev_id: { type: 'integer', description: 'x' },
          'rev-id': { type: 'integer', description: 'y' },
        },
        required: ['lang'],
      },
    };
    const error = (() => {
      try {
        defineModel(bad);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toBe(
      'The model definition of @example/model is not valid: an offline model needs a pin (the ' +
        'version it loads by default); fields rev_id and rev-id share the flag --rev-id; required ' +
        'field lang is not among the properties.',
    );
  });

  it('tells a definition from other exports', () => {
    expect(isModelDefinition({ name: 'x' })).toBe(false);
    expect(isModelDefinition(null)).toBe(false);
  });
});

describe('handleEach', () => {
  it('answers each body, in input order, a failure as its own result', async () => {
    let running = 0;
    let most = 0;
    const results = await handleEach(
      async (request) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        const body = request.body as { n: number };
        if (body.n === 2) throw new InputError('two is not allowed');
        return body.n * 10;
      },
      [1, 2, 3, 4, 5].map((n) => ({ body: { n } })),
      { concurrency: 2 },
    );
    expect(results.map((r) => (r.ok ? r.value : r.error.message))).toEqual([
      10,
      'two is not allowed',
      30,
      40,
      50,
    ]);
    expect(most).toBe(2);
  });

  it('fails the whole batch on a bug (an error that is no liftwing error)', async () => {
    await expect(
      handleEach(() => Promise.reject(new TypeError('bug')), [{ body: {} }]),
    ).rejects.toThrow('bug');
  });
});

describe('defineModel timeoutMs', () => {
  it('takes a positive timeout and refuses any other', () => {
    expect(defineModel({ ...base, timeoutMs: 60_000 }).timeoutMs).toBe(60_000);
    expect(() => defineModel({ ...base, timeoutMs: 0 })).toThrow(
      'timeoutMs must be a positive number of milliseconds, not 0',
    );
  });
});

describe('defineModel offlineNote', () => {
  it('keeps a note for `liftwing pull` and refuses an empty one', () => {
    expect(defineModel({ ...base, offlineNote: 'Convert it first.' }).offlineNote).toBe(
      'Convert it first.',
    );
    expect(defineModel(base).offlineNote).toBeUndefined();
    expect(() => defineModel({ ...base, offlineNote: ' ' })).toThrow(
      'offlineNote must be a non-empty string',
    );
  });
});

describe('defineModel requestFromEvent', () => {
  it('is optional, and a function when given', () => {
    const requestFromEvent = () => ({ lang: 'en' });
    expect(defineModel({ ...base, requestFromEvent }).requestFromEvent).toBe(requestFromEvent);
    expect(defineModel(base).requestFromEvent).toBeUndefined();
    expect(() => defineModel({ ...base, requestFromEvent: 'lang' as never })).toThrow(
      'requestFromEvent must be a function',
    );
  });
});
