import type { Dispatcher } from 'undici';
import { readBody, readBodyPrefix } from './body.js';
import { redactSecrets } from './redact.js';
import type { Transport, TransportRequest } from './transport.js';

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

/** One HTTP request as {@link sendRequest} makes it. */
export interface SendOptions extends TransportRequest {
  /** What sends it: the settings' transport. */
  transport: Transport;
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
 * Sends a request through the transport and reads the answer into memory, at most
 * `maxBodyBytes` of it. A failure, of the headers or of the body, rejects as
 * {@link Transport.failure} says; any HTTP status resolves.
 */
export async function sendRequest(url: string, options: SendOptions): Promise<SentResponse> {
  const response = await options.transport.request(url, options);
  try {
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
    throw options.transport.failure(error, url, options);
  }
}
