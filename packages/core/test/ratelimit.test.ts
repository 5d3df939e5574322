import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../src/index.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Starts `n` acquisitions and returns which of them have been admitted so far. */
function acquireAll(limiter: RateLimiter, n: number, signal?: AbortSignal) {
  const admitted: number[] = [];
  const releases: (() => void)[] = [];
  const promises = Array.from({ length: n }, (_, i) =>
    limiter.acquire(signal).then((release) => {
      admitted.push(i);
      releases.push(release);
    }),
  );
  return { admitted, releases, promises };
}

describe('RateLimiter', () => {
  it('spaces requests evenly at the per-second rate, in FIFO order', async () => {
    const limiter = new RateLimiter({ perSecond: 10 });
    const { admitted } = acquireAll(limiter, 5);
    await vi.advanceTimersByTimeAsync(0);
    expect(admitted).toEqual([0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(admitted).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(300);
    expect(admitted).toEqual([0, 1, 2, 3, 4]);
  });

  it('holds at most perHour requests in any hour', async () => {
    const limiter = new RateLimiter({ perHour: 3 });
    const { admitted } = acquireAll(limiter, 4);
    await vi.advanceTimersByTimeAsync(0);
    expect(admitted).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(3_599_000);
    expect(admitted).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(admitted).toEqual([0, 1, 2, 3]);
  });

  it('caps requests in flight', async () => {
    const limiter = new RateLimiter({ concurrency: 2 });
    const { admitted, releases } = acquireAll(limiter, 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(admitted).toEqual([0, 1]);
    releases[0]?.();
    releases[0]?.(); // a second release of the same slot changes nothing
    await vi.advanceTimersByTimeAsync(0);
    expect(admitted).toEqual([0, 1, 2]);
    expect(limiter.active).toBe(2);
  });

  it('pauses after a server-requested wait, and lets waiters abort', async () => {
    const limiter = new RateLimiter({ perSecond: 100 });
    limiter.pauseFor(1000);
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const { admitted } = acquireAll(limiter, 1);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
    await vi.advanceTimersByTimeAsync(999);
    expect(admitted).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(admitted).toEqual([0]);
    expect(limiter.waiting).toBe(0);
  });

  it('rejects limits that are not positive', () => {
    expect(() => new RateLimiter({ perSecond: 0 })).toThrow(/perSecond/);
  });
});
