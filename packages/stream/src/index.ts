/**
 * `@liftwing/stream`: Lift Wing's prediction streams and Wikimedia's change streams as typed
 * async iterables, and the scorer that runs any Lift Wing model over a stream of wiki changes
 * (EventStreams, a JSONL file, Kafka) with at-least-once delivery.
 *
 * @packageDocumentation
 */

export * from './checkpoint.js';
export * from './eventstreams.js';
export * from './filter.js';
export {
  type KafkaAddress,
  type KafkaSourceOptions,
  kafkaSink,
  kafkaSource,
  parseKafkaUrl,
} from './kafka.js';
export * from './open.js';
export * from './prediction.js';
export * from './record.js';
export * from './run.js';
export * from './scorer.js';
export * from './sinks.js';
export * from './sources.js';
export * from './sse.js';
