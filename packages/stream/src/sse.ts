/**
 * A server-sent events source as an async iterable, with what a long-lived reader needs and the
 * browser's EventSource does not give: the caller's headers (Wikimedia's User-Agent policy),
 * resume from a `Last-Event-ID` given at the start (a checkpoint), reconnection with exponential
 * backoff rather than a fixed 3 s, HTTP failures as typed errors, and backpressure: a reader that
 * falls behind stops the socket being read, instead of events piling up in memory.
 *
 * Parsing and the connection protocol are the `eventsource` package's (v4, maintained, Node 20):
 * its `fetch` option is where the headers, core's dispatcher (proxy) and the paced body go in.
 * Each connection is one `EventSource`; when it drops, this module closes it and opens the next
 * itself, so that the delay and the `Last-Event-ID` header are ours.
 *
 * @packageDocumentation
 */
import {
  backoffDelay,
  displayUrl,
  HttpError,
  type LiftWingError,
  type RetryOptions,
  resolveRetryOptions,
  type SettingsSource,
  sleep,
} from '@liftwing/core';
import { settingsOf } from '@liftwing/core/model-kit';
import { EventSource, type ErrorEvent as SseErrorEvent } from 'eventsource';
import { fetch as undiciFetch } from 'undici';
import { Handoff } from './handoff.js';

/** One event of the stream. */
export interface SseMessage {
  /** The event type (`event:`), `message` when the server names none. */
  type: string;
  /** The event's data (`data:` lines joined by `\n`). */
  data: string;
  /**
   * The stream's position after this event (`id:`, or the last one sent before it): what a
   * reconnection sends as `Last-Event-ID`, and what a checkpoint keeps.
   */
  lastEventId: string | undefined;
  /** Whether this is the first event after a reconnection (a reader may drop a repeat). */
  afterReconnect: boolean;
}

/** Why the stream is reconnecting, for a log line. */
export interface ReconnectInfo {
  /** Consecutive attempts without an event, counting this one (1 for the first). */
  attempt: number;
  /** How long it waits before connecting again, in ms. */
  delayMs: number;
  /** What ended the last connection, in words. */
  reason: string;
}

/** Options of {@link sseEvents}. */
export interface SseOptions extends SettingsSource {
  /** Headers of every connection (the User-Agent is core's, from settings). */
  headers?: Record<string, string>;
  /** Resume after this position: sent as `Last-Event-ID` on the first connection. */
  lastEventId?: string | undefined;
  /**
   * The URL of a connection, given the position it resumes from: a server that takes `since`
   * as a query parameter drops it once there is a position to resume from. Default: the URL.
   */
  urlFor?: (lastEventId: string | undefined) => string;
  /**
   * Reconnection: exponential backoff from `baseDelayMs` (default 1000) to `maxDelayMs` (30,000),
   * with `jitter` (0.2); `retries` (default 10) consecutive failed connections, without an event
   * between them, end the stream with the last failure.
   */
  reconnect?: RetryOptions;
  /** Told before each reconnection. */
  onReconnect?: (info: ReconnectInfo) => void;
  /** Event types yielded; default `['message']`. */
  types?: readonly string[];
  /** Events held before the socket stops being read; default 256. */
  buffer?: number;
  /**
   * A connection on which nothing arrives for this long while the reader waits is taken as
   * stalled (a half-open TCP connection, a proxy that stopped forwarding) and replaced, from the
   * last event; default 120,000 ms; 0: never. The time a slow reader keeps the socket unread does
   * not count.
   */
  idleTimeoutMs?: number;
  /** Names the server in errors; default `the event stream`. */
  what?: string;
  /** Ends the stream (the iterable returns; no error). */
  signal?: AbortSignal;
}

/**
 * EventStreams (KafkaSSE) sends no heartbeat, only `:ok` when a stream starts, so silence is all
 * a stalled connection shows; the busy streams carry several events a second, and replacing a
 * connection on a quiet one only costs a reconnection from the last event.
 */
const IDLE_TIMEOUT_MS = 120_000;

const RECONNECT_DEFAULTS = {
  retries: 10,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  jitter: 0.2,
  maxRetryAfterMs: 30_000,
};

/** Statuses worth connecting again for: the server is busy or briefly away. */
const RETRYABLE: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Characters of an error response's body kept as the server's message. */
const MESSAGE_PREFIX = 500;

/** How a connection ended. */
type Ending =
  | { retry: true; reason: string; error: LiftWingError; stalled?: boolean }
  | { retry: false; error: Error };

/** The error of an HTTP failure, in the user's terms: a 403 is the User-Agent policy. */
function httpFailure(
  what: string,
  url: string,
  status: number,
  serverMessage: string | undefined,
): HttpError {
  const said = serverMessage ? `: ${serverMessage}` : '';
  const message =
    status === 403
      ? `${what} refused the connection (HTTP 403${said}). Wikimedia refuses clients whose ` +
        'User-Agent does not say who runs them: set LIFTWING_USER_AGENT (or the userAgent ' +
        'option) to your email address or to "MyTool/1.0 (https://example.org; me@example.org)".'
      : `${what} answered HTTP ${status} at ${displayUrl(url)}${said}.`;
  return new HttpError(message, { status, serverMessage, url });
}

/**
 * The events of the server-sent events stream at `url`, connecting again (with backoff, from the
 * last event's id) whenever the server ends the stream or the connection drops. Ends when
 * `signal` fires or the caller stops iterating.
 *
 * @throws {HttpError} when the server answers an HTTP error that retrying cannot mend (403: the
 *   User-Agent policy; 404: no such stream), or after `reconnect.retries` failed connections.
 */
export async function* sseEvents(
  url: string,
  options: SseOptions = {},
): AsyncGenerator<SseMessage, void, undefined> {
  const settings = settingsOf(options);
  const { transport } = settings;
  const what = options.what ?? 'the event stream';
  const retry = resolveRetryOptions(options.reconnect, RECONNECT_DEFAULTS);
  const capacity = options.buffer ?? 256;
  const types = options.types ?? ['message'];
  const signal = options.signal;
  const urlFor = options.urlFor ?? (() => url);
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;

  let lastEventId = options.lastEventId;
  const queue = new Handoff<SseMessage>(capacity);
  const onAbort = () => queue.wake();
  signal?.addEventListener('abort', onAbort);

  /** Resolves when the reader has room for more events: the body is read no faster. */
  const room = async () => {
    while (queue.full && !signal?.aborted) await queue.roomMade();
  };

  let source: EventSource | undefined;
  let failures = 0;
  let reconnected = false;
  try {
    while (!signal?.aborted) {
      const target = urlFor(lastEventId);
      let ending: Ending | undefined;
      let delivered = 0;
      let serverMessage: string | undefined;
      const end = (how: Ending) => {
        ending ??= how;
        source?.close();
        queue.wake();
      };
      const resumeFrom = lastEventId;
      source = new EventSource(target, {
        fetch: async (input, init) => {
          const response = await undiciFetch(input as string, {
            method: 'GET',
            signal: init?.signal ?? null,
            headers: {
              accept: 'text/event-stream',
              ...options.headers,
              'user-agent': transport.userAgent,
              ...(resumeFrom === undefined ? {} : { 'last-event-id': resumeFrom }),
            },
            dispatcher: transport.dispatcher,
          });
          if (response.status !== 200 || response.body === null) {
            serverMessage = (await response.text().catch(() => '')).trim().slice(0, MESSAGE_PREFIX);
            return response as unknown as Response;
          }
          const reader = response.body.getReader();
          // highWaterMark 0: a chunk is read from the socket only when EventSource asks for one,
          // and it asks only when the reader has room.
          const paced = new ReadableStream<Uint8Array>(
            {
              async pull(controller) {
                await room();
                const stalled =
                  idleTimeoutMs > 0
                    ? setTimeout(() => {
                        const reason = `no data for ${idleTimeoutMs / 1000} s`;
                        end({
                          retry: true,
                          stalled: true,
                          reason,
                          error: new HttpError(
                            `${what} at ${displayUrl(target)} sent nothing for ${idleTimeoutMs / 1000} s.`,
                            { url: target },
                          ),
                        });
                        reader.cancel(new Error(reason)).catch(() => {});
                      }, idleTimeoutMs)
                    : undefined;
                const chunk = await reader.read().finally(() => clearTimeout(stalled));
                if (chunk.done) controller.close();
                else controller.enqueue(chunk.value);
              },
              cancel: (reason) => reader.cancel(reason),
            },
            { highWaterMark: 0 },
          );
          return new Response(paced, {
            status: response.status,
            headers: response.headers as unknown as Headers,
          });
        },
      });
      const current = source;
      const onMessage = (event: MessageEvent) => {
        if (event.lastEventId !== '') lastEventId = event.lastEventId;
        delivered++;
        queue.push({
          type: event.type,
          data: String(event.data),
          lastEventId,
          afterReconnect: reconnected && delivered === 1,
        });
      };
      for (const type of types) current.addEventListener(type, onMessage);
      current.addEventListener('error', (event) => {
        const { code, message } = event as unknown as SseErrorEvent;
        if (current.readyState === EventSource.CLOSED && typeof code === 'number') {
          // An HTTP answer that is no event stream: worth retrying only when the server is busy.
          const error = httpFailure(what, target, code, serverMessage);
          end(
            RETRYABLE.has(code)
              ? { retry: true, reason: `HTTP ${code}`, error }
              : { retry: false, error },
          );
          return;
        }
        if (current.readyState === EventSource.CLOSED) {
          end({
            retry: false,
            error: new HttpError(`${what} at ${displayUrl(target)}: ${message}.`, { url: target }),
          });
          return;
        }
        // The connection dropped or the server ended the stream: ours to reconnect.
        const reason = message
          ? `the connection failed (${message})`
          : 'the server ended the stream';
        end({
          retry: true,
          reason,
          error: new HttpError(
            `Could not stay connected to ${what} at ${displayUrl(target)}: ${reason}.`,
            {
              url: target,
              cause: new Error(reason),
            },
          ),
        });
      });

      while (true) {
        const message = queue.take();
        if (message !== undefined) {
          yield message;
          continue;
        }
        if (ending !== undefined || signal?.aborted) break;
        await queue.woken();
      }
      current.close();
      if (signal?.aborted || ending === undefined) return;
      if (!ending.retry) throw ending.error;
      // A stall came after the server took the connection, and took idleTimeoutMs to show: a
      // quiet stream is no failure, and cannot loop fast.
      failures = delivered > 0 || ending.stalled === true ? 1 : failures + 1;
      if (failures > retry.retries) throw ending.error;
      const delayMs = backoffDelay(failures - 1, retry);
      options.onReconnect?.({ attempt: failures, delayMs, reason: ending.reason });
      reconnected = true;
      try {
        await sleep(delayMs, signal);
      } catch {
        return;
      }
    }
  } finally {
    source?.close();
    signal?.removeEventListener('abort', onAbort);
    queue.release();
  }
}
