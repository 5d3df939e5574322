import { inspect } from 'node:util';
import { type LoopbackServer, sendJson, startLoopbackServer } from '@liftwing/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BatchProgress,
  type BatchSpec,
  HttpError,
  InputError,
  isLiftWingError,
  LiftWingClient,
  type LiftWingClientOptions,
  type LiftWingError,
  MediaWikiClient,
  RateLimitError,
} from '../src/index.js';

const MODEL = 'revertrisk-language-agnostic';
const TOKEN = 'sekrit-token-0123456789';
const USER_AGENT = 'LiftWingTests/1.0 (https://example.org/tests; tests@example.org)';
const servers: LoopbackServer[] = [];

async function server(...args: Parameters<typeof startLoopbackServer>) {
  const started = await startLoopbackServer(...args);
  servers.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  vi.restoreAllMocks();
});

function client(gateway: LoopbackServer, options: LiftWingClientOptions = {}) {
  return new LiftWingClient({
    apiUrl: `${gateway.url}/v1/models/`,
    userAgent: USER_AGENT,
    env: {},
    retries: { baseDelayMs: 1, jitter: 0 },
    rateLimit: false,
    ...options,
  });
}

interface RrInput {
  lang: string;
  rev_id: number;
}
interface RrOutput {
  wiki_db: string;
  revision_id: number;
}

/** A fake revertrisk-language-agnostic: revision 666 is missing, as on the real service. */
function revertrisk(body: string) {
  const prediction = ({ lang, rev_id }: RrInput) => ({
    model_name: MODEL,
    model_version: '3',
    wiki_db: `${lang}wiki`,
    revision_id: rev_id,
    output: { prediction: false, probabilities: { true: 0.25, false: 0.75 } },
  });
  const request = JSON.parse(body) as RrInput | { instances: RrInput[] };
  if (!('instances' in request)) return prediction(request);
  const ok = request.instances.filter((i) => i.rev_id !== 666);
  const failed = request.instances.filter((i) => i.rev_id === 666);
  return {
    predictions: ok.map(prediction),
    ...(failed.length > 0 && {
      errors: failed.map(
        (i) =>
          `Could not make prediction for revision ${i.rev_id} (${i.lang}). Reason: revision_missing`,
      ),
    }),
  };
}

/** The batch spec the revertrisk package supplies (written here as that package would). */
const revertriskSpec: BatchSpec<RrInput, RrOutput> = {
  maxBatchSize: 20,
  groupKey: (input) => input.lang,
  toBody: (inputs) => (inputs.length === 1 ? inputs[0] : { instances: inputs }),
  splitResponse(response, inputs) {
    if (!('predictions' in (response as object))) return [response as RrOutput];
    const { predictions, errors = [] } = response as { predictions: RrOutput[]; errors?: string[] };
    const byRev = new Map(predictions.map((p) => [p.revision_id, p]));
    const failures = new Map<number, LiftWingError>();
    for (const error of errors) {
      const match = /revision (\d+) \(([^)]+)\)\. Reason: (\w+)/.exec(error);
      if (match) {
        failures.set(
          Number(match[1]),
          new InputError(error, { status: 422, code: 'revision_error', reason: match[3] }),
        );
      }
    }
    return inputs.map(
      (input) =>
        byRev.get(input.rev_id) ??
        failures.get(input.rev_id) ??
        new InputError(`No prediction for revision ${input.rev_id}.`, { status: 422 }),
    );
  },
};

describe('LiftWingClient', () => {
  it('POSTs JSON to {apiUrl}{model}:predict and returns the response', async () => {
    const gateway = await server((req, res) => sendJson(res, 200, revertrisk(req.body)));
    const result = await client(gateway).predict<RrOutput>(MODEL, { lang: 'en', rev_id: 12345 });
    expect(result).toMatchObject({ wiki_db: 'enwiki', revision_id: 12345 });
    const [seen] = gateway.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe(`/v1/models/${MODEL}:predict`);
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen?.body ?? '')).toEqual({ lang: 'en', rev_id: 12345 });
  });

  it("sends a User-Agent in Wikimedia's policy format", async () => {
    const gateway = await server((req, res) => sendJson(res, 200, revertrisk(req.body)));
    await client(gateway).predict(MODEL, { lang: 'en', rev_id: 1 });
    expect(gateway.requests[0]?.headers['user-agent']).toMatch(
      /^LiftWingTests\/1\.0 \(https:\/\/example\.org\/tests; tests@example\.org\) liftwing\/\d+\.\d+\.\d+\S* undici\/\d+\.\d+\.\d+$/,
    );
  });

  it('waits for Retry-After on 429, then succeeds', async () => {
    let calls = 0;
    const gateway = await server((req, res) => {
      if (calls++ === 0) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' });
        res.end('Too many requests');
      } else sendJson(res, 200, revertrisk(req.body));
    });
    const started = performance.now();
    const result = await client(gateway).predict<RrOutput>(MODEL, { lang: 'en', rev_id: 7 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(result.revision_id).toBe(7);
    expect(gateway.requests).toHaveLength(2);
  });

  it('reports a 429 that outlasts the retries as RateLimitError with the plain-text body', async () => {
    const gateway = await server((_req, res) => {
      res.writeHead(429, { 'retry-after': '0', 'x-request-id': 'req-429' });
      res.end('You have exceeded your rate limit.');
    });
    const error = await client(gateway, { retries: { retries: 1, baseDelayMs: 1 } })
      .predict(MODEL, {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      code: 'rate_limited',
      status: 429,
      serverMessage: 'You have exceeded your rate limit.',
      retryAfterMs: 0,
      model: MODEL,
      requestId: 'req-429',
    });
    expect(gateway.requests).toHaveLength(2);
  });

  it('gives up on a Retry-After longer than maxRetryAfterMs without stalling later calls', async () => {
    let calls = 0;
    const gateway = await server((req, res) => {
      if (calls++ === 0) {
        res.writeHead(429, { 'retry-after': '3600' });
        res.end('Too many requests');
      } else sendJson(res, 200, revertrisk(req.body));
    });
    const lw = client(gateway);
    const error = await lw.predict(MODEL, { lang: 'en', rev_id: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryAfterMs: 3_600_000 });
    expect(gateway.requests).toHaveLength(1);
    await expect(lw.predict<RrOutput>(MODEL, { lang: 'en', rev_id: 2 })).resolves.toMatchObject({
      revision_id: 2,
    });
  });

  it('retries 503 and succeeds', async () => {
    let calls = 0;
    const gateway = await server((req, res) => {
      if (calls++ < 2) sendJson(res, 503, { error: 'upstream unavailable' });
      else sendJson(res, 200, revertrisk(req.body));
    });
    await expect(client(gateway).predict(MODEL, { lang: 'en', rev_id: 3 })).resolves.toMatchObject({
      revision_id: 3,
    });
    expect(gateway.requests).toHaveLength(3);
  });

  it('does not retry 400, and reports status, server message, model and request id', async () => {
    const gateway = await server((_req, res) =>
      sendJson(
        res,
        400,
        { detail: "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'" },
        { 'x-request-id': 'abc-123' },
      ),
    );
    const error = await client(gateway)
      .predict(MODEL, { lang: 'enwiki', rev_id: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      code: 'http_error',
      status: 400,
      serverMessage: "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
      serverMessageKey: 'detail',
      model: MODEL,
      requestId: 'abc-123',
    });
    expect(gateway.requests).toHaveLength(1);
  });

  it('retries connection errors, then reports them as HttpError without a status', async () => {
    const gateway = await server((_req, res) => {
      res.socket?.destroy();
    });
    const error = await client(gateway, { retries: { retries: 2, baseDelayMs: 1 } })
      .predict(MODEL, {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBeUndefined();
    expect(gateway.requests).toHaveLength(3);
  });

  it('sends the token to the gateway only: not across a redirect, not in errors or logs', async () => {
    const elsewhere = await server((_req, res) => sendJson(res, 200, {}));
    const gateway = await server((req, res) => {
      if (req.url.includes('redirected')) {
        res.writeHead(307, { location: `${elsewhere.url}/v1/models/x:predict` });
        res.end();
      } else sendJson(res, 403, { httpReason: `token ${TOKEN} is not allowed` });
    });
    const logged: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args) => logged.push(inspect(args)));
    }
    const lw = client(gateway, { token: TOKEN });

    const forbidden = await lw.predict(MODEL, {}).catch((e: unknown) => e);
    expect(gateway.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect((forbidden as HttpError).status).toBe(403);
    const redirected = await lw.predict('redirected', {}).catch((e: unknown) => e);
    expect((redirected as HttpError).status).toBe(307);
    expect(elsewhere.requests).toHaveLength(0);

    const mediawiki = new MediaWikiClient({
      apiUrlTemplate: `${elsewhere.url}/w/api.php`,
      userAgent: USER_AGENT,
      env: { LIFTWING_API_TOKEN: TOKEN },
    });
    await mediawiki.query('en.wikipedia.org', { meta: 'siteinfo' });
    expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined();

    for (const error of [forbidden, redirected]) {
      const text = `${String(error)} ${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`;
      expect(text).not.toContain(TOKEN);
    }
    expect(inspect(lw, { depth: 5, showHidden: true })).not.toContain(TOKEN);
    expect(JSON.stringify(lw)).not.toContain(TOKEN);
    expect(logged.join('\n')).not.toContain(TOKEN);
  });

  it('reads the token from LIFTWING_API_TOKEN and picks the authenticated rate class', async () => {
    const gateway = await server((_req, res) => sendJson(res, 200, {}));
    const lw = new LiftWingClient({
      apiUrl: `${gateway.url}/v1/models/`,
      userAgent: USER_AGENT,
      env: { LIFTWING_API_TOKEN: TOKEN },
    });
    expect(lw.authenticated).toBe(true);
    await lw.predict(MODEL, {});
    expect(gateway.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("sends each model's internal Host header in internal mode", async () => {
    const gateway = await server((_req, res) => sendJson(res, 200, {}));
    const lw = client(gateway, {
      internal: true,
      hosts: { 'my-model': 'my-model.ns.wikimedia.org' },
    });
    await lw.predict(MODEL, {}, { internalHost: 'rr.ns.wikimedia.org' });
    await lw.predictBatch(
      MODEL,
      [1],
      { toBody: () => ({}), splitResponse: (r) => [r] },
      {
        internalHost: 'batch.ns.wikimedia.org',
      },
    );
    await lw.predict('my-model', {});
    await lw.predict('my-model', {}, { internalHost: 'other.ns.wikimedia.org' });
    expect(gateway.requests.map((r) => r.headers.host)).toEqual([
      'rr.ns.wikimedia.org',
      'batch.ns.wikimedia.org',
      'my-model.ns.wikimedia.org',
      'other.ns.wikimedia.org',
    ]);
    await expect(lw.predict('unknown-model', {})).rejects.toMatchObject({ code: 'invalid_config' });
  });

  it('sends a batch of 45 in requests of at most 20 of one language, results in input order', async () => {
    const gateway = await server((req, res) => sendJson(res, 200, revertrisk(req.body)));
    const inputs: RrInput[] = Array.from({ length: 45 }, (_, i) => ({
      lang: i % 3 === 0 ? 'de' : 'en',
      rev_id: i === 17 ? 666 : 1000 + i,
    }));
    const progress: BatchProgress[] = [];
    const results = await client(gateway).predictBatch(MODEL, inputs, revertriskSpec, {
      onProgress: (p) => progress.push(p),
    });

    for (const seen of gateway.requests) {
      const body = JSON.parse(seen.body) as { instances?: RrInput[] } & RrInput;
      const instances = body.instances ?? [body];
      expect(instances.length).toBeLessThanOrEqual(20);
      expect(new Set(instances.map((i) => i.lang)).size).toBe(1);
    }
    expect(gateway.requests).toHaveLength(3); // en: 20 + 10, de: 15
    expect(results).toHaveLength(45);
    results.forEach((result, i) => {
      expect(result.input).toBe(inputs[i]);
      if (i === 17) {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(InputError);
          expect(result.error).toMatchObject({
            code: 'revision_error',
            reason: 'revision_missing',
          });
        }
      } else {
        expect(result).toMatchObject({
          ok: true,
          value: { revision_id: inputs[i]?.rev_id, wiki_db: `${inputs[i]?.lang}wiki` },
        });
      }
    });
    expect(progress.at(-1)).toEqual({ done: 45, failed: 1, total: 45 });
  });

  it('retries a rejected multi-input request one input at a time', async () => {
    const gateway = await server((req, res) => {
      const body = JSON.parse(req.body) as { instances?: RrInput[] } & RrInput;
      const bad = (body.instances ?? [body]).some((i) => i.rev_id < 0);
      if (bad) sendJson(res, 400, { error: 'rev_id must be positive' });
      else sendJson(res, 200, revertrisk(req.body));
    });
    const inputs = [1, -2, 3].map((rev_id) => ({ lang: 'en', rev_id }));
    const results = await client(gateway).predictBatch(MODEL, inputs, revertriskSpec);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1];
    expect(!failed?.ok && isLiftWingError(failed?.error, 'http_error')).toBe(true);
  });

  it('stops a batch when its AbortSignal fires', async () => {
    const controller = new AbortController();
    const gateway = await server((req, res) => {
      controller.abort();
      sendJson(res, 200, revertrisk(req.body));
    });
    const inputs = Array.from({ length: 10 }, (_, i) => ({ lang: `l${i}`, rev_id: i }));
    await expect(
      client(gateway, { concurrency: 1 }).predictBatch(MODEL, inputs, revertriskSpec, {
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'aborted' });
    expect(gateway.requests.length).toBeLessThan(10);
  });
});
