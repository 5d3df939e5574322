/**
 * What an offline model package holds: a loaded model and the threads it scores on, closed
 * together.
 */
import type { BatchResult } from '@liftwing/core';
import { ConfigError } from '@liftwing/core/errors';
import type { FastTextModel, FastTextPrediction } from './model.js';
import { FastTextPool, type PredictEachOptions, predictEach } from './pool.js';

/** Options of {@link FastTextScorer}. */
export interface FastTextScorerOptions {
  /** Threads to score on; 0 scores on the calling thread (see core's `workers` setting). */
  workers: number;
  /** The message of the {@link ConfigError} thrown for a use after {@link FastTextScorer.close}. */
  closedMessage: string;
}

/**
 * A model and its {@link FastTextPool} (none with `workers: 0`): scores through
 * {@link predictEach}, and after {@link FastTextScorer.close} refuses to with a ConfigError.
 */
export class FastTextScorer {
  #model: FastTextModel | undefined;
  readonly #pool: FastTextPool | undefined;
  readonly #closedMessage: string;

  constructor(model: FastTextModel, options: FastTextScorerOptions) {
    this.#model = model;
    this.#closedMessage = options.closedMessage;
    this.#pool =
      options.workers > 0 ? new FastTextPool(model, { workers: options.workers }) : undefined;
  }

  /** The model, or undefined once closed. */
  get model(): FastTextModel | undefined {
    return this.#model;
  }

  /** The model; throws the ConfigError of a closed scorer once closed. */
  loaded(): FastTextModel {
    if (this.#model === undefined) throw new ConfigError(this.#closedMessage);
    return this.#model;
  }

  /** {@link predictEach} on this scorer's threads, or on the calling thread. */
  predictEach(
    texts: readonly string[],
    options: Omit<PredictEachOptions, 'pool'> = {},
  ): Promise<BatchResult<FastTextPrediction[]>[]> {
    return predictEach(this.loaded(), texts, { ...options, pool: this.#pool });
  }

  /** Drops the model and ends the threads. */
  async close(): Promise<void> {
    this.#model = undefined;
    await this.#pool?.close();
  }
}
