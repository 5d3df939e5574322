/**
 * `@liftwing/fasttext` in a browser, what a bundler's `browser` condition resolves the package
 * to: the model from its bytes (`FastTextModel.fromBytes` on an `ArrayBuffer` the page fetched),
 * scored on the calling thread, bit for bit as in Node.js. Reading a file (`loadFastText`,
 * `FastTextModel.load`) and the worker threads (`FastTextPool`, `FastTextScorer`) are Node.js's.
 * Without `SharedArrayBuffer` (a page that is not cross-origin isolated) the model lives in
 * ordinary memory.
 *
 * @packageDocumentation
 */
export {
  type FastTextBatchOptions,
  FastTextModel,
  type FastTextPrediction,
} from './model.js';
export {
  FASTTEXT_MAGIC,
  FASTTEXT_VERSION,
  type FastTextArgs,
  type FastTextLoss,
} from './reader.js';
