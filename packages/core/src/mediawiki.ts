import type { Dispatcher } from 'undici';
import { platform } from '#platform';
import { MIB } from './body.js';
import { DEFAULTS, ENV, positiveInteger } from './config.js';
import { ConfigError, HttpError, MediaWikiError } from './errors.js';
import { requestIdOf, sendRequest, serverMessageOf, TRANSIENT_STATUSES } from './http.js';
import { RateLimiter } from './ratelimit.js';
import { displayUrl } from './redact.js';
import {
  parseRetryAfter,
  type ResolvedRetryOptions,
  type RetryDecision,
  type RetryOptions,
  resolveRetryOptions,
  withRetry,
} from './retry.js';
import { type LiftWingSettings, settingsOf } from './settings.js';
import type { Transport } from './transport.js';
import type { UserAgentOptions } from './user-agent.js';

/**
 * Retries as Lift Wing's model servers do when they call MediaWiki: 2 retries, 0.5 s then 1 s.
 */
export const MEDIAWIKI_RETRY_DEFAULTS: ResolvedRetryOptions = {
  retries: 2,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  jitter: 0,
  maxRetryAfterMs: 30_000,
};

/** MediaWiki error codes that a later attempt may not get (plus every `internal_api_error*`). */
export const TRANSIENT_MEDIAWIKI_CODES: ReadonlySet<string> = new Set([
  'maxlag',
  'ratelimited',
  'readonly',
]);

/** MediaWiki error codes that say the input itself is wrong (Lift Wing answers these with 400). */
export const INPUT_MEDIAWIKI_CODES: ReadonlySet<string> = new Set([
  'nosuchrevid',
  'missingtitle',
  'invalidtitle',
  'nosuchpageid',
  'permissiondenied',
]);

/** True for a MediaWiki error code worth retrying. */
export function isTransientMediaWikiCode(code: string): boolean {
  return TRANSIENT_MEDIAWIKI_CODES.has(code) || code.startsWith('internal_api_error');
}

/**
 * The largest MediaWiki answer read, 32 MiB. MediaWiki cuts an API result at
 * `$wgAPIMaxResultSize`, 8 MiB on Wikimedia's wikis (counted before JSON encoding), and continues
 * the rest in a later request; JSON escaping (`\n`, `\"`, `\uXXXX`) can grow that, so this allows
 * four times as much. More is not an answer from MediaWiki.
 */
export const MEDIAWIKI_MAX_RESPONSE_BYTES = 32 * MIB;

/**
 * Most requests one {@link MediaWikiClient.queryAll} makes, 100. The longest queries Lift Wing's
 * models make need a handful: links come 500 a request and a model that stops after 1000 of them
 * needs 40 for a list article with 20,000 links; 50 revisions with their content come at least 4
 * a request (a wikitext is at most 2 MiB). A query that still continues after this many is a
 * server that never ends, and it fails rather than returning a part of the result.
 */
export const MEDIAWIKI_MAX_QUERY_REQUESTS = 100;

/** Options of {@link MediaWikiClient}. */
export interface MediaWikiClientOptions extends UserAgentOptions {
  /**
   * The Action API URL; `{host}` is replaced by the wiki's host. Without `{host}`, every request
   * goes to this URL with a `Host` header naming the wiki (how services inside Wikimedia's network
   * reach MediaWiki). Default: `LIFTWING_MW_API_URL`, else `https://{host}/w/api.php`.
   */
  apiUrlTemplate?: string;
  /** `maxlag` sent with every request, in seconds; `false` sends none. Default 5. */
  maxlag?: number | false;
  /** Retries (a count, or full {@link RetryOptions}). Default {@link MEDIAWIKI_RETRY_DEFAULTS}. */
  retries?: number | RetryOptions;
  /** Time allowed for the response headers, and again for the body, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /**
   * An undici dispatcher (Agent, ProxyAgent, ...). Default: an `EnvHttpProxyAgent` of `env`
   * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
   */
  dispatcher?: Dispatcher;
  /** Most bytes of one answer read. Default {@link MEDIAWIKI_MAX_RESPONSE_BYTES} (32 MiB). */
  maxResponseBytes?: number;
  /** Most requests of one `queryAll`. Default {@link MEDIAWIKI_MAX_QUERY_REQUESTS} (100). */
  maxQueryRequests?: number;
  /**
   * Settings already resolved. They replace `userAgent`, `env` and `dispatcher`;
   * `apiUrlTemplate`, when given, still wins over theirs.
   */
  settings?: LiftWingSettings;
}

/** A parameter value: arrays are joined with `|`; `true` sends the flag, `false`/undefined omit it. */
export type ApiParamValue = string | number | boolean | readonly (string | number)[] | undefined;

/** Action API parameters. `format=json` and `formatversion=2` are always added. */
export type ApiParams = Readonly<Record<string, ApiParamValue>>;

/** A page of an `action=query` response (`formatversion=2`). */
export interface QueryPage {
  pageid?: number;
  ns: number;
  title: string;
  missing?: boolean;
  invalid?: boolean;
  invalidreason?: string;
  pageprops?: Record<string, string>;
  [key: string]: unknown;
}

/** An Action API response (`formatversion=2`). */
export interface ApiResponse {
  batchcomplete?: boolean;
  continue?: Record<string, string>;
  query?: {
    pages?: QueryPage[];
    normalized?: { from: string; to: string }[];
    redirects?: { from: string; to: string }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Encodes parameters as MediaWiki expects (multi-values with `|`, or `\x1f` if a value has `|`). */
export function encodeParams(params: ApiParams): URLSearchParams {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === false) continue;
    if (value === true) search.set(key, '');
    else if (typeof value === 'object') {
      const parts = value.map(String);
      search.set(
        key,
        parts.some((part) => part.includes('|')) ? `\x1f${parts.join('\x1f')}` : parts.join('|'),
      );
    } else search.set(key, String(value));
  }
  return search;
}

// Longer query strings go in a POST body: some proxies refuse long URLs.
const MAX_GET_QUERY = 4000;

/**
 * A client of the MediaWiki Action API of any Wikimedia wiki, with Lift Wing's retry policy and
 * typed errors. A model package builds its own queries on `request`, `query` and `queryAll`.
 *
 * @example
 * ```ts
 * const mw = new MediaWikiClient({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * for await (const response of mw.queryAll('en.wikipedia.org', { list: 'allpages', aplimit: 500 })) {
 *   console.log(response.query?.allpages);
 * }
 * ```
 */
export class MediaWikiClient {
  /** The URL template in use. */
  readonly apiUrlTemplate: string;
  /** The User-Agent sent with every request. */
  readonly userAgent: string;
  readonly #maxlag: number | false;
  readonly #retry: ResolvedRetryOptions;
  readonly #timeoutMs: number;
  readonly #limiter: RateLimiter;
  readonly #transport: Transport;
  readonly #hostMode: boolean;
  readonly #maxResponseBytes: number;
  readonly #maxQueryRequests: number;

  constructor(options: MediaWikiClientOptions = {}) {
    const settings = settingsOf(options);
    this.apiUrlTemplate = options.apiUrlTemplate ?? settings.mwApiUrl;
    this.#hostMode = !this.apiUrlTemplate.includes('{host}');
    try {
      new URL(this.apiUrlTemplate.replaceAll('{host}', 'example.org'));
    } catch {
      // Not kept as the cause: the TypeError quotes the URL, credentials and all.
      throw new ConfigError(
        `The MediaWiki API URL ${JSON.stringify(displayUrl(this.apiUrlTemplate))} is not a URL template; set apiUrlTemplate or ${ENV.mwApiUrl} to e.g. ${DEFAULTS.mwApiUrl}.`,
      );
    }
    this.#transport = settings.transport;
    this.userAgent = settings.transport.userAgent;
    this.#maxlag = options.maxlag ?? 5;
    this.#retry = resolveRetryOptions(options.retries, MEDIAWIKI_RETRY_DEFAULTS);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#limiter = new RateLimiter({ concurrency: options.concurrency ?? 8 });
    this.#maxResponseBytes = positiveInteger(
      options.maxResponseBytes ?? MEDIAWIKI_MAX_RESPONSE_BYTES,
      'maxResponseBytes',
    );
    this.#maxQueryRequests = positiveInteger(
      options.maxQueryRequests ?? MEDIAWIKI_MAX_QUERY_REQUESTS,
      'maxQueryRequests',
    );
  }

  /**
   * One Action API request to the wiki at `host` (e.g. `en.wikipedia.org`), retried on transient
   * failures.
   *
   * @throws {@link MediaWikiError} for an API error (`permanent` says whether retrying can help),
   *   {@link HttpError} for a non-200 answer or no answer.
   */
  async request<T extends ApiResponse = ApiResponse>(
    host: string,
    params: ApiParams,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) {
      throw new ConfigError(`${JSON.stringify(host)} is not a wiki host name.`);
    }
    const url = this.#hostMode
      ? this.apiUrlTemplate
      : this.apiUrlTemplate.replaceAll('{host}', host);
    const body = encodeParams({
      ...params,
      format: 'json',
      formatversion: 2,
      maxlag: this.#maxlag === false ? undefined : this.#maxlag,
    }).toString();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#hostMode) headers.host = host;
    const post = body.length > MAX_GET_QUERY;
    if (post) headers['content-type'] = 'application/x-www-form-urlencoded';
    // In a browser, MediaWiki answers a request of another origin with CORS headers only when
    // its URL says `origin=*` (an anonymous request), for a POST too (mediawiki.org, Manual:CORS).
    const query = [post ? '' : body, platform.name === 'browser' ? 'origin=*' : '']
      .filter((part) => part !== '')
      .join('&');
    const target = query === '' ? url : `${url}${url.includes('?') ? '&' : '?'}${query}`;
    return withRetry(
      () => this.#send<T>(host, target, headers, post ? body : undefined, options.signal),
      retryDecision,
      this.#retry,
      options.signal,
    );
  }

  /** `action=query` with `params`. */
  query(host: string, params: ApiParams, options: { signal?: AbortSignal } = {}) {
    return this.request(host, { action: 'query', ...params }, options);
  }

  /**
   * `action=query` following `continue` until the result is complete: yields each response.
   * Stop iterating to stop requesting.
   *
   * @throws {@link MediaWikiError} `repeatedcontinue` (permanent) as soon as the server sends a
   *   `continue` it sent before, which would loop for ever, and `toomanyrequests` when the result
   *   still continues after `maxQueryRequests` requests; no further request is made.
   */
  async *queryAll(
    host: string,
    params: ApiParams,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<ApiResponse, void, undefined> {
    const seen = new Set<string>();
    let cont: Record<string, string> | undefined;
    for (let requests = 1; ; requests++) {
      const response = await this.query(host, { ...params, ...cont }, options);
      yield response;
      cont = response.continue;
      if (cont === undefined) return;
      const key = JSON.stringify(Object.entries(cont).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (seen.has(key)) {
        throw new MediaWikiError(
          'repeatedcontinue',
          `The MediaWiki API of ${host} sent the same continuation twice (${JSON.stringify(cont)}), so the query would never end; liftwing stopped after ${requests} requests. Check the API URL (${ENV.mwApiUrl}).`,
          { permanent: true },
        );
      }
      seen.add(key);
      if (requests >= this.#maxQueryRequests) {
        throw new MediaWikiError(
          'toomanyrequests',
          `The MediaWiki API of ${host} still had more after ${requests} requests for one query; liftwing stopped rather than use a part of the result. Check the API URL (${ENV.mwApiUrl}); if the query really is that long, raise maxQueryRequests.`,
          { permanent: true },
        );
      }
    }
  }

  async #send<T>(
    host: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const release = await this.#limiter.acquire(signal);
    try {
      const response = await sendRequest(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        body,
        signal,
        transport: this.#transport,
        timeoutMs: this.#timeoutMs,
        what: `the MediaWiki API of ${host}`,
        asksContact: true,
        maxBodyBytes: this.#maxResponseBytes,
        tooLargeHint: `Check the API URL (${ENV.mwApiUrl}); if the wiki really answers that much, raise maxResponseBytes.`,
      });
      const { text } = response;
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      if (response.statusCode !== 200) {
        const serverMessage = serverMessageOf(text);
        throw withRetryAfter(
          new HttpError(
            `The MediaWiki API of ${host} answered HTTP ${response.statusCode}${serverMessage ? `: ${serverMessage}` : ''}.`,
            {
              status: response.statusCode,
              serverMessage,
              url,
              requestId: requestIdOf(response.headers),
            },
          ),
          retryAfterMs,
        );
      }
      let json: T & { error?: { code?: string; info?: string } };
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new HttpError(
          `The MediaWiki API of ${host} answered with something that is not JSON; check the API URL (${ENV.mwApiUrl}).`,
          { status: response.statusCode, url, cause },
        );
      }
      if (json.error) {
        const code = json.error.code ?? 'unknown';
        const transient = isTransientMediaWikiCode(code);
        throw withRetryAfter(
          new MediaWikiError(
            code,
            `The MediaWiki API of ${host} answered ${code}: ${json.error.info ?? 'no details'}.`,
            { permanent: !transient },
          ),
          retryAfterMs,
        );
      }
      return json;
    } finally {
      release();
    }
  }
}

// The wait a server asked for with an error (e.g. `maxlag` comes with `Retry-After`).
const retryAfterOf = new WeakMap<Error, number>();

function withRetryAfter<E extends Error>(error: E, retryAfterMs: number | undefined): E {
  if (retryAfterMs !== undefined) retryAfterOf.set(error, retryAfterMs);
  return error;
}

function retryDecision(error: unknown): RetryDecision {
  const afterMs = error instanceof Error ? retryAfterOf.get(error) : undefined;
  const wait = afterMs === undefined ? {} : { afterMs };
  if (error instanceof MediaWikiError) return error.permanent ? false : wait;
  if (error instanceof HttpError) {
    if (error.status === undefined) return error.cause === undefined ? false : {};
    return TRANSIENT_STATUSES.has(error.status) ? wait : false;
  }
  return false;
}
