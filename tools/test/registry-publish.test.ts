import { kafkaMockUnavailable, startKafkaMock } from '@liftwing/test-utils';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { publishChanges } from '../registry-sync/publish.js';
import type { ModelChange } from '../registry-sync/sync.js';

const unavailable = kafkaMockUnavailable();

const change = (model: string, newVersion: string): ModelChange => ({
  model,
  alias: model,
  package: `@liftwing/${model}`,
  stage: 'production',
  oldVersion: '20240101000000',
  newVersion,
  time: '2026-01-02T03:04:05Z',
  file: 'helmfile.d/ml-services/x/values.yaml',
  commit: null,
  artifacts: [],
});

describe.skipIf(unavailable !== undefined)(
  `the registry sync's announcements${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('publishes one message per change on model.registry, keyed by model', async () => {
      const mock = await startKafkaMock({ 'model.registry': 1 });
      try {
        const record = {
          generatedAt: '2026-01-02T00:00:00Z',
          charts: 'charts',
          changes: [change('a-model', '20260101000000'), change('b-model', '20260102000000')],
        };
        expect(await publishChanges(`kafka://${mock.brokers}`, record)).toBe(2);
        expect(await publishChanges(`kafka://${mock.brokers}`, { ...record, changes: [] })).toBe(0);
        const kafka = new kafkajs.Kafka({
          brokers: mock.brokers.split(','),
          logLevel: kafkajs.logLevel.NOTHING,
        });
        const consumer = kafka.consumer({ groupId: 'reader', maxWaitTimeInMs: 200 });
        const got: { key: string; value: { changes: ModelChange[] } }[] = [];
        await consumer.connect();
        await consumer.subscribe({ topics: ['model.registry'], fromBeginning: true });
        await new Promise<void>((resolve) => {
          void consumer.run({
            eachMessage: async ({ message }) => {
              got.push({
                key: message.key!.toString(),
                value: JSON.parse(message.value!.toString()),
              });
              if (got.length === 2) resolve();
            },
          });
        });
        await consumer.disconnect();
        expect(got.map((m) => m.key)).toEqual(['a-model', 'b-model']);
        expect(got[1]!.value.changes).toEqual([record.changes[1]]);
      } finally {
        await mock.close();
      }
    }, 60_000);
  },
);
