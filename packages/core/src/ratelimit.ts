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

/**
 * Admits requests in FIFO order under a per-second rate, a per-hour budget and a concurrency cap.
 * `acquire()` resolves with a `release` function to call when the request has finished.
 */
export class RateLimiter {
  readonly #interval: number;
  /** Tolerated lateness of a timer before the schedule is considered idle and restarted. */
  readonly #slack: number;
  readonly #concurrency: number;
  /** Start times of the last `perHour` requests, oldest at `#hourPos`. */
  readonly #hour: Float64Array | undefined;
  #hourPos = 0;
  #nextAt = Number.NEGATIVE_INFINITY;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #active = 0;
  readonly #queue: Waiter[] = [];
  #queueHead = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: RateLimiterOptions = {}) {
    checkLimit('perSecond', options.perSecond);
    checkLimit('perHour', options.perHour);
    checkLimit('concurrency', options.concurrency);
    this.#interval = options.perSecond === undefined ? 0 : 1000 / options.perSecond;
    this.#slack = this.#interval / 4;
    this.#concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
    if (options.perHour !== undefined) {
      this.#hour = new Float64Array(Math.ceil(options.perHour)).fill(Number.NEGATIVE_INFINITY);
    }
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
    if (this.waiting === 0 && this.#readyAt(performance.now()) <= performance.now()) {
      return Promise.resolve(this.#admit(performance.now()));
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

  #readyAt(now: number): number {
    if (this.#active >= this.#concurrency) return Number.POSITIVE_INFINITY;
    const hourFree = this.#hour ? (this.#hour[this.#hourPos] as number) + HOUR_MS : now;
    return Math.max(this.#nextAt, hourFree, this.#pausedUntil);
  }

  #admit(now: number): () => void {
    // Keep the ideal schedule when a timer fired a little late, so lateness does not lower the rate.
    this.#nextAt =
      now - this.#nextAt > this.#slack ? now + this.#interval : this.#nextAt + this.#interval;
    if (this.#hour) {
      this.#hour[this.#hourPos] = now;
      this.#hourPos = (this.#hourPos + 1) % this.#hour.length;
    }
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
      const readyAt = this.#readyAt(now);
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
      waiter.resolve(this.#admit(now));
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
