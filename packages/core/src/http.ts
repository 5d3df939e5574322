import { type Dispatcher, request } from 'undici';
import { readBody, readBodyPrefix } from './body.js';
import { HttpError, LiftWingError } from './errors.js';
import { redactSecrets } from './redact.js';
import { abortError, isConnectionError } from './retry.js';

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

/** The request id a Wikimedia server sent (`x-request-id`), if any. */
export function requestIdOf(headers: Record<string, string | string[] | undefined>) {
  const value = headers['x-request-id'];
  return Array.isArray(value) ? value[0] : value;
}

/** Wraps a network-level failure (refused, reset, timeout) into an {@link HttpError}. */
export function connectionError(
  error: unknown,
  what: string,
  url: string,
  model?: string,
): HttpError | undefined {
  if (!isConnectionError(error)) return undefined;
  const err = error as Error & { code: string };
  return new HttpError(
    `Could not reach ${what} at ${new URL(url).origin} (${err.code}: ${err.message}). ` +
      'Check the URL and your network; the request was retried before giving up.',
    { url, model, cause: error },
  );
}

/** One HTTP request as {@link sendRequest} makes it. */
export interface SendOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Default: undici's global dispatcher. */
  dispatcher?: Dispatcher | undefined;
  /** Applies to the headers and, separately, to the body. */
  timeoutMs: number;
  /** Names the server in a connection error, e.g. `the Lift Wing gateway`. */
  what: string;
  model?: string | undefined;
  /** Most bytes of a 2xx body read; more is an {@link HttpError} `response_too_large`. */
  maxBodyBytes: number;
  /** How the user allows a larger answer, for that error (e.g. the option to raise). */
  tooLargeHint: string;
}

/** An answer as {@link sendRequest} read it. */
export interface SentResponse {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
  /**
   * The body: whole for a 2xx answer, else its first 64 KiB (all an error message needs).
   */
  text: string;
}

/**
 * Sends a request with undici and reads the answer into memory, at most `maxBodyBytes` of it. An
 * abort rejects with an `aborted` error; a network-level failure, headers or body, rejects with an
 * {@link HttpError} naming the server; any HTTP status resolves.
 */
export async function sendRequest(url: string, options: SendOptions): Promise<SentResponse> {
  const { signal } = options;
  try {
    const response = await request(url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal,
      dispatcher: options.dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const { statusCode, headers } = response;
    const text =
      statusCode >= 200 && statusCode < 300
        ? await readBody(response, {
            maxBytes: options.maxBodyBytes,
            what: options.what,
            url,
            hint: options.tooLargeHint,
            model: options.model,
          })
        : await readBodyPrefix(response.body);
    return { statusCode, headers, text };
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    if (error instanceof LiftWingError) throw error;
    throw connectionError(error, options.what, url, options.model) ?? error;
  }
}
