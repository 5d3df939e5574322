/**
 * `@liftwing/fasttext`: fastText 0.9.2's supervised prediction in plain TypeScript, bit for bit
 * (python3-fasttext 0.9.2 is the oracle): reads `.bin` models and scores them on the calling
 * thread or on every core, with one copy of the model in shared memory.
 *
 * @packageDocumentation
 */

export {
  type FastTextBatchOptions,
  FastTextModel,
  type FastTextPrediction,
  loadFastText,
  type SharedFastText,
} from './model.js';
export {
  FastTextPool,
  type FastTextPoolBatchOptions,
  type FastTextPoolOptions,
  type PredictEachOptions,
  predictEach,
} from './pool.js';
export {
  FASTTEXT_MAGIC,
  FASTTEXT_VERSION,
  type FastTextArgs,
  type FastTextLoss,
} from './reader.js';
export { FastTextScorer, type FastTextScorerOptions } from './scorer.js';
