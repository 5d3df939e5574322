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
  createModel,
  definition,
  LANGID_INTERNAL_HOST,
  type LangIdModel,
  type LangIdResponse,
  TEXT_NOT_STRING,
  TEXT_REQUIRED,
} from '../src/index.js';

/** Answers as the langid server does, from the first word of the text. */
function answer(request: PredictRequest) {
  const { text } = request.json as { text: string };
  const response: LangIdResponse = text.startsWith('Ein')
    ? { language: 'deu_Latn', wikicode: 'de', languagename: 'German', score: 0.98 }
    : { language: 'eng_Latn', wikicode: 'en', languagename: 'English', score: 0.392 };
  return { body: response };
}

const client = (gateway: FakeGateway, extra = {}) => gatewayClient(gateway, 'langid', extra);

let gateway: FakeGateway;
let model: LangIdModel;

beforeAll(async () => {
  gateway = await startFakeGateway({ langid: answer });
  model = await createModel({ client: client(gateway) });
});

afterAll(async () => {
  await model?.close();
  await gateway?.close();
});

describe('langid online', () => {
  it('asks /v1/models/langid:predict with the text and answers the typed response', async () => {
    const start = gateway.requests.length;
    const response = await model.predict({ text: 'A wiki is a form of hypertext publication.' });
    expect(response).toEqual({
      language: 'eng_Latn',
      wikicode: 'en',
      languagename: 'English',
      score: 0.392,
    });
    const sent = gateway.requests.slice(start);
    expect(sent.map((r) => r.path)).toEqual(['/v1/models/langid:predict']);
    expect(JSON.parse(sent[0]!.body)).toEqual({
      text: 'A wiki is a form of hypertext publication.',
    });
    expect(model).toMatchObject({ name: 'langid', mode: 'online', version: undefined });
  });

  it.each([
    [{}, TEXT_REQUIRED],
    [{ text: null }, TEXT_REQUIRED],
    [{ text: '' }, TEXT_REQUIRED],
    [{ text: 0 }, TEXT_REQUIRED],
    [{ text: false }, TEXT_REQUIRED],
    [{ text: [] }, TEXT_REQUIRED],
    [{ text: 42 }, TEXT_NOT_STRING],
    [{ text: ['a'] }, TEXT_NOT_STRING],
    [{ text: { a: 1 } }, TEXT_NOT_STRING],
  ])('rejects %j with the server message, sending nothing', async (body, message) => {
    const { handled, predicted, sent } = await refusalOf(gateway, model, body);
    expect(handled).toBeInstanceOf(InputError);
    expect(handled).toMatchObject({ status: 400, bodyKey: 'error', message });
    expect((handled as InputError).toResponseBody()).toEqual({ error: message });
    expect(predicted).toMatchObject({ message });
    expect(sent).toEqual([]);
  });

  it('rejects a body that is not an object with its own 400', async () => {
    await expect(model.handle(['text'])).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^A langid request is a JSON object/),
    });
  });

  it('turns the server 400 into an InputError with its message', async () => {
    gateway.models.langid = { status: 400, body: { error: TEXT_REQUIRED } };
    try {
      // Whitespace only passes the server check; a server that refused it answers in its words.
      await expect(model.predict({ text: '   ' })).rejects.toMatchObject({
        status: 400,
        bodyKey: 'error',
        message: TEXT_REQUIRED,
      });
    } finally {
      gateway.models.langid = answer;
    }
  });

  it('sends each text of predictMany and handleMany alone (the server has no batch form)', async () => {
    const start = gateway.requests.length;
    const progress: number[] = [];
    const results = await model.predictMany(
      [{ text: 'Ein Wiki ist eine Website.' }, { text: 7 } as never, { text: 'A wiki.' }],
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(results).toMatchObject([
      { ok: true, value: { language: 'deu_Latn', wikicode: 'de' } },
      { ok: false, error: { message: TEXT_NOT_STRING } },
      { ok: true, value: { language: 'eng_Latn' } },
    ]);
    expect(progress.at(-1)).toBe(3);
    const lines = ['{"text": "Ein Wiki"}', '{"text": ""}', '{', '{"text": "A wiki"}'];
    const handled = await model.handleMany(lines.map((rawBody) => ({ rawBody })));
    expect(handled).toMatchObject([
      { ok: true, value: { language: 'deu_Latn' } },
      { ok: false, error: { message: TEXT_REQUIRED } },
      { ok: false, error: { code: 'invalid_input' } },
      { ok: true, value: { language: 'eng_Latn' } },
    ]);
    const bodies = gateway.requests.slice(start).map((r) => JSON.parse(r.body));
    // Requests run concurrently, so the server sees them in any order.
    expect(sortedBodies(bodies)).toEqual(
      sortedBodies([
        { text: 'Ein Wiki ist eine Website.' },
        { text: 'A wiki.' },
        { text: 'Ein Wiki' },
        { text: 'A wiki' },
      ]),
    );
  });

  it('sends its service Host on the WMF-internal endpoint', async () => {
    const internal = await createModel({ client: client(gateway, { internal: true }) });
    const host = await hostSentDuring(gateway, () => internal.predict({ text: 'A wiki.' }));
    expect(host).toBe(LANGID_INTERNAL_HOST);
    expect(LANGID_INTERNAL_HOST).toBe('langid.llm.wikimedia.org');
  });

  it('refuses a mode that does not exist', async () => {
    await expect(createModel({ mode: 'local' as never })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('langid definition', () => {
  it('names the model and creates it', async () => {
    expect(definition).toMatchObject({
      name: 'langid',
      alias: 'langid',
      package: '@liftwing/langid',
      modes: ['online', 'offline'],
      request: { required: ['text'] },
    });
    const created = await definition.create({ client: client(gateway) });
    await expect(created.predict({ text: 'A wiki.' })).resolves.toMatchObject({
      language: 'eng_Latn',
    });
  });
});
