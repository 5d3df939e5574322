/**
 * The way core talks HTTP in Node.js: the undici dispatcher (the environment's proxy), the
 * User-Agent, timeouts, and network failures turned into core's errors. The gateway, MediaWiki,
 * registry and download code all send through a {@link Transport}, so that they agree on all of
 * these. In a browser, `fetch-transport.ts` keeps the same rules with fetch.
 *
 * @packageDocumentation
 */
import { type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { readBody, readBodyPrefix } from './body.js';
import type { Env } from './config.js';
import { HttpError, LiftWingError } from './errors.js';
import type { BodyRequest, HttpTransport, SentResponse, TransportRequest } from './http.js';
import { displayUrl } from './redact.js';
import { abortError, isConnectionError } from './retry.js';
import { type UserAgent, warnNoContact } from './user-agent.js';

/** The proxy variables of an environment, lower case first as curl and undici read them. */
function proxyOf(env: Env) {
  const read = (name: string) => env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';
  // Empty strings rather than undefined: undici would read process.env for an undefined one.
  return {
    httpProxy: read('http_proxy'),
    httpsProxy: read('https_proxy'),
    noProxy: read('no_proxy'),
  };
}

/** True when `env` sets no proxy: requests then connect straight to their servers. */
export function setsNoProxy(env: Env): boolean {
  const proxy = proxyOf(env);
  // https falls back to the http proxy in undici, as in curl: either one set means a proxy.
  return proxy.httpProxy === '' && proxy.httpsProxy === '';
}

// One agent per proxy configuration, so that every client of a process shares its connections.
const agents = new Map<string, Dispatcher>();

/**
 * The dispatcher for `env`: an `EnvHttpProxyAgent` honouring its `HTTPS_PROXY`, `HTTP_PROXY`
 * and `NO_PROXY` (not necessarily `process.env`'s).
 */
export function proxyDispatcher(env: Env): Dispatcher {
  const proxy = proxyOf(env);
  const key = JSON.stringify(proxy);
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = new EnvHttpProxyAgent(proxy);
    agents.set(key, agent);
  }
  return agent;
}

export type { TransportRequest };

/** Sends requests with one dispatcher and one User-Agent; see the module documentation. */
export class Transport implements HttpTransport {
  readonly dispatcher: Dispatcher;
  /** The User-Agent header of every request. */
  readonly userAgent: string;
  /**
   * Requests connect straight to their servers: no proxy applies and the dispatcher is not the
   * caller's own. Only then may a download read its own socket (see `socket-get.ts`).
   */
  readonly direct: boolean;
  readonly #hasContact: boolean;
  readonly #warnings: boolean;

  /** `options.warnings: false` silences the no-contact warning (see `warnings.ts`). */
  constructor(
    userAgent: UserAgent,
    dispatcher: Dispatcher,
    options: { warnings?: boolean; direct?: boolean } = {},
  ) {
    this.userAgent = userAgent.value;
    this.#hasContact = userAgent.hasContact;
    this.dispatcher = dispatcher;
    this.#warnings = options.warnings ?? true;
    this.direct = options.direct ?? false;
  }

  /**
   * Sends a request; any HTTP status resolves. A network failure rejects with
   * {@link Transport.failure}'s error.
   */
  async request(url: string | URL, sent: TransportRequest): Promise<Dispatcher.ResponseData> {
    // Warned when a request leaves without a contact, not when settings are made for offline use.
    if (sent.asksContact === true && !this.#hasContact) warnNoContact({ warnings: this.#warnings });
    try {
      return await request(url, {
        method: sent.method,
        headers: { ...sent.headers, 'user-agent': this.userAgent },
        body: sent.body,
        signal: sent.signal,
        dispatcher: this.dispatcher,
        headersTimeout: sent.timeoutMs,
        bodyTimeout: sent.timeoutMs,
      });
    } catch (error) {
      throw this.failure(error, url, sent);
    }
  }

  /**
   * Sends a request and reads the answer into memory: whole for a 2xx answer, at most
   * `maxBodyBytes` of it, else its first 64 KiB. A failure, of the headers or of the body, rejects
   * with {@link Transport.failure}'s error; any HTTP status resolves.
   */
  async send(url: string, sent: BodyRequest): Promise<SentResponse> {
    const response = await this.request(url, sent);
    try {
      const { statusCode, headers } = response;
      const text =
        statusCode >= 200 && statusCode < 300
          ? await readBody(response, {
              maxBytes: sent.maxBodyBytes,
              what: sent.what,
              url,
              hint: sent.tooLargeHint,
              model: sent.model,
            })
          : await readBodyPrefix(response.body);
      return { statusCode, headers, text };
    } catch (error) {
      throw this.failure(error, url, sent);
    }
  }

  /**
   * The error for a failure while sending to `url` or reading its answer: an `aborted`
   * {@link LiftWingError} when the caller's signal fired, a LiftWingError as it is, else an
   * {@link HttpError} naming the server. Only a connection failure (refused, reset, timeout) is
   * kept as its `cause`: that is what makes an HttpError without a status `retryable`, and a
   * certificate or proxy refusal is not worth retrying.
   */
  failure(
    error: unknown,
    url: string | URL,
    sent: Pick<TransportRequest, 'signal' | 'what' | 'model'>,
  ): LiftWingError {
    // undici rejects with the signal's reason, which may be any value (a TimeoutError, an Error).
    if (sent.signal?.aborted) return abortError(sent.signal);
    if (error instanceof LiftWingError) return error;
    const origin = displayUrl(new URL(url).origin);
    const err = error as Error & { code?: string };
    const transient = isConnectionError(error);
    return new HttpError(
      `${transient ? 'Could not reach' : 'No answer from'} ${sent.what} at ${origin} ` +
        `(${err.code ? `${err.code}: ` : ''}${err.message}). ` +
        'Check the URL, your network and the proxy (HTTPS_PROXY, NO_PROXY).',
      { url: new URL(url).href, model: sent.model, ...(transient ? { cause: error } : {}) },
    );
  }
}
