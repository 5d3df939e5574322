/**
 * Scoring on every core: worker threads that share one copy of a model (its matrices and word
 * table in shared memory) and score chunks of a batch side by side, with the same code and so
 * the same bits as {@link FastTextModel.predict} on the calling thread.
 *
 * Written on `node:worker_threads` directly rather than a pool library: each thread is handed
 * the model once when it starts, a task is a slice of one batch whose answer comes back in
 * transferable arrays, and the whole is some 150 lines with no dependency to install.
 *
 * @packageDocumentation
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { BatchResult } from '@liftwing/core';
import { InputError, LiftWingError, ModelFormatError, WorkerError } from '@liftwing/core/errors';
import type { FastTextModel, FastTextPrediction, SharedFastText } from './model.js';
import type { ChunkAnswer, ChunkTask } from './pool-protocol.js';

/** Options of {@link FastTextPool.predictBatch}. */
export interface FastTextPoolBatchOptions {
  /** Labels per document; -1 (default) for all. */
  k?: number;
  /** Only labels whose probability is at least this, compared in float32 (default 0). */
  threshold?: number;
  /**
   * After fastText's selection, only the predictions whose probability is at least this, as a
   * double (default: all). Unlike `threshold`, which takes part in fastText's selection and so
   * in the order it gives equal scores, this leaves the order alone: what an application that
   * filters the results gets, with fewer results to send back from the threads.
   */
  minScore?: number;
  /** Chunks not yet handed to a thread are dropped; the batch rejects with the reason. */
  signal?: AbortSignal;
  /** Called as chunks finish, with the documents done so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Chunks in flight per thread: the second waits in the thread's message queue, so a thread goes
 * on to it while the calling thread unpacks the first answer.
 */
const IN_FLIGHT_PER_THREAD = 2;
/** A chunk is at most this many documents, so that progress moves and threads stay balanced. */
const MAX_CHUNK = 256;

interface Task {
  message: ChunkTask;
  resolve: (answer: ChunkAnswer) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  tasks: Map<number, Task>;
}

/** Options of {@link FastTextPool}. */
export interface FastTextPoolOptions {
  /** Threads, at least 1; they start as work arrives. */
  workers: number;
  /**
   * Bounds of each thread's JavaScript heap (the model is outside it, in shared memory). A thread
   * that goes over fails the documents it holds with a {@link WorkerError}, not the process.
   */
  resourceLimits?: ResourceLimits;
}

function startWorker(model: SharedFastText, resourceLimits: ResourceLimits | undefined): Worker {
  const options = { workerData: { model }, resourceLimits };
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker.js', import.meta.url), options);
  }
  // Under a TypeScript runner (the tests, the benchmarks) this module is the `.ts` source, and
  // so is its worker: a thread does not inherit the runner's loader, so it registers tsx's.
  const source = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); })`,
    { ...options, eval: true },
  );
}

/** The error a thread reported for one document, as the class it was thrown as. */
function documentError(code: string | undefined, message: string): LiftWingError {
  if (code === 'invalid_input') return new InputError(message);
  if (code === 'invalid_model_file') return new ModelFormatError(message);
  return new WorkerError(message);
}

/**
 * Worker threads scoring with one shared copy of a model. Make one per model and reuse it; an
 * idle pool does not keep the process alive. {@link FastTextPool.close} ends the threads.
 *
 * @example
 * ```ts
 * const model = await loadFastText('model.bin');
 * const pool = new FastTextPool(model, { workers: 2 });
 * const results = await pool.predictBatch(['Q42 Q5', 'Q937'], { k: 3 });
 * results[0]; // { ok: true, value: [['__label__Culture.Biography.Biography*', 0.98...], ...] }
 * await pool.close();
 * ```
 */
export class FastTextPool {
  /** Number of threads. */
  readonly size: number;
  readonly #model: SharedFastText;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #threads: (Thread | undefined)[];
  readonly #queue: Task[] = [];
  #nextId = 0;
  #closed = false;

  /**
   * A pool of up to `workers` threads (at least 1) over `model`, moved to shared memory if need
   * be. Threads start as work arrives: one request at a time needs one thread.
   */
  constructor(model: FastTextModel, options: FastTextPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be an integer of at least 1, got ${options.workers}`);
    }
    this.size = options.workers;
    this.#model = model.share();
    this.#resourceLimits = options.resourceLimits;
    this.#threads = new Array(this.size).fill(undefined);
  }

  /**
   * Scores `texts` on the threads: one result per text, in input order, each the predictions
   * {@link FastTextModel.predict} returns for it or the error it throws.
   */
  async predictBatch(
    texts: readonly string[],
    options: FastTextPoolBatchOptions = {},
  ): Promise<BatchResult<FastTextPrediction[]>[]> {
    if (this.#closed) throw new WorkerError('This pool was closed; make a new FastTextPool.');
    const k = options.k ?? -1;
    const threshold = options.threshold ?? 0;
    const minScore = options.minScore ?? Number.NEGATIVE_INFINITY;
    const results = new Array<BatchResult<FastTextPrediction[]>>(texts.length);
    // As few chunks as keep every thread busy: each message costs tens of microseconds.
    const chunk = Math.min(MAX_CHUNK, Math.ceil(texts.length / this.size));
    let done = 0;
    const chunks: Promise<void>[] = [];
    for (let from = 0; from < texts.length; from += chunk) {
      const slice = texts.slice(from, from + chunk);
      // What is no string (a symbol, a function) could not even be posted to a thread; it gets
      // the scorer's own error, and the thread an empty text in its place.
      slice.forEach((text, i) => {
        if (typeof text !== 'string') {
          results[from + i] = {
            ok: false,
            error: new InputError(`The text to classify must be a string, got ${typeof text}`),
          };
          (slice as string[])[i] = '';
        }
      });
      chunks.push(
        this.#run(
          { id: this.#nextId++, texts: slice, k, threshold, minScore },
          options.signal,
        ).then((answer) => {
          this.#unpack(answer, results, from);
          done += slice.length;
          options.onProgress?.(done, texts.length);
        }),
      );
    }
    await Promise.all(chunks);
    return results;
  }

  /** Ends the threads. Chunks not yet answered fail with a {@link WorkerError}. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new WorkerError('The pool was closed before this chunk was scored.');
    for (const task of this.#queue.splice(0)) task.reject(closed);
    await Promise.all(
      this.#threads.map((thread) => {
        if (thread === undefined) return undefined;
        for (const task of thread.tasks.values()) task.reject(closed);
        thread.tasks.clear();
        return thread.worker.terminate();
      }),
    );
  }

  #run(message: ChunkTask, signal: AbortSignal | undefined): Promise<ChunkAnswer> {
    return new Promise((resolve, reject) => {
      const task: Task = { message, resolve, reject };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.#queue.indexOf(task);
          if (at >= 0) {
            this.#queue.splice(at, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
      this.#queue.push(task);
      this.#dispatch();
    });
  }

  /**
   * Hands queued chunks to the least busy threads; a new thread starts (or replaces one that
   * died) only when every running one has work.
   */
  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let best = -1;
      for (let i = 0; i < this.size; i++) {
        if (this.#load(i) < IN_FLIGHT_PER_THREAD && (best < 0 || this.#load(i) < this.#load(best)))
          best = i;
      }
      if (best < 0) return;
      const thread = this.#threads[best] ?? this.#start();
      this.#threads[best] = thread;
      const task = this.#queue.shift()!;
      // A thread with work keeps the process alive until it answers; an idle one does not.
      if (thread.tasks.size === 0) thread.worker.ref();
      thread.tasks.set(task.message.id, task);
      thread.worker.postMessage(task.message);
    }
  }

  /** Chunks a thread holds; a thread not started counts as a little busier than an idle one. */
  #load(index: number): number {
    return this.#threads[index]?.tasks.size ?? 0.5;
  }

  #start(): Thread {
    const worker = startWorker(this.#model, this.#resourceLimits);
    const thread: Thread = { worker, tasks: new Map() };
    worker.unref();
    let failure: Error | undefined;
    worker.on('message', (answer: ChunkAnswer) => {
      const task = thread.tasks.get(answer.id);
      thread.tasks.delete(answer.id);
      if (thread.tasks.size === 0) worker.unref();
      task?.resolve(answer);
      this.#dispatch();
    });
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads[index] = undefined;
      if (this.#closed) return;
      const error = new WorkerError(
        `A scoring thread stopped (exit code ${code}${failure ? `: ${failure.message}` : ''}) before it answered; its documents were not scored. If it ran out of memory, use fewer workers`,
        { cause: failure },
      );
      for (const task of thread.tasks.values()) task.reject(error);
      thread.tasks.clear();
      this.#dispatch();
    });
    return thread;
  }

  #unpack(answer: ChunkAnswer, results: BatchResult<FastTextPrediction[]>[], from: number): void {
    const labels = this.#model.labels;
    const errors = new Map(answer.errors.map((error) => [error.index, error]));
    let at = 0;
    answer.counts.forEach((count, index) => {
      if (count < 0) {
        const error = errors.get(index)!;
        results[from + index] = { ok: false, error: documentError(error.code, error.message) };
        return;
      }
      const predictions: FastTextPrediction[] = new Array(count);
      for (let p = 0; p < count; p++, at++) {
        predictions[p] = [labels[answer.labels[at]!]!, answer.probabilities[at]!];
      }
      // A text that was no string keeps the error it got before it was sent.
      results[from + index] ??= { ok: true, value: predictions };
    });
  }
}

/** Options of {@link predictEach}. */
export interface PredictEachOptions extends FastTextPoolBatchOptions {
  /** The threads to score on; without it, the calling thread scores. */
  pool?: FastTextPool | undefined;
  /** On the calling thread: how often `onProgress` is called (default every 1000 texts). */
  progressEvery?: number;
}

/**
 * One result per text, as {@link FastTextPool.predictBatch} gives them, on `options.pool` when
 * there is one, else on the calling thread: so that a model offers both (`workers: 0` or more)
 * with one code path and the same answers.
 */
export async function predictEach(
  model: FastTextModel,
  texts: readonly string[],
  options: PredictEachOptions = {},
): Promise<BatchResult<FastTextPrediction[]>[]> {
  const { pool, progressEvery = 1000, ...batch } = options;
  if (pool !== undefined) return pool.predictBatch(texts, batch);
  batch.signal?.throwIfAborted();
  const minScore = batch.minScore ?? Number.NEGATIVE_INFINITY;
  return texts.map((text, i) => {
    try {
      const predictions = model.predict(text, batch.k ?? -1, batch.threshold ?? 0);
      return { ok: true, value: predictions.filter(([, p]) => p >= minScore) };
    } catch (error) {
      // The scorer's own errors are a text's outcome; anything else is a bug, not an answer.
      if (!(error instanceof LiftWingError)) throw error;
      return { ok: false, error };
    } finally {
      if ((i + 1) % progressEvery === 0 || i + 1 === texts.length) {
        batch.onProgress?.(i + 1, texts.length);
      }
    }
  });
}
