import { ConfigError } from './errors.js';
import { abortError } from './retry.js';

/** Client-side request rate limits. Omit a field for no limit of that kind. */
export interface RateLimitOptions {
  /** Requests per second, evenly spaced (one every `1000 / perSecond` ms). */
  perSecond?: number;
  /** Requests in any sliding window of one hour. */
  perHour?: number;
}

/** Options of a {@link RateLimiter}. */
export interface RateLimiterOptions extends RateLimitOptions {
  /** Requests in flight at once. Default: unlimited. */
  concurrency?: number;
}

/**
 * The Lift Wing gateway's published limits ("LiftWing" policy). The per-hour limit is enforced here
 * over a sliding hour, which is never more than the gateway allows whatever window it uses.
 */
export const GATEWAY_RATE_LIMITS = {
  anonymous: { perSecond: 15, perHour: 50_000 },
  authenticated: { perSecond: 100, perHour: 100_000 },
} as const satisfies Record<string, RateLimitOptions>;

const HOUR_MS = 3_600_000;

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function checkLimit(name: string, value: number | undefined): void {
  if (value !== undefined && !(value > 0)) {
    throw new ConfigError(`${name} must be a number > 0 (or left out for no limit), got ${value}.`);
  }
}

/** At most `limit` requests in any window of `span` ms: the start times of the last `limit`. */
class SlidingWindow {
  readonly #starts: Float64Array;
  #oldest = 0;

  constructor(
    limit: number,
    readonly span: number,
  ) {
    this.#starts = new Float64Array(Math.max(1, Math.floor(limit))).fill(Number.NEGATIVE_INFINITY);
  }

  /** When the next request may start. */
  get freeAt(): number {
    return (this.#starts[this.#oldest] as number) + this.span;
  }

  record(now: number): void {
    this.#starts[this.#oldest] = now;
    this.#oldest = (this.#oldest + 1) % this.#starts.length;
  }
}

/**
 * Admits requests in FIFO order under a per-second rate, a per-hour budget and a concurrency cap.
 * `acquire()` resolves with a `release` function to call when the request has finished.
 *
 * Requests are spaced evenly at the per-second rate; a request admitted late (timers fire late on
 * a busy event loop) does not push the schedule back, so the long-run rate is the configured one,
 * while sliding windows guarantee at most `perSecond` requests in any second and `perHour` in any
 * hour.
 */
export class RateLimiter {
  readonly #interval: number;
  readonly #concurrency: number;
  readonly #windows: SlidingWindow[] = [];
  #nextAt = Number.NEGATIVE_INFINITY;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #active = 0;
  readonly #queue: Waiter[] = [];
  #queueHead = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: RateLimiterOptions = {}) {
    checkLimit('perSecond', options.perSecond);
    checkLimit('perHour', options.perHour);
    checkLimit('concurrency', options.concurrency);
    this.#interval = options.perSecond === undefined ? 0 : 1000 / options.perSecond;
    this.#concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
    if (options.perSecond !== undefined) {
      this.#windows.push(new SlidingWindow(options.perSecond, 1000));
    }
    if (options.perHour !== undefined)
      this.#windows.push(new SlidingWindow(options.perHour, HOUR_MS));
  }

  /** Requests admitted and not yet released. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting to be admitted. */
  get waiting(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Waits for a slot; rejects with an `aborted` error if `signal` fires first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.waiting === 0 && this.#readyAt() <= performance.now()) {
      return Promise.resolve(this.#admit(performance.now(), false));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.#queue.indexOf(waiter, this.#queueHead);
          if (index >= 0) this.#queue.splice(index, 1);
          reject(abortError(signal));
          this.#pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  /** Admits nothing new for `ms` (e.g. after the server answered 429 with `Retry-After`). */
  pauseFor(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms);
  }

  #readyAt(): number {
    if (this.#active >= this.#concurrency) return Number.POSITIVE_INFINITY;
    let at = Math.max(this.#nextAt, this.#pausedUntil);
    for (const window of this.#windows) at = Math.max(at, window.freeAt);
    return at;
  }

  #admit(now: number, queued: boolean): () => void {
    // Queued requests keep the ideal schedule (up to a second behind it); one that found the
    // limiter idle starts a new schedule.
    const behind = queued && now - this.#nextAt <= 1000;
    this.#nextAt = (behind ? this.#nextAt : now) + this.#interval;
    for (const window of this.#windows) window.record(now);
    this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#pump();
    };
  }

  #pump(): void {
    while (this.waiting > 0) {
      const now = performance.now();
      const readyAt = this.#readyAt();
      if (readyAt > now) {
        if (readyAt !== Number.POSITIVE_INFINITY) this.#wakeAt(readyAt, now);
        return;
      }
      const waiter = this.#queue[this.#queueHead] as Waiter;
      this.#queueHead++;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#queueHead);
        this.#queueHead = 0;
      }
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#admit(now, true));
    }
  }

  #wakeAt(at: number, now: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, Math.ceil(at - now)),
    );
  }
}
