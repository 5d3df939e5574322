import { ConfigError, HttpError, InputError } from '@liftwing/core';
import {
  type Answer,
  bodiesSentDuring,
  type FakeGateway,
  gatewayClient,
  type PredictRequest,
  startFakeGateway,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  definition,
  EDIT_CHECK_BATCH_SIZE,
  type EditCheckInstance,
  EditCheckInstanceError,
  type EditCheckModel,
  type EditCheckPrediction,
  type EditCheckResponse,
} from '../src/index.js';

/** An instance; `page_title` says which one it is. */
function instance(title: string, extra: Partial<EditCheckInstance> = {}): EditCheckInstance {
  return {
    lang: 'en',
    page_title: title,
    check_type: 'tone',
    original_text: 'Einstein was a scientist who did things.',
    modified_text: 'Einstein was the most brilliant genius who ever lived.',
    ...extra,
  };
}

/** The server's prediction of a good instance. */
function prediction(item: EditCheckInstance): EditCheckPrediction {
  return {
    status_code: 200,
    model_name: 'edit-check',
    model_version: 'v1',
    check_type: item.check_type,
    language: item.lang,
    page_title: item.page_title,
    prediction: true,
    probability: 0.83,
    details: {},
  };
}

/**
 * The server, as `model.py` answers: one prediction per instance, in order. An instance titled
 * "Refused" stands for one the server's own checks refuse (its 400 prediction).
 */
function answer({ json }: PredictRequest): Answer {
  const { instances } = json as { instances: EditCheckInstance[] };
  const body: EditCheckResponse = {
    predictions: instances.map((item) =>
      item.page_title === 'Refused'
        ? { status_code: 400, errors: ["Error in field 'lang': Input should be 'aa', ..."] }
        : prediction(item),
    ),
  };
  return { body };
}

let gateway: FakeGateway;
let model: EditCheckModel;

beforeAll(async () => {
  gateway = await startFakeGateway({ 'edit-check': answer });
  model = await createModel({ client: gatewayClient(gateway, 'edit-check') });
});

afterAll(async () => {
  await model?.close();
  await gateway?.close();
});

/** The bodies sent while `run` runs. */
const sent = (run: () => Promise<unknown>) => bodiesSentDuring(gateway, run);

describe('definition', () => {
  it('describes one instance, online only', () => {
    expect(definition).toMatchObject({ name: 'edit-check', alias: 'edit-check', pin: null });
    expect(definition.modes).toEqual(['online']);
    expect(definition.request.required).toEqual([
      'lang',
      'page_title',
      'check_type',
      'original_text',
      'modified_text',
    ]);
    expect(definition.request.properties.check_type?.enum).toEqual(['tone', 'npov', 'weasel']);
  });

  it('refuses offline mode', async () => {
    await expect(definition.create({ mode: 'offline' })).rejects.toThrow(ConfigError);
  });
});

describe('predict: one instance', () => {
  it('sends {"instances": [instance]} and answers its prediction', async () => {
    let response: EditCheckPrediction | undefined;
    const bodies = await sent(async () => {
      response = await model.predict(instance('Albert Einstein'));
    });
    expect(bodies).toEqual([{ instances: [instance('Albert Einstein')] }]);
    expect(response).toEqual(prediction(instance('Albert Einstein')));
    expect(model).toMatchObject({ name: 'edit-check', mode: 'online', version: undefined });
  });

  it('rejects a bad instance with the errors the server would give it, and sends nothing', async () => {
    const bodies = await sent(async () => {
      const error = (await model
        .predict(instance('X', { modified_text: 'Einstein was a scientist who did things.' }))
        .catch((e) => e)) as EditCheckInstanceError;
      expect(error).toBeInstanceOf(EditCheckInstanceError);
      expect(error).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ code: 'invalid_input', status: 400, bodyKey: 'error' });
      expect(error.errors).toEqual([
        "Error in field 'modified_text': Value error, Original text and modified text must be different",
      ]);
      await expect(model.predict('text' as never)).rejects.toThrow(
        /Input should be a valid dictionary \[type=dict_type, input_value='text', input_type=str\]/,
      );
    });
    expect(bodies).toEqual([]);
  });

  it("turns the server's status-400 prediction into the instance's error", async () => {
    const error = (await model
      .predict(instance('Refused'))
      .catch((e) => e)) as EditCheckInstanceError;
    expect(error).toBeInstanceOf(EditCheckInstanceError);
    expect(error.errors).toEqual(["Error in field 'lang': Input should be 'aa', ..."]);
  });
});

describe('predictMany', () => {
  it(`packs instances into requests of at most ${EDIT_CHECK_BATCH_SIZE}, each with its own result`, async () => {
    const items = Array.from({ length: 45 }, (_, i) => instance(`Page ${i}`));
    items[3] = instance('Refused');
    items[7] = instance('Bad', { check_type: 'style' as never });
    const progress: number[] = [];
    let results: Awaited<ReturnType<EditCheckModel['predictMany']>> = [];
    const bodies = (await sent(async () => {
      results = await model.predictMany(items, { onProgress: (p) => progress.push(p.done) });
    })) as { instances: EditCheckInstance[] }[];
    // The bad instance is not sent: 44 in 20 + 20 + 4.
    expect(bodies.map((b) => b.instances.length)).toEqual([20, 20, 4]);
    expect(bodies.flatMap((b) => b.instances.map((i) => i.page_title))).not.toContain('Bad');
    results.forEach((result, i) => {
      if (i === 3) {
        expect(!result.ok && result.error).toBeInstanceOf(EditCheckInstanceError);
      } else if (i === 7) {
        expect(result).toMatchObject({
          ok: false,
          error: {
            errors: ["Error in field 'check_type': Input should be 'tone', 'npov' or 'weasel'"],
          },
        });
      } else {
        expect(result).toMatchObject({ ok: true, value: { page_title: `Page ${i}` } });
      }
    });
    expect(progress.at(-1)).toBe(45);
  });

  it('fails the instances of an answer that does not match them', async () => {
    gateway.models['edit-check'] = { body: { predictions: [] } };
    try {
      const results = await model.predictMany([instance('A'), instance('B')]);
      for (const result of results) {
        expect(!result.ok && result.error).toBeInstanceOf(HttpError);
        expect(!result.ok && result.error.message).toMatch(
          /answered 0 predictions for 2 instances/,
        );
      }
    } finally {
      gateway.models['edit-check'] = answer;
    }
  });
});

describe('handle', () => {
  it("sends the server's form as it is and answers the server's predictions", async () => {
    const body = { instances: [instance('A'), instance('Refused'), { lang: 'en' }] };
    let response: unknown;
    const bodies = await sent(async () => {
      response = await model.handle(body);
    });
    expect(bodies).toEqual([body]);
    expect((response as EditCheckResponse).predictions.map((p) => p.status_code)).toEqual([
      200, 400, 200,
    ]);
  });

  it('answers a single instance (the CLI flags) with its prediction', async () => {
    const bodies = await sent(async () => {
      await expect(model.handle(instance('Solo'))).resolves.toMatchObject({
        status_code: 200,
        page_title: 'Solo',
      });
    });
    expect(bodies).toEqual([{ instances: [instance('Solo')] }]);
  });

  const LINK = 'For further information visit https://errors.pydantic.dev/2.10/v';
  it.each([
    [
      { instances: [] },
      `Wrong request! Message: 1 validation error for RequestModel\ninstances\n  Value error, At least one instance must be provided [type=value_error, input_value=[], input_type=list]\n    ${LINK}/value_error.`,
    ],
    [
      { instances: 'all' },
      `Wrong request! Message: 1 validation error for RequestModel\ninstances\n  Input should be a valid list [type=list_type, input_value='all', input_type=str]\n    ${LINK}/list_type.`,
    ],
    [
      { instances: [1, "it's", null] },
      `Wrong request! Message: 3 validation errors for RequestModel\ninstances.0\n  Input should be a valid dictionary [type=dict_type, input_value=1, input_type=int]\n    ${LINK}/dict_type\ninstances.1\n  Input should be a valid dictionary [type=dict_type, input_value="it's", input_type=str]\n    ${LINK}/dict_type\ninstances.2\n  Input should be a valid dictionary [type=dict_type, input_value=None, input_type=NoneType]\n    ${LINK}/dict_type.`,
    ],
    [
      { instances: Array.from({ length: 301 }, () => ({})) },
      `Wrong request! Message: 1 validation error for RequestModel\ninstances\n  Value error, Request length is greater than max batch size: 301 > 300 [type=value_error, input_value=[{}, {}, {}, {}, {}, {}, ... {}, {}, {}, {}, {}, {}], input_type=list]\n    ${LINK}/value_error.`,
    ],
  ])('refuses %j whole, with the server message, before any request', async (body, message) => {
    const bodies = await sent(async () => {
      const error = (await model.handle(body).catch((e) => e)) as InputError;
      expect(error).toBeInstanceOf(InputError);
      expect(error.toResponseBody()).toEqual({ error: message });
      expect(error.status).toBe(400);
    });
    expect(bodies).toEqual([]);
  });

  it('handleMany batches single lines together and answers instances bodies alone', async () => {
    const lines = [
      JSON.stringify(instance('L1')),
      '{"lang": "en"',
      JSON.stringify({ instances: [instance('L2')] }),
      JSON.stringify(instance('L3', { lang: 'xx' })),
      JSON.stringify(instance('L4')),
    ];
    let results: Awaited<ReturnType<EditCheckModel['handleMany']>> = [];
    const bodies = (await sent(async () => {
      results = await model.handleMany(lines.map((rawBody) => ({ rawBody })));
    })) as { instances: EditCheckInstance[] }[];
    expect(bodies.map((b) => b.instances.map((i) => i.page_title))).toEqual([['L1', 'L4'], ['L2']]);
    expect(results[0]).toMatchObject({ ok: true, value: { page_title: 'L1' } });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(results[2]).toMatchObject({ ok: true, value: { predictions: [{ page_title: 'L2' }] } });
    expect(results[3]).toMatchObject({ ok: false });
    expect(!results[3]!.ok && results[3]!.error.message).toMatch(
      /^Error in field 'lang': Input should be 'aa', 'ab', .* 'zh' or 'zu'$/,
    );
    expect(results[4]).toMatchObject({ ok: true, value: { page_title: 'L4' } });
  });
});
