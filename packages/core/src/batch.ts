/**
 * Batches of predictions: the result of each item, progress, and the ways a model package answers
 * many raw request bodies at once.
 *
 * @packageDocumentation
 */
import { InputError, LiftWingError } from './errors.js';

/** Options of a single prediction. */
export interface PredictOptions {
  /** Cancels the prediction; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Progress of a batch, reported after each item settles. */
export interface BatchProgress {
  /** Items settled so far, successful or not. */
  done: number;
  /** Items in the batch. */
  total: number;
  /** Items that failed so far. */
  failed: number;
}

/** Options of a batch of predictions. */
export interface PredictManyOptions extends PredictOptions {
  /** Called as items settle. */
  onProgress?: (progress: BatchProgress) => void;
}

/** One item of a batch: its result, or the error that item alone ran into. */
export type BatchResult<Res> = { ok: true; value: Res } | { ok: false; error: LiftWingError };

/**
 * The error one item of a batch ran into, for its {@link BatchResult}. A `LiftWingError` belongs
 * to that item; anything else is a bug, and any error after `signal` fired is the cancellation:
 * both are rethrown to fail the whole batch.
 */
export function itemError(error: unknown, signal?: AbortSignal): LiftWingError {
  if (signal?.aborted || !(error instanceof LiftWingError)) throw error;
  return error;
}

/** The {@link BatchResult} of an item's outcome: its value, or the error it ran into. */
export function batchResult<Res>(outcome: Res | LiftWingError): BatchResult<Res> {
  return outcome instanceof LiftWingError
    ? { ok: false, error: outcome }
    : { ok: true, value: outcome };
}

/**
 * Counts the settled items of a batch for {@link PredictManyOptions.onProgress}, however they
 * settle: failed before anything was sent, in a gateway batch, in a local scoring pass.
 */
export class ProgressCounter {
  readonly #progress: BatchProgress;
  readonly #onProgress: PredictManyOptions['onProgress'];

  constructor(total: number, onProgress: PredictManyOptions['onProgress']) {
    this.#progress = { done: 0, total, failed: 0 };
    this.#onProgress = onProgress;
  }

  /** Counts `done` more settled items, `failed` of them failed, and reports if `done` > 0. */
  add(done: number, failed = 0): void {
    this.#progress.done += done;
    this.#progress.failed += failed;
    if (done > 0) this.#onProgress?.({ ...this.#progress });
  }

  /**
   * A listener for the running totals of one part of the batch (such as the `onProgress` of
   * `LiftWingClient.predictBatch`): each call counts what was added since the last one.
   */
  part(): (progress: Pick<BatchProgress, 'done' | 'failed'>) => void {
    let done = 0;
    let failed = 0;
    return (progress) => {
      this.add(progress.done - done, progress.failed - failed);
      done = progress.done;
      failed = progress.failed;
    };
  }
}

/** One raw request body of a batch, as {@link LiftWingModel.handle} takes it. */
export interface RawRequest {
  /** The parsed JSON body; parsed from `rawBody` when undefined. */
  body?: unknown;
  /** The body's raw JSON text, when the caller has it (see `HandleOptions.rawBody`). */
  rawBody?: string | Uint8Array;
}

/** The text of a raw body. */
export function rawText(raw: string | Uint8Array): string {
  return typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
}

/**
 * The parsed body of a {@link RawRequest}: `body`, or `rawBody` parsed. Text that is not JSON is
 * the `InputError` KServe answers for a body it cannot decode.
 */
export function bodyOf(request: RawRequest): unknown {
  if (request.body !== undefined || request.rawBody === undefined) return request.body;
  try {
    return JSON.parse(rawText(request.rawBody));
  } catch (error) {
    throw new InputError(`Unrecognized request format: ${(error as Error).message}`);
  }
}

/** What {@link handleManyVia} needs of a model. */
export interface HandleManyParts<Req> {
  /**
   * The single request a body stands for, checked as `handle` checks it (throwing its
   * `InputError`), or undefined for a body that must be answered alone (a server-side batch form
   * such as `instances`).
   */
  toRequest(body: RawRequest): Req | undefined;
  /** The model's own batching, for the single requests. */
  predictMany(
    requests: readonly Req[],
    options: PredictManyOptions,
  ): Promise<BatchResult<unknown>[]>;
  /** The model's `handle`, for the bodies that are answered alone. */
  handle(body: RawRequest, options: PredictOptions): Promise<unknown>;
}

/**
 * `handleMany` for a model that batches: the single requests go through `predictMany` together
 * (so they are grouped as the model's server allows), the other bodies through `handle`, and the
 * results come back in input order.
 */
export async function handleManyVia<Req>(
  parts: HandleManyParts<Req>,
  bodies: readonly RawRequest[],
  options: PredictManyOptions = {},
): Promise<BatchResult<unknown>[]> {
  const { signal } = options;
  const results = new Array<BatchResult<unknown>>(bodies.length);
  const progress = new ProgressCounter(bodies.length, options.onProgress);
  const single: { index: number; request: Req }[] = [];
  const alone: number[] = [];
  bodies.forEach((body, index) => {
    try {
      const request = parts.toRequest(body);
      if (request === undefined) alone.push(index);
      else single.push({ index, request });
    } catch (error) {
      results[index] = { ok: false, error: itemError(error) };
      progress.add(1, 1);
    }
  });
  if (single.length > 0) {
    const outcomes = await parts.predictMany(
      single.map((item) => item.request),
      { signal, onProgress: progress.part() },
    );
    outcomes.forEach((outcome, i) => {
      results[single[i]!.index] = outcome;
    });
  }
  for (const index of alone) {
    let outcome: unknown;
    try {
      outcome = await parts.handle(bodies[index]!, { signal });
    } catch (error) {
      outcome = itemError(error, signal);
    }
    results[index] = batchResult(outcome);
    progress.add(1, outcome instanceof LiftWingError ? 1 : 0);
  }
  return results;
}

/**
 * `handleMany` for a model without batching of its own: each body through `handle`, at most
 * `concurrency` at once, results in input order.
 */
export async function handleEach(
  handle: (body: RawRequest, options: PredictOptions) => Promise<unknown>,
  bodies: readonly RawRequest[],
  options: PredictManyOptions & { concurrency?: number } = {},
): Promise<BatchResult<unknown>[]> {
  const { signal } = options;
  const results = new Array<BatchResult<unknown>>(bodies.length);
  const progress = new ProgressCounter(bodies.length, options.onProgress);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      let outcome: unknown;
      try {
        outcome = await handle(bodies[index]!, { signal });
      } catch (error) {
        outcome = itemError(error, signal);
      }
      results[index] = batchResult(outcome);
      progress.add(1, outcome instanceof LiftWingError ? 1 : 0);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, bodies.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
