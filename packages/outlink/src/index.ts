/**
 * `@liftwing/outlink`: Wikipedia article topics from an article's outlinks, the Lift Wing
 * `outlink-topic-model`.
 *
 * @packageDocumentation
 */
export { OUTLINK_MODEL_NAME, TOPIC_LABELS, type TopicLabel } from './labels.js';
