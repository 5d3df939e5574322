/**
 * The binary heap fastText 0.9.2 keeps its predictions in, reproduced operation for operation
 * as libstdc++'s `std::push_heap` / `std::pop_heap` / `std::sort_heap` do it with fastText's
 * "greater log-probability first" comparison. Matching the algorithm, not just the ordering,
 * matters because `sort_heap` is not stable: the lookup-table sigmoid gives many labels exactly
 * equal scores, and their relative order in fastText's output is whatever these steps produce.
 */
export class PredictionHeap {
  /** Log-probabilities (float32 values). */
  readonly keys: Float64Array;
  /** Label indices. */
  readonly ids: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity + 1);
    this.ids = new Int32Array(capacity + 1);
  }

  /** `heap.push_back(x); std::push_heap(...)`. */
  push(key: number, id: number): void {
    this.siftUp(this.size++, 0, key, id);
  }

  /** `std::pop_heap(...); heap.pop_back()`: drops the smallest key. */
  popSmallest(): void {
    if (this.size > 1) this.moveTopTo(this.size - 1);
    this.size--;
  }

  /** `std::sort_heap(...)`: afterwards keys are in descending order. */
  sort(): void {
    for (let last = this.size - 1; last > 0; last--) this.moveTopTo(last);
  }

  /** libstdc++ `__pop_heap(first, first + end, first + end)`. */
  private moveTopTo(end: number): void {
    const { keys, ids } = this;
    const key = keys[end]!;
    const id = ids[end]!;
    keys[end] = keys[0]!;
    ids[end] = ids[0]!;
    this.adjust(end, key, id);
  }

  /** libstdc++ `__adjust_heap(first, 0, len, value)`. */
  private adjust(len: number, key: number, id: number): void {
    const { keys, ids } = this;
    let hole = 0;
    let child = 0;
    while (child < (len - 1) >> 1) {
      child = 2 * (child + 1);
      if (keys[child]! > keys[child - 1]!) child--;
      keys[hole] = keys[child]!;
      ids[hole] = ids[child]!;
      hole = child;
    }
    if ((len & 1) === 0 && child === (len - 2) >> 1) {
      child = 2 * (child + 1);
      keys[hole] = keys[child - 1]!;
      ids[hole] = ids[child - 1]!;
      hole = child - 1;
    }
    this.siftUp(hole, 0, key, id);
  }

  /** libstdc++ `__push_heap(first, hole, top, value)`. */
  private siftUp(start: number, top: number, key: number, id: number): void {
    const { keys, ids } = this;
    let hole = start;
    while (hole > top) {
      const parent = (hole - 1) >> 1;
      if (!(keys[parent]! > key)) break;
      keys[hole] = keys[parent]!;
      ids[hole] = ids[parent]!;
      hole = parent;
    }
    keys[hole] = key;
    ids[hole] = id;
  }
}
