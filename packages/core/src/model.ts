import type { LiftWingError } from './errors.js';

/**
 * How a model runs: `online` asks the Lift Wing gateway; `offline` runs the published model on
 * this machine.
 */
export type Mode = 'online' | 'offline';

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
 * What every liftwing model offers, online or offline, with one API and one response shape: the
 * JSON that Lift Wing returns.
 */
export interface LiftWingModel<Req, Res> {
  /** The Lift Wing model name, e.g. `outlink-topic-model`. */
  readonly name: string;
  /** Whether this instance asks the gateway or runs locally. */
  readonly mode: Mode;
  /** The registry version id of the model that runs offline; undefined online (the server decides). */
  readonly version: string | undefined;
  /** One prediction. Bad input rejects with an `InputError` carrying Lift Wing's own message. */
  predict(request: Req, options?: PredictOptions): Promise<Res>;
  /** Many predictions, results in input order; one item's failure does not fail the others. */
  predictMany(requests: readonly Req[], options?: PredictManyOptions): Promise<BatchResult<Res>[]>;
  /**
   * Answers a raw request body exactly as Lift Wing's model server would (including batch forms
   * such as revertrisk's `instances`). Bad input rejects with an `InputError` whose `status` and
   * `toResponseBody()` are the server's. This is what `liftwing serve` calls.
   */
  handle(body: unknown, options?: PredictOptions): Promise<unknown>;
  /** Releases what the model holds (native sessions, sockets). */
  close(): Promise<void>;
}
