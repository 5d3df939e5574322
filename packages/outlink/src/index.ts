/**
 * `@liftwing/outlink`: Wikipedia article topics from an article's outlinks, the Lift Wing
 * `outlink-topic-model`.
 *
 * @packageDocumentation
 */

export {
  FastTextModel,
  type FastTextPrediction,
  loadFastText,
  type PredictBatchOptions,
} from './fasttext/model.js';
export {
  FASTTEXT_MAGIC,
  FASTTEXT_VERSION,
  type FastTextArgs,
  type FastTextLoss,
} from './fasttext/reader.js';
export { OUTLINK_MODEL_NAME, TOPIC_LABELS, type TopicLabel } from './labels.js';
