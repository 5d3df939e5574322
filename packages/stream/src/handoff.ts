/**
 * A bounded hand-off between a producer that is called back (a socket's reads, kafkajs's
 * `eachBatch`) and an async generator that yields what it produced: the producer waits for room,
 * so no more is read than the reader keeps up with, and the reader sleeps until there is an item
 * or something else to look at (an end, a failure, a signal).
 *
 * @packageDocumentation
 */
export class Handoff<T> {
  readonly #items: T[] = [];
  readonly #roomWaiters: (() => void)[] = [];
  #wake: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  /** Whether the producer should wait for room. */
  get full(): boolean {
    return this.#items.length >= this.capacity;
  }

  /** Adds an item and wakes the reader. */
  push(item: T): void {
    this.#items.push(item);
    this.wake();
  }

  /** The next item, if any; taking one gives the waiting producers room. */
  take(): T | undefined {
    const item = this.#items.shift();
    if (item !== undefined) this.release();
    return item;
  }

  /** Resolves when an item is taken, or at {@link release}. */
  roomMade(): Promise<void> {
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves at the next {@link push} or {@link wake}. */
  woken(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Wakes the reader to look at more than the items: an end, a failure, a signal. */
  wake(): void {
    const waiting = this.#wake;
    this.#wake = undefined;
    waiting?.();
  }

  /** Lets every waiting producer go (a stop): each looks again at why it waits. */
  release(): void {
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }
}
