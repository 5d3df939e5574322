import { type ChangeEvent, wikipediaRevision } from '@liftwing/core';
import { kafkaMockUnavailable, recentChangeEvent, startKafkaMock } from '@liftwing/test-utils';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { runStream } from '../src/index.js';
import { kafkaSink, kafkaSource, parseKafkaUrl } from '../src/kafka.js';

const unavailable = kafkaMockUnavailable();
const requestFromEvent = (event: ChangeEvent) => wikipediaRevision(event);
const model = {
  async handleMany(raws: readonly { body?: unknown }[]) {
    return raws.map((raw) => ({ ok: true as const, value: { scored: raw.body } }));
  },
};

async function produce(brokers: string, topic: string, revIds: number[]) {
  const kafka = new kafkajs.Kafka({
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: revIds.map((revId) => ({
      key: String(revId),
      value: JSON.stringify(recentChangeEvent({ revId, title: `Page ${revId}` })),
    })),
  });
  await producer.disconnect();
}

/** Every message of `topic` from the start, until `count` have come. */
async function consumeAll(brokers: string, topic: string, count: number) {
  const kafka = new kafkajs.Kafka({
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `reader-${Math.random()}` });
  const messages: { key: string | undefined; value: Record<string, unknown> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        messages.push({
          key: message.key?.toString(),
          value: JSON.parse(message.value!.toString()),
        });
        if (messages.length >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

describe('kafka:// addresses', () => {
  it('reads brokers, topic and settings, and says what is wrong', () => {
    expect(parseKafkaUrl('kafka://a:9092,b:9093/events?group=g&session=6000')).toEqual({
      brokers: ['a:9092', 'b:9093'],
      topic: 'events',
      group: 'g',
      from: 'earliest',
      sessionTimeoutMs: 6000,
    });
    expect(() => parseKafkaUrl('kafka://a/events')).toThrow(
      'a in kafka://a/events is not a broker',
    );
    expect(() => parseKafkaUrl('kafka://a:1/t?grp=x')).toThrow('Unknown setting grp');
    // A user or password is refused without being repeated: it may be a secret.
    let refusal: unknown;
    try {
      parseKafkaUrl('kafka://user:s3cret@a:1/t');
    } catch (error) {
      refusal = error;
    }
    expect((refusal as Error).message).toBe(
      'kafka://a:1/t: a Kafka address here takes no user or password (liftwing connects without SASL); remove it.',
    );
    expect(() => parseKafkaUrl('kafka://a:1/t?password=s3cret')).toThrow(
      'Unknown setting password in kafka://a:1/t?',
    );
    expect(() => parseKafkaUrl('kafka://a:1/t?password=s3cret')).not.toThrow(/s3cret/);
    expect(() => kafkaSource({ url: 'kafka://a:1/t' })).toThrow(
      'names no consumer group: add ?group=<id>',
    );
  });
});

describe.skipIf(unavailable !== undefined)(
  `Kafka against librdkafka's mock cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('scores a topic into a topic keyed by page, and commits where it stopped', async () => {
      const mock = await startKafkaMock({ events: 2, predictions: 2 });
      try {
        await produce(mock.brokers, 'events', [1, 2, 3, 4, 5, 6]);
        // Each run closes its source and sink, as the CLI does (the consumer leaves the group).
        // The mock cluster still holds the next join for about the session timeout, so the
        // session is short here.
        const run = async (limit: number) => {
          const source = kafkaSource({
            url: `kafka://${mock.brokers}/events?group=scorers&session=6000`,
          });
          const sink = kafkaSink({ url: `kafka://${mock.brokers}/predictions` });
          try {
            return await runStream({ source, sink, model, requestFromEvent, limit });
          } finally {
            await sink.close();
            await source.close();
          }
        };
        const runs = [] as Awaited<ReturnType<typeof run>>[];
        const first = run(6);
        runs.push(await first);
        await produce(mock.brokers, 'events', [7, 8]);
        runs.push(await run(2));
        expect(runs.map((summary) => summary.scored)).toEqual([6, 2]);
        const out = await consumeAll(mock.brokers, 'predictions', 8);
        const revs = out
          .map((m) => (m.value.request as { rev_id: number }).rev_id)
          .sort((a, b) => a - b);
        // The second run, of the same group, started after the first one's commit.
        expect(revs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(out.find((m) => (m.value.request as { rev_id: number }).rev_id === 3)?.key).toBe(
          'enwiki:Page_3',
        );
      } finally {
        await mock.close();
      }
    });
  },
);
