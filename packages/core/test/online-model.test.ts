import { type FakeGateway, startFakeGateway } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/index.js';
import { createOnlineModel, isJsonObject, type OnlineModelSpec } from '../src/model-kit.js';

interface Req {
  text: string;
}
interface Res {
  model_name: string;
  length: number;
}

// A server that answers {text} with its length, and {instances} with one answer each.
let gateway: FakeGateway;
beforeAll(async () => {
  const answer = (item: unknown) => {
    const { text } = item as Req;
    if (text === 'server-rejects') return undefined;
    return { model_name: 'len-model', length: text.length };
  };
  gateway = await startFakeGateway({
    'len-model': ({ json }) => {
      const { instances } = json as { instances?: unknown[] };
      if (instances) return { body: { predictions: instances.map(answer) } };
      const one = answer(json);
      return one === undefined
        ? { status: 400, body: { detail: 'The server says no.' } }
        : { body: one };
    },
  });
});
afterAll(() => gateway?.close());

const spec: OnlineModelSpec<Req, Res> = {
  name: 'len-model',
  validate(body) {
    if (!isJsonObject(body) || typeof body.text !== 'string') {
      throw new InputError('The parameter text is required.');
    }
    return body as unknown as Req;
  },
  batch: {
    maxBatchSize: 3,
    toBody: (items) => (items.length === 1 ? items[0] : { instances: items }),
    splitResponse: (response, items) =>
      items.length === 1 ? [response as Res] : (response as { predictions: Res[] }).predictions,
  },
  isBatchBody: (body) => isJsonObject(body) && Array.isArray(body.instances),
  validateBatch(body) {
    for (const item of (body as { instances: unknown[] }).instances) spec.validate(item);
    return body;
  },
  timeoutMs: 5000,
};

const model = () =>
  createOnlineModel(spec, {
    client: { apiUrl: gateway.apiUrl, rateLimit: false, retries: 0, userAgent: 'tests (t@e.org)' },
  });

describe('createOnlineModel', () => {
  it('checks a request before sending it, and sends it as given', async () => {
    const start = gateway.bodies.length;
    await expect(model().predict({ text: 'abc' })).resolves.toEqual({
      model_name: 'len-model',
      length: 3,
    });
    await expect(model().predict({} as Req)).rejects.toThrow('The parameter text is required.');
    expect(gateway.bodies.slice(start)).toEqual([{ text: 'abc' }]);
  });

  it("turns the server's 400 into an InputError with its message and body key", async () => {
    const error = await model()
      .predict({ text: 'server-rejects' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ message: 'The server says no.', status: 400, bodyKey: 'detail' });
  });

  it('batches single requests in the server form; a batch body is checked and sent whole', async () => {
    const start = gateway.bodies.length;
    const bodies = ['a', 'bb', 'ccc', 'dddd'].map((text) => ({
      rawBody: JSON.stringify({ text }),
    }));
    bodies.splice(1, 0, { rawBody: '{"nope": 1}' }, { rawBody: '{"instances": [{"text": "xy"}]}' });
    const results = await model().handleMany(bodies);
    expect(results.map((r) => (r.ok ? r.value : r.error.message))).toEqual([
      { model_name: 'len-model', length: 1 },
      'The parameter text is required.',
      { predictions: [{ model_name: 'len-model', length: 2 }] },
      { model_name: 'len-model', length: 2 },
      { model_name: 'len-model', length: 3 },
      { model_name: 'len-model', length: 4 },
    ]);
    expect(gateway.bodies.slice(start)).toEqual([
      { instances: [{ text: 'a' }, { text: 'bb' }, { text: 'ccc' }] },
      { text: 'dddd' },
      { instances: [{ text: 'xy' }] },
    ]);
    await expect(model().handle({ instances: [{ wrong: 1 }] })).rejects.toThrow(
      'The parameter text is required.',
    );
  });
});

describe('createOnlineModel asked to run offline', () => {
  it('says no, with the model its message or the default, and sends nothing', () => {
    const start = gateway.bodies.length;
    expect(() => createOnlineModel(spec, { mode: 'offline' })).toThrow(
      "len-model runs only online (on Lift Wing); drop mode: 'offline'.",
    );
    expect(() =>
      createOnlineModel({ ...spec, offlineMessage: 'Not here.' }, { mode: 'offline' }),
    ).toThrow('Not here.');
    expect(gateway.bodies.length).toBe(start);
  });
});
