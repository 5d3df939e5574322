/**
 * A {@link HttpTransport} on the `fetch` of the runtime, for browsers (and any runtime with
 * `fetch` and without Node.js): what `#platform` gives core there. It keeps the rules of the
 * undici transport (`transport.ts`): the same timeouts (to the headers, then each silence of the
 * body), the same ceiling on what is read, the same errors; it differs where a browser decides.
 *
 * - The User-Agent goes in `Api-User-Agent`: a browser does not let a page set `User-Agent`, and
 *   Wikimedia's User-Agent policy asks browser clients to send this header instead
 *   (https://foundation.wikimedia.org/wiki/Policy:Wikimedia_Foundation_User-Agent_Policy).
 * - A JSON body is sent as `text/plain`, so that a request needs no more of the server's CORS
 *   rules than the gateway's (`Api-User-Agent` and `Authorization`; see the package README).
 * - Nothing of the page rides along: no cookies (`credentials: 'omit'`), no cache.
 * - A redirect is not followed (`redirect: 'manual'`), as the undici transport follows none, so
 *   that a token never reaches another host.
 * - A request with a `Host` header (the WMF-internal endpoint) is refused: fetch may not set it.
 *
 * @packageDocumentation
 */
import { ERROR_BODY_BYTES, tooLargeError } from './body.js';
import { ConfigError, HttpError, LiftWingError } from './errors.js';
import type { BodyRequest, HttpTransport, SentResponse } from './http.js';
import { displayUrl } from './redact.js';
import { abortError } from './retry.js';
import { type UserAgent, warnNoContact } from './user-agent.js';

/** The content type of a JSON body; see {@link FetchTransport.send}. */
const TEXT_PLAIN = 'text/plain;charset=UTF-8';

/** A timeout of the transport itself: like a refused connection, worth another attempt. */
class SilenceTimeout extends Error {
  constructor(ms: number, part: string) {
    super(`no ${part} within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** Options of a {@link FetchTransport}. */
export interface FetchTransportOptions {
  /** `false` silences the no-contact warning (see `warnings.ts`). */
  warnings?: boolean;
  /** The `fetch` to call. Default: the global one, looked up at each request. */
  fetch?: typeof fetch;
}

/**
 * Sends requests with the runtime's `fetch`; see the module documentation.
 *
 * @example
 * ```ts
 * const transport = new FetchTransport(userAgentOf('MyTool/1.0 (me@example.org)'));
 * ```
 */
export class FetchTransport implements HttpTransport {
  /** The `Api-User-Agent` header of every request. */
  readonly userAgent: string;
  readonly #hasContact: boolean;
  readonly #warnings: boolean;
  readonly #fetch: typeof fetch | undefined;

  constructor(userAgent: UserAgent, options: FetchTransportOptions = {}) {
    this.userAgent = userAgent.value;
    this.#hasContact = userAgent.hasContact;
    this.#warnings = options.warnings ?? true;
    this.#fetch = options.fetch;
  }

  /**
   * Sends a request and reads the answer: whole for a 2xx answer (at most `maxBodyBytes`, else
   * an {@link HttpError} `response_too_large`), its first 64 KiB otherwise. Any HTTP status
   * resolves; a network failure, a timeout or a redirect rejects with {@link failure}'s error.
   */
  async send(url: string, sent: BodyRequest): Promise<SentResponse> {
    if (sent.asksContact === true && !this.#hasContact) warnNoContact({ warnings: this.#warnings });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(sent.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower === 'host') {
        throw new ConfigError(
          `${capitalised(sent.what)} needs a Host header, which fetch may not set (Wikimedia's internal endpoints are for servers inside its network): use the public URL, i.e. drop internal: true for the gateway, or put {host} in a MediaWiki URL template.`,
        );
      }
      // A JSON body goes as text/plain, a content type that needs no CORS preflight: the
      // gateway's preflight admits Api-User-Agent and Authorization only, and KServe parses the
      // body as JSON whatever its type (VisualEditor's tone check sends its JSON as text/html).
      headers[lower] =
        lower === 'content-type' && value === 'application/json' ? TEXT_PLAIN : value;
    }
    headers['api-user-agent'] = this.userAgent;

    // One controller for the caller's signal and the transport's own timeouts.
    const controller = new AbortController();
    const onAbort = () => controller.abort(sent.signal?.reason);
    if (sent.signal?.aborted) throw abortError(sent.signal);
    sent.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut: SilenceTimeout | undefined;
    const silence = (part: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = new SilenceTimeout(sent.timeoutMs, part);
        controller.abort(timedOut);
      }, sent.timeoutMs);
    };
    try {
      silence('answer');
      // `cache` is the browser's (Node.js's fetch has no HTTP cache, and its types lack it).
      const init: RequestInit & { cache?: 'no-store' } = {
        method: sent.method,
        headers,
        body: sent.body,
        signal: controller.signal,
        redirect: 'manual',
        credentials: 'omit',
        cache: 'no-store',
      };
      const response = await (this.#fetch ?? fetch)(url, init);
      // A browser hides a redirect it did not follow (status 0, no headers); the server's 3xx
      // itself, where fetch shows it, is answered as undici's is, by the client that sent it.
      if (response.type === 'opaqueredirect') {
        await response.body?.cancel().catch(() => undefined);
        throw this.#redirected(url, sent, response);
      }
      const ok = response.status >= 200 && response.status < 300;
      const limit = ok ? sent.maxBodyBytes : ERROR_BODY_BYTES;
      const bodyLimit = {
        maxBytes: sent.maxBodyBytes,
        what: sent.what,
        url,
        hint: sent.tooLargeHint,
        model: sent.model,
      };
      if (ok && Number(response.headers.get('content-length')) > limit) {
        await response.body?.cancel().catch(() => undefined);
        throw tooLargeError(bodyLimit, response.status);
      }
      const bytes = await readLimited(response, limit, ok, () => silence('data'));
      if (bytes === undefined) throw tooLargeError(bodyLimit, response.status);
      return {
        statusCode: response.status,
        headers: Object.fromEntries(response.headers),
        text: new TextDecoder().decode(bytes),
      };
    } catch (error) {
      throw this.failure(timedOut ?? error, url, sent);
    } finally {
      clearTimeout(timer);
      sent.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The error for a failure while sending to `url` or reading its answer: an `aborted`
   * {@link LiftWingError} when the caller's signal fired, a LiftWingError as it is, else an
   * {@link HttpError} naming the server. fetch tells a page no more than "failed" (refused, reset,
   * DNS and a CORS refusal look alike), so every such failure, and a timeout, is kept as the
   * `cause` that makes the error `retryable`, as a connection failure is in Node.js.
   */
  failure(
    error: unknown,
    url: string | URL,
    sent: Pick<BodyRequest, 'signal' | 'what' | 'model'>,
  ): LiftWingError {
    if (sent.signal?.aborted) return abortError(sent.signal);
    if (error instanceof LiftWingError) return error;
    const origin = displayUrl(new URL(url).origin);
    const message = error instanceof Error ? error.message : String(error);
    return new HttpError(
      `Could not reach ${sent.what} at ${origin} (${message}). Check the URL and your network; ` +
        `a browser also refuses an answer whose CORS headers do not admit this page's origin ` +
        `(its console says so).`,
      { url: new URL(url).href, model: sent.model, cause: error },
    );
  }

  #redirected(url: string, sent: BodyRequest, response: Response): HttpError {
    const location = response.headers.get('location');
    const target = location === null ? 'a URL the browser does not show' : displayUrl(location);
    return new HttpError(
      `${capitalised(sent.what)} at ${displayUrl(new URL(url).origin)} redirected the request to ` +
        `${target}. Redirects are not followed, so a token never reaches another host; set the URL to the final one.`,
      { url, model: sent.model },
    );
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The body's bytes, at most `limit` of them. Past `limit`, a 2xx body (`whole`) is cancelled
 * and undefined returned (the caller's error); an error body is cut there, which is all its
 * message needs. `onChunk` restarts the silence timeout.
 */
async function readLimited(
  response: Response,
  limit: number,
  whole: boolean,
  onChunk: () => void,
): Promise<Uint8Array | undefined> {
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk();
      size += value.byteLength;
      chunks.push(value);
      if (size > limit || (!whole && size >= limit)) {
        await reader.cancel().catch(() => undefined);
        if (whole) return undefined;
        break;
      }
    }
  } catch (error) {
    // What arrived of an error body is still the best message there is.
    if (whole) throw error;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes.subarray(0, limit);
}
