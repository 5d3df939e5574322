import type { Dispatcher } from 'undici';
import type { BatchProgress, BatchResult } from './batch.js';
import { MIB } from './body.js';
import { DEFAULTS, ENV, positiveInteger } from './config.js';
import { ConfigError, HttpError, LiftWingError, RateLimitError } from './errors.js';
import { requestIdOf, type SentResponse, sendRequest, serverErrorOf } from './http.js';
import { GATEWAY_RATE_LIMITS, RateLimiter, type RateLimitOptions } from './ratelimit.js';
import { displayUrl, redactSecrets } from './redact.js';
import {
  abortError,
  parseRetryAfter,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetryOptions,
  withRetry,
} from './retry.js';
import { type LiftWingSettings, settingsOf } from './settings.js';
import type { Transport } from './transport.js';
import { isLoopbackHost } from './urls.js';
import type { UserAgentOptions } from './user-agent.js';

/** The WMF-internal Lift Wing endpoint (reachable only inside Wikimedia's network). */
export const INTERNAL_API_URL = 'https://inference.discovery.wmnet:30443/v1/models/';

/** Retries on 429, 502, 503, 504 and connection errors: 3, from 1 s doubling, half of it random. */
export const GATEWAY_RETRY_DEFAULTS: ResolvedRetryOptions = {
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  jitter: 0.5,
  maxRetryAfterMs: 120_000,
};

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/**
 * The largest gateway answer read, 16 MiB. Lift Wing's answers are small: a topic prediction
 * lists at most 64 topics (a few KB), a batch of 20 edit scores is under 10 KB, and the largest
 * (edit-check, article-descriptions batches) stay well under 1 MiB.
 * Anything near this is a misconfigured URL or a hostile server, not a prediction.
 */
export const GATEWAY_MAX_RESPONSE_BYTES = 16 * MIB;

/** Options of {@link LiftWingClient}. */
export interface LiftWingClientOptions extends UserAgentOptions {
  /**
   * Base URL of the models, ending in `/models/`; `{model}:predict` is appended.
   * Default: `LIFTWING_API_URL`, else the public gateway (or {@link INTERNAL_API_URL} when
   * `internal` is set).
   */
  apiUrl?: string;
  /**
   * Bearer token for the gateway. Default: `LIFTWING_API_TOKEN`. It is sent to `apiUrl`'s host
   * only, never logged and never part of an error.
   */
  token?: string;
  /**
   * Client-side limits. Default: the gateway's class, {@link GATEWAY_RATE_LIMITS}
   * (`authenticated` with a token, else `anonymous`). `false` turns them off.
   */
  rateLimit?: RateLimitOptions | false;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
  /** Retries (a count, or full {@link RetryOptions}). Default {@link GATEWAY_RETRY_DEFAULTS}. */
  retries?: number | RetryOptions;
  /** Time allowed for the response headers, and again for the body, in ms. Default 35 000. */
  timeoutMs?: number;
  /**
   * Send the `Host` header that each model's service needs on the WMF-internal endpoint,
   * `{isvc}.{namespace}.wikimedia.org`: the call's {@link RequestOptions.internalHost} (model
   * packages pass their own), else `hosts`.
   */
  internal?: boolean;
  /** Model → `Host` header entries for `internal` mode, for calls that name none. */
  hosts?: Record<string, string>;
  /**
   * An undici dispatcher (Agent, ProxyAgent, ...). Default: an `EnvHttpProxyAgent` of `env`
   * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
   */
  dispatcher?: Dispatcher;
  /** Most bytes of one answer read. Default {@link GATEWAY_MAX_RESPONSE_BYTES} (16 MiB). */
  maxResponseBytes?: number;
  /**
   * Settings already resolved. They replace `userAgent`, `env` and `dispatcher`; `apiUrl` and
   * `token`, when given, still win over theirs.
   */
  settings?: LiftWingSettings;
}

/** Options of a single call. */
export interface RequestOptions {
  /** Cancels the call, including waits for the rate limiter and between retries. */
  signal?: AbortSignal | undefined;
  /**
   * The model's `Host` header on the WMF-internal endpoint (sent only when the client is
   * `internal`), e.g. `my-model.my-namespace.wikimedia.org`. Default: the client's `hosts` entry.
   */
  internalHost?: string | undefined;
  /**
   * Milliseconds one attempt may take, for a model slower than the client's default
   * (`timeoutMs`), such as one that answers in seconds.
   */
  timeoutMs?: number | undefined;
}

/**
 * How a model's inputs are sent in batches: the model package supplies this to
 * {@link LiftWingClient.predictBatch}.
 */
export interface BatchSpec<I, O> {
  /** Most inputs in one request. Default 1 (the model has no batch form). */
  maxBatchSize?: number;
  /** Inputs with different keys never share a request (e.g. a `lang` field, when a batch is per wiki). */
  groupKey?: (input: I) => string;
  /** The request body for these inputs (one input, or a batch of up to `maxBatchSize`). */
  toBody: (inputs: readonly I[]) => unknown;
  /**
   * Splits a successful response into one outcome per input, in the order of `inputs`: the
   * output, or a {@link LiftWingError} for an input the server could not handle.
   */
  splitResponse: (response: unknown, inputs: readonly I[]) => ReadonlyArray<O | LiftWingError>;
  /**
   * Turns a failed request into per-input outcomes when the error says which inputs failed (e.g.
   * a 422 when every item failed). Return undefined to let the default apply: a
   * multi-input request rejected with 400 or 422 is retried one input at a time, so one bad input
   * cannot fail its neighbours; any other error is reported for each input of the request.
   */
  splitError?: (
    error: HttpError,
    inputs: readonly I[],
  ) => ReadonlyArray<O | LiftWingError> | undefined;
}

/** One input's outcome in {@link LiftWingClient.predictBatch}, with the input it belongs to. */
export type GatewayBatchResult<I, O> = BatchResult<O> & { input: I };

/** Options of {@link LiftWingClient.predictBatch}. */
export interface PredictBatchOptions extends RequestOptions {
  /** Called after each request's inputs have their outcomes. */
  onProgress?: (progress: BatchProgress) => void;
}

interface Target {
  url: string;
  headers: Record<string, string>;
}

/**
 * A client of the Lift Wing gateway: rate-limited, retrying, with typed errors.
 *
 * @example
 * ```ts
 * const client = new LiftWingClient({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const score = await client.predict('articlequality', { lang: 'en', rev_id: 12345 });
 * ```
 */
export class LiftWingClient {
  /** The base URL requests go to. */
  readonly apiUrl: string;
  /** The User-Agent sent with every request. */
  readonly userAgent: string;
  // A private field keeps the token out of console.log, util.inspect and JSON.stringify.
  readonly #token: string | undefined;
  readonly #limiter: RateLimiter;
  readonly #retry: ResolvedRetryOptions;
  readonly #timeoutMs: number;
  readonly #internal: boolean;
  readonly #hosts: Readonly<Record<string, string>>;
  readonly #transport: Transport;
  readonly #concurrency: number;
  readonly #maxResponseBytes: number;
  readonly #targets = new Map<string, Target>();

  constructor(options: LiftWingClientOptions = {}) {
    const settings = settingsOf(options);
    this.#internal = options.internal ?? false;
    const apiUrl =
      options.apiUrl ?? settings.apiUrl ?? (this.#internal ? INTERNAL_API_URL : DEFAULTS.apiUrl);
    let parsed: URL;
    try {
      parsed = new URL(apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);
    } catch {
      // Not kept as the cause: the TypeError quotes the URL, credentials and all.
      throw new ConfigError(
        `The Lift Wing API URL ${JSON.stringify(displayUrl(apiUrl))} is not a URL; set apiUrl or ${ENV.apiUrl} to e.g. ${DEFAULTS.apiUrl}.`,
      );
    }
    this.apiUrl = parsed.href;
    this.#token = options.token ?? settings.token;
    if (this.#token !== undefined && /[\r\n]/.test(this.#token)) {
      throw new ConfigError(`The API token contains a line break; check ${ENV.apiToken}.`);
    }
    const encrypted =
      parsed.protocol === 'https:' ||
      (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
    if (this.#token !== undefined && !encrypted) {
      const setting = options.apiUrl !== undefined ? 'apiUrl' : settings.apiUrlFrom;
      throw new ConfigError(
        `The Lift Wing API URL ${displayUrl(parsed)} (${setting}) is not https, and a token ` +
          `(${options.token !== undefined ? 'token' : settings.tokenFrom}) must not travel unencrypted; ` +
          `use an https:// URL in ${setting} (plain http is accepted only for localhost/127.0.0.1).`,
      );
    }
    this.#transport = settings.transport;
    this.userAgent = settings.transport.userAgent;
    const limits =
      options.rateLimit === false
        ? {}
        : (options.rateLimit ??
          (this.#token ? GATEWAY_RATE_LIMITS.authenticated : GATEWAY_RATE_LIMITS.anonymous));
    this.#concurrency = options.concurrency ?? 16;
    this.#limiter = new RateLimiter({ ...limits, concurrency: this.#concurrency });
    this.#retry = resolveRetryOptions(options.retries, GATEWAY_RETRY_DEFAULTS);
    this.#timeoutMs = options.timeoutMs ?? 35_000;
    this.#hosts = { ...options.hosts };
    this.#maxResponseBytes = positiveInteger(
      options.maxResponseBytes ?? GATEWAY_MAX_RESPONSE_BYTES,
      'maxResponseBytes',
    );
  }

  /** True when a token is configured (the token itself is never exposed). */
  get authenticated(): boolean {
    return this.#token !== undefined;
  }

  /**
   * POSTs `body` to `{apiUrl}{model}:predict` and returns the parsed JSON response.
   *
   * @throws {@link HttpError} for a non-2xx answer or no answer, {@link RateLimitError} for 429
   *   after the retries, a `LiftWingError` with code `aborted` when `signal` fires.
   */
  async predict<T = unknown>(model: string, body: unknown, options: RequestOptions = {}) {
    const target = this.#target(model, options.internalHost);
    const payload = JSON.stringify(body);
    return withRetry(
      () => this.#send<T>(model, target, payload, options),
      (error) => this.#retryDecision(error),
      this.#retry,
      options.signal,
    );
  }

  /**
   * Sends many inputs as fast as the limits allow, in the model's batch form where
   * `spec.maxBatchSize > 1`, and returns one outcome per input in input order. Per-input failures
   * are outcomes, not exceptions; only cancellation (or a bug in `spec`) rejects.
   */
  async predictBatch<I, O>(
    model: string,
    inputs: readonly I[],
    spec: BatchSpec<I, O>,
    options: PredictBatchOptions = {},
  ): Promise<GatewayBatchResult<I, O>[]> {
    const { signal, onProgress, internalHost, timeoutMs } = options;
    const results = new Array<GatewayBatchResult<I, O>>(inputs.length);
    const chunks = chunkIndices(inputs, spec);
    const progress: BatchProgress = { done: 0, failed: 0, total: inputs.length };

    const settle = (indices: readonly number[], outcomes: ReadonlyArray<O | LiftWingError>) => {
      if (outcomes.length !== indices.length) {
        // A bug of the model package that wrote the spec, not of the request.
        throw new Error(
          `The batch spec for ${model} returned ${outcomes.length} outcomes for ${indices.length} inputs.`,
        );
      }
      indices.forEach((index, i) => {
        const outcome = outcomes[i] as O | LiftWingError;
        const input = inputs[index] as I;
        results[index] =
          outcome instanceof LiftWingError
            ? { ok: false, input, error: outcome }
            : { ok: true, input, value: outcome };
        if (outcome instanceof LiftWingError) progress.failed++;
      });
      progress.done += indices.length;
    };

    const run = async (indices: readonly number[]): Promise<void> => {
      const items = indices.map((index) => inputs[index] as I);
      try {
        const response = await this.predict(model, spec.toBody(items), {
          signal,
          internalHost,
          timeoutMs,
        });
        settle(indices, spec.splitResponse(response, items));
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        if (!(error instanceof HttpError)) throw error;
        const split = spec.splitError?.(error, items);
        if (split) return settle(indices, split);
        if (indices.length > 1 && (error.status === 400 || error.status === 422)) {
          for (const index of indices) await run([index]);
          return;
        }
        settle(
          indices,
          items.map(() => error),
        );
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as number[];
        await run(chunk);
        onProgress?.({ ...progress });
      }
    };
    const workers = Math.max(1, Math.min(chunks.length, this.#concurrency));
    await Promise.all(Array.from({ length: workers }, worker));
    return results;
  }

  #target(model: string, internalHost: string | undefined): Target {
    const key = `${model} ${internalHost ?? ''}`;
    let target = this.#targets.get(key);
    if (target) return target;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(model)) {
      throw new ConfigError(
        `${JSON.stringify(model)} is not a Lift Wing model name (letters, digits, '.', '_', '-').`,
      );
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (this.#internal) {
      const host = internalHost ?? this.#hosts[model];
      if (host === undefined) {
        throw new ConfigError(
          `No internal Host header is known for model ${model}; pass hosts: { '${model}': '<isvc>.<namespace>.wikimedia.org' }.`,
        );
      }
      headers.host = host;
    }
    target = { url: `${this.apiUrl}${model}:predict`, headers };
    this.#targets.set(key, target);
    return target;
  }

  async #send<T>(model: string, target: Target, payload: string, options: RequestOptions) {
    const { signal } = options;
    const release = await this.#limiter.acquire(signal);
    try {
      const response = await sendRequest(target.url, {
        method: 'POST',
        headers: target.headers,
        body: payload,
        signal,
        transport: this.#transport,
        timeoutMs: options.timeoutMs ?? this.#timeoutMs,
        what: 'the Lift Wing gateway',
        model,
        asksContact: true,
        maxBodyBytes: this.#maxResponseBytes,
        tooLargeHint: `Check the API URL (${ENV.apiUrl}); if the model really answers that much, raise maxResponseBytes.`,
      });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw this.#httpError(model, target.url, response);
      }
      try {
        return JSON.parse(response.text) as T;
      } catch {
        // No cause: V8's message quotes the text, which may echo the token.
        throw new HttpError(
          `Lift Wing ${model} answered HTTP ${response.statusCode} with something that is not JSON; check the API URL (apiUrl or ${ENV.apiUrl}).`,
          { status: response.statusCode, model, url: target.url },
        );
      }
    } finally {
      release();
    }
  }

  #httpError(model: string, url: string, response: SentResponse) {
    const status = response.statusCode;
    // A server may echo the token anywhere it likes: in the body, a header, a redirect's target.
    const secrets = [this.#token];
    const server = serverErrorOf(response.text, secrets);
    const serverMessage = server.message;
    const requestId = requestIdOf(response.headers);
    const details = {
      status,
      serverMessage,
      serverMessageKey: server.key,
      model,
      url,
      requestId: requestId === undefined ? undefined : redactSecrets(requestId, secrets),
    };
    const said = serverMessage ? `: ${serverMessage}` : '';
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      return new RateLimitError(
        `Lift Wing rate limit hit for ${model} (HTTP 429${said}). Slow down, wait ` +
          `${retryAfterMs === undefined ? 'a while' : `${Math.ceil(retryAfterMs / 1000)} s`}, or use a token (${ENV.apiToken}) for a higher limit.`,
        { ...details, retryAfterMs },
      );
    }
    if (status >= 300 && status < 400) {
      const location = [response.headers.location].flat()[0];
      const target =
        location === undefined ? 'nowhere' : redactSecrets(displayUrl(location), secrets);
      return new HttpError(
        `The Lift Wing gateway redirected ${model} (HTTP ${status}) to ${target}. ` +
          `Redirects are not followed, so a token never reaches another host; set apiUrl to the final URL.`,
        details,
      );
    }
    return new HttpError(
      `Lift Wing ${model} answered HTTP ${status}${said}. ${hint(status)}`,
      details,
    );
  }

  #retryDecision(error: unknown) {
    if (!(error instanceof HttpError)) return false;
    if (error.status === undefined) return error.cause === undefined ? false : {};
    if (!RETRY_STATUSES.has(error.status)) return false;
    if (error instanceof RateLimitError && error.retryAfterMs !== undefined) {
      // A wait longer than the retries honour ends them, and must not stall later calls either:
      // their caller gets the 429 at once and decides.
      if (error.retryAfterMs > this.#retry.maxRetryAfterMs) return false;
      this.#limiter.pauseFor(error.retryAfterMs);
      return { afterMs: error.retryAfterMs };
    }
    return {};
  }
}

function hint(status: number): string {
  if (status === 400 || status === 422) return 'The request was rejected: check the input.';
  if (status === 401 || status === 403) {
    return `Check the token (${ENV.apiToken}) and that it may use Lift Wing.`;
  }
  if (status === 404) return 'Check the model name and the API URL.';
  if (status >= 500) return 'The service failed; try again later.';
  return '';
}

/** Groups inputs by `groupKey` (in order of first appearance) and cuts groups into batches. */
function chunkIndices<I>(inputs: readonly I[], spec: BatchSpec<I, unknown>): number[][] {
  const size = spec.maxBatchSize ?? 1;
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new ConfigError(`maxBatchSize must be a whole number >= 1, got ${size}.`);
  }
  const groups = new Map<string, number[]>();
  inputs.forEach((input, index) => {
    const key = spec.groupKey?.(input) ?? '';
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  });
  const chunks: number[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += size) chunks.push(group.slice(i, i + size));
  }
  return chunks;
}
