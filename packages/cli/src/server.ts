import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  driftReport,
  evaluateModel,
  evaluationOf,
  HttpError,
  InputError,
  isLiftWingError,
  LiftWingError,
  type LiftWingModel,
  type ModelDefinition,
  RateLimitError,
  splitLabelled,
} from '@liftwing/core';
import { checkJsonDepth } from './json.js';
import { METRICS_CONTENT_TYPE, ServerMetrics } from './metrics.js';
import { type Playground, wantsPage } from './playground.js';

/**
 * A KServe v1 HTTP server in front of liftwing models, answering as Lift Wing's model servers do.
 *
 * Routes and bodies follow the KServe Python server (FastAPI): `POST /v1/models/{name}:predict`,
 * `GET /v1/models/{name}` (`{"name", "ready"}`), `GET /v1/models` (`{"models": [...]}`) and
 * `GET /` (`{"status": "alive"}`); errors are `{"error": message}` except for unmatched routes,
 * which FastAPI answers with `{"detail": "Not Found"}` / `{"detail": "Method Not Allowed"}`.
 * liftwing adds `GET /health`, `GET /metrics`, for models whose definition says how they are
 * evaluated `POST /v1/models/{name}:evaluate` and `POST /v1/models/{name}:drift` (core's
 * `evaluateModel` and `driftReport` over the request's lines), and with a {@link Playground} the
 * page at `/` for a browser (one that accepts `text/html`) and its files under `/playground/`.
 */

/** One line of the access log. */
export interface AccessLogEntry {
  /** When the response ended, ISO 8601. */
  time: string;
  method: string;
  path: string;
  status: number;
  /** Milliseconds from request to the end of the response. */
  durationMs: number;
  /** Bytes of the response body. */
  bytes: number;
  /** The served model the request was for, or null. */
  model: string | null;
  /** The error message of a 5xx answer. */
  error?: string;
}

export interface ServerOptions {
  /** The models to serve, by their `name`. */
  models: readonly LiftWingModel<unknown, unknown>[];
  /**
   * Largest request body accepted, in bytes; larger gives 413. Default 1 MiB: Lift Wing's
   * requests are under 100 kB, and parsing a wide 10 MiB body (millions of `{}`) takes a second.
   */
  maxBodyBytes?: number;
  /** Time a prediction may take before the answer is 504; default 30 s (the gateway's). */
  requestTimeoutMs?: number;
  /** Receives one entry per request; default: one JSON line on stderr. */
  log?: (entry: AccessLogEntry) => void;
  /**
   * The definitions of the served models, by model name, for `:evaluate` and `:drift`: what their
   * scores and labels are. A model without one answers those routes with 404.
   */
  definitions?: ReadonlyMap<string, ModelDefinition>;
  /**
   * The requests of the reference sample the registry records for a served model's version, for a
   * `:drift` body without `reference`; undefined when there is none.
   */
  referenceSample?: (model: string) => Promise<Record<string, unknown>[] | undefined>;
  /** The page at `/` for browsers (`playground.ts`); none by default. */
  playground?: Playground;
}

/** A running (or ready to run) liftwing server. */
export interface LiftWingServer {
  readonly server: Server;
  readonly metrics: ServerMetrics;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops accepting connections, lets requests in flight finish, then resolves. Connections still
   * busy after `timeoutMs` (default 30 s) are cut.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** The default of {@link ServerOptions.maxBodyBytes}. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const ACTION = /^\/v1\/models\/([^/]+):(predict|evaluate|drift)$/;
const MODEL = /^\/v1\/models\/([^/]+)$/;

/** A response with status and body, sent as compact JSON unless `text` is given. */
interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  text?: { content: string; type: string };
  /** Set for answers that come from a failure, for the access log. */
  error?: string;
}

const json = (status: number, body: unknown): Answer => ({ status, body });
const notFound = (name: string) => json(404, { error: `Model with name ${name} does not exist.` });

/** The answer Lift Wing's model server gives when `model.handle` fails with `error`. */
export function errorAnswer(error: unknown): Answer {
  if (error instanceof InputError) return json(error.status, error.toResponseBody());
  if (error instanceof RateLimitError) {
    const answer = json(429, { error: error.message });
    if (error.retryAfterMs !== undefined) {
      answer.headers = { 'retry-after': String(Math.ceil(error.retryAfterMs / 1000)) };
    }
    return answer;
  }
  // Online models reach the gateway; its failures are upstream failures here.
  if (error instanceof HttpError)
    return { ...json(502, { error: error.message }), error: error.message };
  if (isLiftWingError(error, 'aborted'))
    return { ...json(504, { error: error.message }), error: error.message };
  if (isLiftWingError(error))
    return { ...json(500, { error: error.message }), error: error.message };
  // KServe's handler of unexpected exceptions answers `"<type> : <message>"`.
  const err = error instanceof Error ? error : new Error(String(error));
  const message = `${err.name} : ${err.message}`;
  return { ...json(500, { error: message }), error: err.stack ?? message };
}

/**
 * The path of a request target. Node accepts targets that WHATWG URL rejects, such as `//`; those
 * are taken as they are, up to the query, and then match no route.
 */
function pathOf(target: string): string {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return target.split('?', 1)[0]!;
  }
}

/** A model name from a path; a malformed escape (`%` alone) stays as it is, as Python's `unquote` leaves it. */
function decodeName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The JSON objects of a body's `field`, which must be a non-empty list of them. */
function objects(value: unknown, field: string): Record<string, unknown>[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((item) => typeof item !== 'object' || item === null || Array.isArray(item))
  ) {
    throw new InputError(`"${field}" must be a non-empty list of request objects.`);
  }
  return value as Record<string, unknown>[];
}

function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`"${field}" must be a number.`);
  }
  return value;
}

function optionalNumbers(value: unknown, field: string): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new InputError(`"${field}" must be a list of numbers.`);
  return value.map((item) => optionalNumber(item, field)!);
}

/** Creates the server; call `listen` to start it. */
export function createLiftWingServer(options: ServerOptions): LiftWingServer {
  const models = new Map(options.models.map((model) => [model.name, model]));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const log =
    options.log ?? ((entry: AccessLogEntry) => process.stderr.write(JSON.stringify(entry) + '\n'));
  const metrics = new ServerMetrics();
  let closing = false;

  /** The request's JSON body and its text, or the answer that refuses it. */
  async function readJson(
    request: IncomingMessage,
  ): Promise<{ body: unknown; text: string } | { refused: Answer }> {
    let raw: Buffer;
    try {
      raw = await readBody(request, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return {
          refused: json(413, { error: `Request body is larger than ${maxBodyBytes} bytes.` }),
        };
      }
      throw error;
    }
    try {
      // Before parsing: a deeply nested body costs the parser seconds, this check milliseconds.
      checkJsonDepth(raw);
      const text = raw.toString('utf8');
      return { body: JSON.parse(text), text };
    } catch (error) {
      // KServe answers undecodable bodies with InvalidInput("Unrecognized request format: <parser
      // message>"); the parser message is orjson's there and V8's here.
      return {
        refused: json(400, { error: `Unrecognized request format: ${(error as Error).message}` }),
      };
    }
  }

  /** `work`'s answer, or 504 after the timeout; a client that left aborts it. */
  async function withTimeout(
    clientGone: AbortSignal,
    what: string,
    work: (signal: AbortSignal) => Promise<unknown>,
  ): Promise<Answer> {
    const controller = new AbortController();
    // A client that left does not wait for its answer any more: stop working on it.
    const stop = () => controller.abort(clientGone.reason);
    clientGone.addEventListener('abort', stop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Answer>((resolve) => {
      timer = setTimeout(() => {
        const message = `The ${what} took longer than ${timeoutMs} ms.`;
        controller.abort(new Error(message));
        resolve({ ...json(504, { error: message }), error: message });
      }, timeoutMs);
    });
    try {
      return await Promise.race([
        work(controller.signal).then((result) => json(200, result)),
        timedOut,
      ]);
    } finally {
      clearTimeout(timer);
      clientGone.removeEventListener('abort', stop);
    }
  }

  async function predict(
    model: LiftWingModel<unknown, unknown>,
    request: IncomingMessage,
    clientGone: AbortSignal,
  ) {
    const read = await readJson(request);
    if ('refused' in read) return read.refused;
    return withTimeout(clientGone, 'prediction', (signal) =>
      model.handle(read.body, { signal, rawBody: read.text }),
    );
  }

  /** `:evaluate` and `:drift`: the lines of the body measured as the CLI's commands do. */
  async function measure(
    action: 'evaluate' | 'drift',
    model: LiftWingModel<unknown, unknown>,
    request: IncomingMessage,
    clientGone: AbortSignal,
  ): Promise<Answer> {
    const definition = options.definitions?.get(model.name);
    if (definition?.evaluation === undefined) {
      return json(404, {
        error: `Model ${model.name} cannot be ${action === 'evaluate' ? 'evaluated' : 'watched for drift'}: its package does not say what its scores are.`,
      });
    }
    const read = await readJson(request);
    if ('refused' in read) return read.refused;
    const body = read.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InputError(`A :${action} body is a JSON object.`);
    }
    const spec = evaluationOf(definition);
    const fields = body as Record<string, unknown>;
    if (action === 'evaluate') {
      const items = objects(fields.instances, 'instances').map((line, i) =>
        splitLabelled(spec, line, `instances[${i}]`),
      );
      return withTimeout(clientGone, 'evaluation', (signal) =>
        evaluateModel(model, spec, items, {
          thresholds: optionalNumbers(fields.thresholds, 'thresholds'),
          threshold: optionalNumber(fields.threshold, 'threshold'),
          bins: optionalNumber(fields.bins, 'bins'),
          signal,
        }),
      );
    }
    const current = objects(fields.current, 'current');
    const reference =
      fields.reference === undefined
        ? await options.referenceSample?.(model.name)
        : objects(fields.reference, 'reference');
    if (reference === undefined) {
      throw new InputError(
        `Give "reference", the requests to measure against: no reference sample is recorded for ${model.name}@${model.version ?? 'online'}.`,
      );
    }
    const scores = fields.features_only !== true;
    return withTimeout(clientGone, 'drift report', (signal) =>
      driftReport(definition, reference, current, { ...(scores ? { model } : {}), signal }),
    );
  }

  async function route(
    request: IncomingMessage,
    path: string,
    at: { model: string | null; prediction: boolean },
    clientGone: AbortSignal,
  ): Promise<Answer> {
    const method = request.method ?? 'GET';
    const actionMatch = ACTION.exec(path);
    const modelMatch = actionMatch === null ? MODEL.exec(path) : null;
    const name = decodeName((actionMatch ?? modelMatch)?.[1] ?? '');
    const allowed =
      actionMatch !== null
        ? 'POST'
        : modelMatch !== null || ['/', '/v1/models', '/health', '/metrics'].includes(path)
          ? 'GET'
          : undefined;
    const page = options.playground;
    if (
      page?.serves(path) &&
      method === 'GET' &&
      (path !== '/' || wantsPage(request.headers.accept))
    ) {
      const file = await page.file(path);
      return { status: 200, body: null, text: file };
    }
    if (allowed === undefined) return json(404, { detail: 'Not Found' });
    if (method !== allowed) {
      return { ...json(405, { detail: 'Method Not Allowed' }), headers: { allow: allowed } };
    }
    if (actionMatch !== null || modelMatch !== null) {
      const model = models.get(name);
      if (model === undefined) return notFound(name);
      at.model = model.name;
      if (modelMatch !== null) return json(200, { name: model.name, ready: true });
      const action = actionMatch![2] as 'predict' | 'evaluate' | 'drift';
      if (action !== 'predict') return measure(action, model, request, clientGone);
      at.prediction = true;
      return predict(model, request, clientGone);
    }
    switch (path) {
      case '/':
        return json(200, { status: 'alive' });
      case '/v1/models':
        return json(200, { models: [...models.keys()] });
      case '/health':
        return json(200, {
          status: 'ok',
          models: [...models.values()].map((model) => ({
            name: model.name,
            mode: model.mode,
            version: model.version ?? null,
          })),
        });
      default:
        return {
          status: 200,
          body: null,
          text: { content: metrics.render(), type: METRICS_CONTENT_TYPE },
        };
    }
  }

  async function onRequest(request: IncomingMessage, response: ServerResponse) {
    const started = performance.now();
    metrics.started();
    const path = pathOf(request.url ?? '/');
    const at: { model: string | null; prediction: boolean } = { model: null, prediction: false };
    const clientGone = new AbortController();
    let answer: Answer | undefined;
    let bytes = 0;
    // Attached before anything can wait, so that every request is counted and logged once,
    // however it ends: answered, or left by its client mid-body or mid-prediction.
    response.on('close', () => {
      const seconds = (performance.now() - started) / 1000;
      // 499: the client went away before the whole answer was sent (nginx's convention).
      const status = answer !== undefined && response.writableFinished ? answer.status : 499;
      if (status === 499) {
        clientGone.abort(new LiftWingError('aborted', 'The client closed the connection.'));
      }
      metrics.finished(at.model ?? '', status, seconds, at.prediction);
      const entry: AccessLogEntry = {
        time: new Date().toISOString(),
        method: request.method ?? '',
        path,
        status,
        durationMs: Math.round(seconds * 10_000) / 10,
        bytes,
        model: at.model,
      };
      if (answer?.error !== undefined) entry.error = answer.error;
      log(entry);
    });
    let result: Answer;
    try {
      result = await route(request, path, at, clientGone.signal);
    } catch (error) {
      result = errorAnswer(error);
    }
    // The close handler has logged a client that left; there is nobody to answer.
    if (response.destroyed) return;
    answer = result;
    const content = answer.text?.content ?? JSON.stringify(answer.body);
    bytes = Buffer.byteLength(content);
    const headers: Record<string, string | number> = {
      'content-type': answer.text?.type ?? 'application/json',
      'content-length': bytes,
      ...answer.headers,
    };
    // A body left unread (413) or a server shutting down: do not keep the connection.
    if (closing || !request.complete) headers.connection = 'close';
    response.writeHead(answer.status, headers);
    response.end(content);
  }

  const server = createServer((request, response) => {
    void onRequest(request, response);
  });
  // Slow clients may not hold a connection open longer than a prediction may take.
  server.requestTimeout = timeoutMs + 5_000;
  server.headersTimeout = Math.min(server.headersTimeout, server.requestTimeout);

  return {
    server,
    metrics,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close(closeTimeoutMs = 30_000) {
      closing = true;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
        server.close((error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
