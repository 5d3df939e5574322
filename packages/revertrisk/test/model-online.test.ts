import { InputError, LiftWingClient } from '@liftwing/core';
import type { FakeGateway } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, type RevertRiskModel, type RevisionRequest } from '../src/index.js';
import { type GatewayTable, startRevertRiskGateway } from './model-server.js';
import { revision } from './revision-data.js';

const TABLE: GatewayTable = {
  'en:23456': 'revision_missing',
  'en:777': 'page_missing',
  'xnew:7': 0.5,
};
for (let i = 1; i <= 25; i++) TABLE[`en:${1000 + i}`] = i / 100;
for (let i = 1; i <= 20; i++) TABLE[`de:${2000 + i}`] = 1 - i / 100;

let gateway: FakeGateway;
let model: RevertRiskModel;

beforeAll(async () => {
  gateway = await startRevertRiskGateway(TABLE, ['xnew']);
  model = await createModel({
    client: {
      apiUrl: gateway.apiUrl,
      rateLimit: false,
      retries: 0,
      userAgent: 'revertrisk-tests (test@example.org)',
    },
  });
});

afterAll(async () => {
  await model?.close();
  await gateway?.close();
});

describe('online model', () => {
  it('asks the gateway for one revision', async () => {
    const start = gateway.bodies.length;
    const response = await model.predict({ lang: 'en', rev_id: 1010 });
    expect(response).toMatchObject({
      model_name: 'revertrisk-language-agnostic',
      wiki_db: 'enwiki',
      revision_id: 1010,
      output: { prediction: false, probabilities: { true: 0.1 } },
    });
    expect(gateway.bodies.slice(start)).toEqual([{ lang: 'en', rev_id: 1010 }]);
    expect(model.mode).toBe('online');
    expect(model.version).toBeUndefined();
  });

  it('takes a LiftWingClient instance', async () => {
    const client = new LiftWingClient({
      apiUrl: gateway.apiUrl,
      rateLimit: false,
      retries: 0,
      userAgent: 'x@example.org',
    });
    const own = await createModel({ mode: 'online', client, userAgent: 'x@example.org' });
    await expect(own.predict({ lang: 'de', rev_id: 2001 })).resolves.toMatchObject({
      revision_id: 2001,
    });
  });

  it('turns a 422 into a revision_error with the reason', async () => {
    const error = (await model
      .predict({ lang: 'en', rev_id: 23456 })
      .catch((e) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({
      code: 'revision_error',
      status: 422,
      reason: 'revision_missing',
    });
    expect(error.message).toBe(
      'Could not make prediction for revision 23456 (en). Reason: revision_missing',
    );
  });

  it('sends 45 revisions in two languages as batches of at most 20 of one language', async () => {
    const requests: RevisionRequest[] = [];
    for (let i = 1; i <= 25; i++) {
      requests.push({ lang: 'en', rev_id: 1000 + i });
      if (i <= 20) requests.push({ lang: 'de', rev_id: 2000 + i });
    }
    requests.splice(7, 0, { lang: 'en', rev_id: 23456 });
    expect(requests).toHaveLength(46);
    const start = gateway.bodies.length;
    const progress: number[] = [];
    const results = await model.predictMany(requests, { onProgress: (p) => progress.push(p.done) });

    const bodies = gateway.bodies.slice(start) as Array<{
      instances?: Array<{ lang: string; rev_id: number }>;
    }>;
    for (const body of bodies) {
      expect(body.instances!.length).toBeLessThanOrEqual(20);
      expect(new Set(body.instances!.map((i) => i.lang)).size).toBe(1);
    }
    expect(bodies.flatMap((b) => b.instances!)).toHaveLength(46);
    expect(bodies).toHaveLength(3);

    results.forEach((result, i) => {
      const request = requests[i]!;
      if (request.rev_id === 23456) {
        expect(result).toMatchObject({
          ok: false,
          error: { code: 'revision_error', status: 422, reason: 'revision_missing' },
        });
      } else {
        expect(result.ok && result.value.revision_id).toBe(request.rev_id);
        expect(result.ok && result.value.output.probabilities.true).toBe(
          TABLE[`${request.lang}:${request.rev_id}`],
        );
      }
    });
    expect(progress.at(-1)).toBe(46);
  });

  it('handleMany answers raw bodies through the same batching, instances bodies alone', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 25; i++) {
      lines.push(JSON.stringify({ lang: 'en', rev_id: 1000 + i }));
      if (i <= 20) lines.push(JSON.stringify({ lang: 'de', rev_id: 2000 + i }));
    }
    lines.splice(3, 0, '{"lang": "en"}', '{"instances": [{"lang": "de", "rev_id": 2001}]}', '{');
    const start = gateway.bodies.length;
    const results = await model.handleMany(lines.map((rawBody) => ({ rawBody })));

    // 25 en in batches of 20 + 5, 20 de in one, and the instances body as it came.
    expect(gateway.bodies.length - start).toBe(4);
    expect(results).toHaveLength(48);
    expect(results[3]).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: 'The parameter rev_id is required.' },
    });
    expect(results[4]).toMatchObject({ ok: true, value: { predictions: [{ revision_id: 2001 }] } });
    expect(results[5]).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    lines.forEach((line, i) => {
      if (i >= 3 && i <= 5) return;
      const request = JSON.parse(line) as { lang: string; rev_id: number };
      expect(results[i]).toMatchObject({ ok: true, value: { revision_id: request.rev_id } });
    });
  });

  it('splits an all-failed batch 422 back to its items', async () => {
    const start = gateway.bodies.length;
    const results = await model.predictMany([
      { lang: 'en', rev_id: 23456 },
      { lang: 'en', rev_id: 777 },
    ]);
    expect(results.map((r) => !r.ok && r.error)).toMatchObject([
      { reason: 'revision_missing' },
      { reason: 'page_missing' },
    ]);
    expect(gateway.bodies.length - start).toBe(1);
  });

  it('fails invalid items of a batch without sending them', async () => {
    const start = gateway.bodies.length;
    const results = await model.predictMany([
      { lang: 'enwiki', rev_id: 1 },
      { lang: 'en', rev_id: 1001 },
      { revision_data: revision() },
    ]);
    expect(results[0]).toMatchObject({ ok: false, error: { status: 400 } });
    expect(results[1]).toMatchObject({ ok: true });
    expect(results[2]).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(gateway.bodies.slice(start)).toEqual([{ lang: 'en', rev_id: 1001 }]);
  });

  it('reports progress for items that fail before anything is sent', async () => {
    const progress: unknown[] = [];
    await model.predictMany([{ lang: 'enwiki', rev_id: 1 }], {
      onProgress: (p) => progress.push(p),
    });
    expect(progress).toEqual([{ done: 1, failed: 1, total: 1 }]);
  });

  it('leaves languages its wiki table does not know to the server', async () => {
    const start = gateway.bodies.length;
    // A Wikipedia opened after this release: the server knows it, liftwing's table does not.
    await expect(model.predict({ lang: 'xnew', rev_id: 7 })).resolves.toMatchObject({
      wiki_db: 'xnewwiki',
    });
    const error = await model.predict({ lang: 'www', rev_id: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 400,
      bodyKey: 'detail',
      message: "lang 'www' does not exist in the canonical Wikipedia language list.",
    });
    expect(gateway.bodies.length - start).toBe(2);
    const results = await model.predictMany([
      { lang: 'www', rev_id: 1 },
      { lang: 'www', rev_id: 2 },
    ]);
    for (const result of results) {
      expect(!result.ok && result.error).toBeInstanceOf(InputError);
      expect(result).toMatchObject({
        ok: false,
        error: { status: 400, bodyKey: 'detail', message: (error as InputError).message },
      });
    }
    // One batch request, not asked again one revision at a time.
    expect(gateway.bodies.length - start).toBe(3);
  });

  it.each([
    [
      { lang: 'dewiki', rev_id: 1 },
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
    ],
    [{ rev_id: 1 }, 'The parameter lang is required.'],
    [{ lang: 'en', rev_id: -3 }, /rev_id must be a positive integer/],
  ])('rejects %j without a request', async (request, message) => {
    const start = gateway.bodies.length;
    await expect(model.predict(request as never)).rejects.toThrow(message);
    expect(gateway.bodies.length).toBe(start);
  });

  it('refuses the pre-save form: the public gateway does not accept it', async () => {
    await expect(model.predict({ revision_data: revision() })).rejects.toThrow(
      /public Lift Wing gateway does not accept the pre-save form/,
    );
    await expect(model.handle({ revision_data: revision() })).rejects.toThrow(/offline/);
  });
});

describe('online model: handle', () => {
  it('forwards the batch form and returns the server answer', async () => {
    const response = await model.handle({
      instances: [
        { lang: 'en', rev_id: 1001 },
        { lang: 'en', rev_id: 23456 },
      ],
    });
    expect(response).toEqual({
      predictions: [expect.objectContaining({ revision_id: 1001 })],
      errors: ['Could not make prediction for revision 23456 (en). Reason: revision_missing'],
    });
  });

  it("answers the server's 422 when all fail", async () => {
    const error = (await model
      .handle({ instances: [{ lang: 'en', rev_id: 23456 }] })
      .catch((e) => e)) as InputError;
    expect(error.status).toBe(422);
    expect(error.toResponseBody()).toEqual({
      detail:
        "Could not make prediction for revisions dict_keys([(23456, 'en')]). Reason: ['revision_missing']",
    });
  });

  it('validates before forwarding', async () => {
    const start = gateway.bodies.length;
    const error = (await model
      .handle({
        instances: [
          { lang: 'en', rev_id: 1 },
          { lang: 'de', rev_id: 2 },
        ],
      })
      .catch((e) => e)) as InputError;
    expect(error.toResponseBody()).toEqual({
      detail: 'Requesting multiple revisions should have the same language.',
    });
    expect(gateway.bodies.length).toBe(start);
  });
});
