import { ConfigError, LiftWingError } from './errors.js';

/** How a request is retried; shared by the gateway client and the MediaWiki client. */
export interface RetryOptions {
  /** Retries after the first attempt. */
  retries?: number;
  /** Delay before the first retry, in ms; each further retry doubles it. */
  baseDelayMs?: number;
  /** No single backoff delay exceeds this, in ms. */
  maxDelayMs?: number;
  /**
   * Fraction of each delay that is random, in [0, 1]: the delay is drawn from
   * `[d * (1 - jitter), d]`, so that many clients that failed together do not retry together.
   */
  jitter?: number;
  /**
   * The longest server-requested wait (`Retry-After`) that is honoured, in ms. A longer one ends
   * the retries at once: the caller gets the error and can decide.
   */
  maxRetryAfterMs?: number;
}

/** Retry options with every field set. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** What the predicate of {@link withRetry} answers for a failed attempt. */
export type RetryDecision =
  /** Give up and throw the error. */
  | false
  /** Retry after the backoff delay, or after `afterMs` when the server asked for a wait. */
  | { afterMs?: number };

/** Fills in defaults. */
export function resolveRetryOptions(
  options: RetryOptions | number | undefined,
  defaults: ResolvedRetryOptions,
): ResolvedRetryOptions {
  const given = typeof options === 'number' ? { retries: options } : (options ?? {});
  const resolved = { ...defaults, ...stripUndefined(given) };
  if (!Number.isInteger(resolved.retries) || resolved.retries < 0) {
    throw new ConfigError(`retries must be a whole number >= 0, got ${resolved.retries}.`);
  }
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) {
    throw new ConfigError(`jitter must be in [0, 1], got ${resolved.jitter}.`);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The backoff delay before retry number `retry` (0 for the first retry), jitter applied. */
export function backoffDelay(retry: number, options: ResolvedRetryOptions): number {
  const delay = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return delay * (1 - options.jitter * Math.random());
}

/** The error thrown when an `AbortSignal` ends an operation. */
export function abortError(signal: AbortSignal): LiftWingError {
  return new LiftWingError('aborted', 'The operation was aborted by its AbortSignal.', {
    cause: signal.reason,
  });
}

/** Waits `ms`, or rejects with an `aborted` error as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, `shouldRetry` declines, or the retries are spent. The error of
 * the last attempt is thrown as it is.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  shouldRetry: (error: unknown) => RetryDecision,
  options: ResolvedRetryOptions,
  signal?: AbortSignal,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry);
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      if (retry >= options.retries) throw error;
      const decision = shouldRetry(error);
      if (decision === false) throw error;
      if (decision.afterMs !== undefined && decision.afterMs > options.maxRetryAfterMs) throw error;
      await sleep(decision.afterMs ?? backoffDelay(retry, options), signal);
    }
  }
}

/**
 * Parses an HTTP `Retry-After` header (seconds or an HTTP date) into milliseconds from now, or
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const TRANSIENT_UNDICI_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * True for errors from the network layer (refused, reset, DNS, timeouts) rather than from an HTTP
 * answer: these are worth retrying. System errors have codes like `ECONNRESET`; Node's own
 * `ERR_*` codes are programming errors and are not.
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof LiftWingError || !(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' && (TRANSIENT_UNDICI_CODES.has(code) || /^E(?!RR_)[A-Z_]+$/.test(code))
  );
}
