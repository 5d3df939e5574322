/**
 * What every request of core's clients goes through, whatever sends it: the request, the answer
 * read into memory, the server's message in an error body. A platform's transport (undici's in
 * Node.js, `transport.ts`; fetch's in a browser, `fetch-transport.ts`) implements
 * {@link HttpTransport}.
 *
 * @packageDocumentation
 */
import type { LiftWingError } from './errors.js';
import { redactSecrets } from './redact.js';

/** Status codes at which a request is worth repeating: the server or a proxy was overloaded. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

const MAX_MESSAGE_LENGTH = 1000;

/** The keys under which Wikimedia's servers put an error message. */
export type ServerMessageKey = 'error' | 'detail' | 'httpReason' | 'message';

/**
 * The server's own message in an error body and the key it stood under: `error` (KServe, or
 * MediaWiki's `error.info`), `detail` (FastAPI), `httpReason` (the API gateway), `message`, or
 * the plain text itself (the gateway's 429 body; no key). Each of `secrets` is redacted before
 * the message is cut to 1,000 characters, so that no part of a secret the server echoed is left.
 */
export function serverErrorOf(
  body: string,
  secrets: readonly (string | undefined)[] = [],
): { message?: string; key?: ServerMessageKey } {
  const shown = (message: string) => truncate(redactSecrets(message, secrets));
  const text = body.trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      for (const key of ['error', 'detail', 'httpReason', 'message'] as const) {
        const value = json[key];
        if (typeof value === 'string') return { message: shown(value), key };
        if (value && typeof value === 'object') {
          const info = (value as Record<string, unknown>).info;
          return {
            message: shown(typeof info === 'string' ? info : JSON.stringify(value)),
            key,
          };
        }
      }
    } catch {
      // Not JSON after all: report the text as it is.
    }
  }
  return { message: shown(text) };
}

/** The server's own message in an error body; see {@link serverErrorOf}. */
export function serverMessageOf(
  body: string,
  secrets: readonly (string | undefined)[] = [],
): string | undefined {
  return serverErrorOf(body, secrets).message;
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…` : text;
}

/** Response headers by lower-case name. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** The request id a Wikimedia server sent (`x-request-id`), if any. */
export function requestIdOf(headers: ResponseHeaders) {
  const value = headers['x-request-id'];
  return Array.isArray(value) ? value[0] : value;
}

/** One request as a transport sends it. */
export interface TransportRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Applies to the headers and, separately, to each silence while the body streams. */
  timeoutMs: number;
  /** Names the server in a network error, e.g. `the Lift Wing gateway`. */
  what: string;
  /** The Lift Wing model the request is for, if any. */
  model?: string | undefined;
  /**
   * The request goes to a Wikimedia API (the Lift Wing gateway, MediaWiki), whose User-Agent
   * policy asks it to name its operator: without the user's contact it warns, once. Fetches of
   * published files (models, catalogues, registries) do not: liftwing's own project page
   * identifies them well enough, and a user who only downloads should not be told to configure.
   */
  asksContact?: boolean | undefined;
}

/** A request whose answer is read into memory, with its ceiling. */
export interface BodyRequest extends TransportRequest {
  /** Most bytes of a 2xx body read; more is an {@link HttpError} `response_too_large`. */
  maxBodyBytes: number;
  /** How the user allows a larger answer, for that error (e.g. the option to raise). */
  tooLargeHint: string;
}

/** An answer as a transport read it. */
export interface SentResponse {
  statusCode: number;
  headers: ResponseHeaders;
  /**
   * The body: whole for a 2xx answer, else its first 64 KiB (all an error message needs).
   */
  text: string;
}

/**
 * What sends core's requests: the platform's transport. Both keep the same rules (timeouts, the
 * body's ceiling, which failures are worth retrying) and answer with the same errors.
 */
export interface HttpTransport {
  /** The User-Agent of every request (sent as `Api-User-Agent` where a browser forbids it). */
  readonly userAgent: string;
  /**
   * Sends a request and reads its answer into memory, at most `maxBodyBytes` of a 2xx body. A
   * failure, of the headers or of the body, rejects as {@link failure} says; any status resolves.
   */
  send(url: string, request: BodyRequest): Promise<SentResponse>;
  /** The error a failure while sending to `url` stands for; see the platform's transport. */
  failure(
    error: unknown,
    url: string | URL,
    sent: Pick<TransportRequest, 'signal' | 'what' | 'model'>,
  ): LiftWingError;
}

/** One HTTP request as {@link sendRequest} makes it. */
export interface SendOptions extends BodyRequest {
  /** What sends it: the settings' transport. */
  transport: HttpTransport;
}

/**
 * Sends a request through the transport and reads the answer into memory, at most
 * `maxBodyBytes` of it. A failure, of the headers or of the body, rejects as the transport's
 * `failure` says; any HTTP status resolves.
 */
export function sendRequest(url: string, options: SendOptions): Promise<SentResponse> {
  return options.transport.send(url, options);
}
