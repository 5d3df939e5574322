/**
 * Announces a sync's deployment changes on a Kafka topic (`model.registry` by default), so that a
 * consumer (a stream scorer, a cache warmer) learns of a new production version without polling
 * npm or GitHub: one message per change, keyed by the Lift Wing model name (a model's changes keep
 * their order), whose value is the change record `--record` writes with that one change.
 */
import { parseKafkaUrl } from '@liftwing/stream/kafka';
import kafkajs from 'kafkajs';
import type { ModelChange } from './sync.js';

/** The topic of the announcements when the URL names none (`kafka://<brokers>`). */
export const DEFAULT_REGISTRY_TOPIC = 'model.registry';

/** What a sync's record says, as `--record` writes it. */
export interface ChangeRecord {
  generatedAt: string;
  charts: string;
  changes: ModelChange[];
}

/**
 * Publishes `record`'s changes to `url` (`kafka://<brokers>[/<topic>]`), acknowledged by every
 * in-sync replica; resolves with the number of messages sent (none for a sync without changes).
 */
export async function publishChanges(url: string, record: ChangeRecord): Promise<number> {
  const withTopic = /^kafka:\/\/[^/]+\/?$/.test(url)
    ? `${url.replace(/\/$/, '')}/${DEFAULT_REGISTRY_TOPIC}`
    : url;
  const address = parseKafkaUrl(withTopic);
  if (record.changes.length === 0) return 0;
  const kafka = new kafkajs.Kafka({
    clientId: 'liftwing-registry-sync',
    brokers: address.brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: address.topic,
      acks: -1,
      messages: record.changes.map((change) => ({
        key: change.model,
        value: JSON.stringify({ ...record, changes: [change] }),
      })),
    });
  } finally {
    await producer.disconnect();
  }
  return record.changes.length;
}
