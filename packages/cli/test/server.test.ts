import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AccessLogEntry, createLiftWingServer, type LiftWingServer } from '../src/server.js';
import { FakeModel } from './helpers/fakes.js';

const logs: AccessLogEntry[] = [];
let server: LiftWingServer;
let base: string;

beforeAll(async () => {
  server = createLiftWingServer({
    models: [
      new FakeModel('outlink-topic-model'),
      new FakeModel('revertrisk-language-agnostic', 'online', null),
    ],
    maxBodyBytes: 1000,
    requestTimeoutMs: 200,
    log: (entry) => logs.push(entry),
  });
  const address = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(() => server.close());

const serverAddress = () => {
  const { hostname, port } = new URL(base);
  return { host: hostname, port: Number(port) };
};

const post = (path: string, body: string) =>
  fetch(base + path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

async function answer(response: Response) {
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: await response.text(),
  };
}

describe('POST /v1/models/{name}:predict', () => {
  it('answers with the model response as compact JSON', async () => {
    const result = await answer(
      await post('/v1/models/outlink-topic-model:predict', '{"lang": "en", "page_id": 7}'),
    );
    expect(result).toEqual({
      status: 200,
      type: 'application/json',
      body: '{"model_name":"outlink-topic-model","echo":{"lang":"en","page_id":7}}',
    });
  });

  it('answers an InputError with its status and body key', async () => {
    expect(
      await answer(await post('/v1/models/outlink-topic-model:predict', '{"fail": "input"}')),
    ).toMatchObject({
      status: 400,
      body: '{"error":"The parameter lang is required."}',
    });
    expect(
      await answer(await post('/v1/models/outlink-topic-model:predict', '{"fail": "detail"}')),
    ).toMatchObject({
      status: 422,
      body: '{"detail":"Could not make prediction. Reason: revision_missing"}',
    });
  });

  it('answers an unknown model with 404 as KServe does', async () => {
    const result = await answer(await post('/v1/models/nope:predict', '{}'));
    expect(result).toMatchObject({
      status: 404,
      body: '{"error":"Model with name nope does not exist."}',
    });
  });

  it('answers malformed JSON with 400 "Unrecognized request format"', async () => {
    const response = await post('/v1/models/outlink-topic-model:predict', '{"lang": ');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(/^Unrecognized request format: .+/);
  });

  it('answers a body over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(2000) });
    const declared = await post('/v1/models/outlink-topic-model:predict', big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: 'Request body is larger than 1000 bytes.' });

    // Chunked, with no Content-Length: the limit applies while reading.
    const streamed = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${base}/v1/models/outlink-topic-model:predict`,
        { method: 'POST' },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.write(big.slice(0, 600));
      request.end(big.slice(600));
    });
    expect(streamed).toBe(413);
  });

  it('answers an unexpected failure with 500 as KServe does', async () => {
    const result = await answer(
      await post('/v1/models/outlink-topic-model:predict', '{"fail": "crash"}'),
    );
    expect(result).toMatchObject({ status: 500, body: '{"error":"TypeError : boom"}' });
  });

  it('answers 504 when the prediction outlasts the request timeout, aborting it', async () => {
    const response = await post('/v1/models/outlink-topic-model:predict', '{"wait": 5000}');
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ error: 'The prediction took longer than 200 ms.' });
  });
});

describe('the other KServe routes', () => {
  it('GET /v1/models/{name} tells readiness', async () => {
    expect(await (await fetch(`${base}/v1/models/outlink-topic-model`)).json()).toEqual({
      name: 'outlink-topic-model',
      ready: true,
    });
    const missing = await fetch(`${base}/v1/models/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'Model with name nope does not exist.' });
  });

  it('GET /v1/models lists the models, GET / is alive, GET /health gives versions', async () => {
    expect(await (await fetch(`${base}/v1/models`)).json()).toEqual({
      models: ['outlink-topic-model', 'revertrisk-language-agnostic'],
    });
    expect(await (await fetch(`${base}/`)).json()).toEqual({ status: 'alive' });
    expect(await (await fetch(`${base}/health`)).json()).toEqual({
      status: 'ok',
      models: [
        { name: 'outlink-topic-model', mode: 'offline', version: '20240101000000' },
        { name: 'revertrisk-language-agnostic', mode: 'online', version: null },
      ],
    });
  });

  it('answers unmatched routes and methods as FastAPI does', async () => {
    const notFound = await fetch(`${base}/v2/models`);
    expect([notFound.status, await notFound.json()]).toEqual([404, { detail: 'Not Found' }]);
    const wrongMethod = await fetch(`${base}/v1/models/outlink-topic-model:predict`);
    expect([wrongMethod.status, await wrongMethod.json()]).toEqual([
      405,
      { detail: 'Method Not Allowed' },
    ]);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('answers request targets that do not parse as URLs, and stays up', async () => {
    // fetch would normalise these paths; a raw request sends them as they are.
    const raw = (method: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest({ ...serverAddress(), method, path }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        request.on('error', reject);
        request.end(method === 'POST' ? '{}' : undefined);
      });
    expect(await raw('GET', '//')).toEqual({ status: 404, body: '{"detail":"Not Found"}' });
    expect(await raw('POST', '/v1/models/%:predict')).toEqual({
      status: 404,
      body: '{"error":"Model with name % does not exist."}',
    });
    expect((await fetch(`${base}/`)).status).toBe(200);
  });
});

describe('observability', () => {
  it('logs one entry per request with model, status and bytes', async () => {
    const before = logs.length;
    const response = await post('/v1/models/revertrisk-language-agnostic:predict', '{"lang":"en"}');
    const text = await response.text();
    await new Promise((resolve) => setImmediate(resolve));
    const entry = logs
      .slice(before)
      .find((candidate) => candidate.model === 'revertrisk-language-agnostic');
    expect(entry).toMatchObject({
      method: 'POST',
      path: '/v1/models/revertrisk-language-agnostic:predict',
      status: 200,
      bytes: Buffer.byteLength(text),
      model: 'revertrisk-language-agnostic',
    });
    expect(new Date(entry!.time).toISOString()).toBe(entry!.time);
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('serves /metrics in the Prometheus text format', async () => {
    await post('/v1/models/outlink-topic-model:predict', '{"fail": "input"}');
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toMatch(/^# HELP liftwing_http_requests_total /m);
    expect(text).toMatch(
      /^liftwing_http_requests_total\{model="outlink-topic-model",status="400"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      /^liftwing_http_request_errors_total\{model="outlink-topic-model",status="400"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^liftwing_http_request_errors_total\{model="",status="404"\} [1-9]\d*$/m);
    expect(text).toMatch(
      /^liftwing_prediction_duration_seconds_bucket\{model="outlink-topic-model",le="\+Inf"\} \d+$/m,
    );
    // Unknown model names from URLs never become label values.
    expect(text).not.toContain('model="nope"');
  });
});

describe('bodies nested too deep', () => {
  it('answers 400 from the depth check without parsing, and /health stays up', async () => {
    const deep = createLiftWingServer({
      models: [new FakeModel('outlink-topic-model')],
      maxBodyBytes: 16 * 1024 * 1024,
      log: () => {},
    });
    const { port } = await deep.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${port}`;
      // Complete (a parser would build every level) and unterminated (it would fail at the end).
      const bodies = ['['.repeat(5 << 20) + ']'.repeat(5 << 20), '{"a":'.repeat(2 << 20)];
      const answers = bodies.map((body) =>
        fetch(`${url}/v1/models/outlink-topic-model:predict`, { method: 'POST', body }),
      );
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      for (const response of await Promise.all(answers)) {
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({
          error: 'Unrecognized request format: JSON nested deeper than 64 levels',
        });
      }
      // A request of Lift Wing's shape, brackets in its strings included, is answered.
      const fine = await fetch(`${url}/v1/models/outlink-topic-model:predict`, {
        method: 'POST',
        body: JSON.stringify({ lang: 'en', page_title: '[['.repeat(100), nested: [[{ a: 1 }]] }),
      });
      expect(fine.status).toBe(200);
    } finally {
      await deep.close();
    }
  });

  it('has a default body limit of 1 MiB', async () => {
    const small = createLiftWingServer({ models: [new FakeModel()], log: () => {} });
    const { port } = await small.listen(0, '127.0.0.1');
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/models/fake-model:predict`, {
        method: 'POST',
        body: JSON.stringify({ text: 'x'.repeat(1024 * 1024) }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        error: 'Request body is larger than 1048576 bytes.',
      });
    } finally {
      await small.close();
    }
  });
});

describe('clients that leave before their answer', () => {
  const gaugeOf = (text: string) =>
    Number(/^liftwing_http_requests_in_flight (\d+)$/m.exec(text)?.[1] ?? Number.NaN);

  let leaving: LiftWingServer;
  let port: number;
  const entries: AccessLogEntry[] = [];
  const signals: AbortSignal[] = [];
  let handling: () => void = () => {};

  beforeAll(async () => {
    const model = new FakeModel('fake-model', 'offline', null, { onHandle: () => handling() });
    const handle = model.handle.bind(model);
    model.handle = (body, options) => {
      if (options?.signal) signals.push(options.signal);
      return handle(body, options);
    };
    leaving = createLiftWingServer({
      models: [model],
      requestTimeoutMs: 60_000,
      log: (entry) => entries.push(entry),
    });
    port = (await leaving.listen(0, '127.0.0.1')).port;
  });
  afterAll(() => leaving.close(1000));

  /** Sends the headers of a predict request and `body`, which is shorter than it says. */
  const partialRequest = (body: string, length: number) => {
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/models/fake-model:predict',
      headers: { 'content-length': length },
    });
    request.on('error', () => {});
    request.write(body);
    return request;
  };

  async function expectLoggedAs499() {
    await vi.waitFor(() => expect(entries).toHaveLength(1));
    expect(entries[0]).toMatchObject({
      method: 'POST',
      path: '/v1/models/fake-model:predict',
      status: 499,
      model: 'fake-model',
    });
    entries.length = 0;
    expect(gaugeOf(leaving.metrics.render())).toBe(0);
    // As a scrape sees it: only the scrape itself is in flight.
    expect(gaugeOf(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())).toBe(1);
    await vi.waitFor(() => expect(entries).toHaveLength(1));
    entries.length = 0;
  }

  it('counts and logs a client that left mid-body as 499', async () => {
    const request = partialRequest('{"lang": "e', 100);
    await vi.waitFor(() => expect(gaugeOf(leaving.metrics.render())).toBe(1));
    request.destroy();
    await expectLoggedAs499();
    expect(signals).toHaveLength(0);
  });

  it('counts and logs a client that left mid-prediction as 499, and aborts the prediction', async () => {
    const started = new Promise<void>((resolve) => {
      handling = resolve;
    });
    const body = '{"wait": 30000}';
    const request = partialRequest(body, body.length);
    request.end();
    await started;
    request.destroy();
    await expectLoggedAs499();
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(String(signals[0]!.reason)).toMatch(/client closed the connection/);
    expect(leaving.metrics.render()).toMatch(
      /^liftwing_http_requests_total\{model="fake-model",status="499"\} 2$/m,
    );
  });
});
