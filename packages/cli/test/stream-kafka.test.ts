/**
 * Scale-out over Kafka, end to end: two `liftwing stream` workers of one consumer group share a
 * topic's partitions; one is killed with SIGKILL mid-run and the other takes its partitions
 * over; every input event has its prediction in the output topic, duplicates only after the
 * kill. Against librdkafka's mock cluster, a real Kafka-protocol server on loopback.
 */
import type { ChildProcess } from 'node:child_process';
import { kafkaMockUnavailable, recentChangeEvent, startKafkaMock } from '@liftwing/test-utils';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startChild } from './helpers/run-cli.js';

const unavailable = kafkaMockUnavailable();
const EVENTS = 2000;
const PARTITIONS = 4;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const running of children.splice(0)) if (running.exitCode === null) running.kill('SIGKILL');
});

/** A worker; `handleMs`: what each request takes its fake model. */
function worker(brokers: string, handleMs: number) {
  const run = startChild(
    [
      'stream',
      'revertrisk',
      '--from',
      `kafka://${brokers}/events?group=scorers&session=3000`,
      '--to',
      `kafka://${brokers}/predictions`,
      '--batch-size',
      '5',
      '--concurrency',
      '1',
    ],
    { CHILD_HANDLE_MS: String(handleMs) },
    { running: children },
  );
  // Read from the whole output, not chunk by chunk: a line may be cut between two chunks.
  const state = {
    get handled() {
      return (run.out.stdout.match(/handling/g) ?? []).length;
    },
    get partitions() {
      const said = [...run.out.stderr.matchAll(/partition\(s\) ([\d, ]+|none)\n/g)].at(-1)?.[1];
      return said === undefined || said === 'none' ? [] : said.split(', ').map(Number);
    },
    get stderr() {
      return run.out.stderr;
    },
  };
  return { proc: run.proc, state, exit: run.exit };
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(unavailable !== undefined)(
  `liftwing stream over Kafka${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('two workers split the partitions; one killed, the other takes over; nothing lost', async () => {
      const mock = await startKafkaMock({ events: PARTITIONS, predictions: PARTITIONS });
      const kafka = new kafkajs.Kafka({
        brokers: mock.brokers.split(','),
        logLevel: kafkajs.logLevel.NOTHING,
      });
      const reader = kafka.consumer({ groupId: 'reader', maxWaitTimeInMs: 200 });
      try {
        // Every prediction as it arrives: those before the kill must hold no duplicate.
        const seen: number[] = [];
        await reader.connect();
        await reader.subscribe({ topics: ['predictions'], fromBeginning: true });
        await reader.run({
          eachMessage: async ({ message }) => {
            const line = JSON.parse(message.value!.toString()) as { request: { rev_id: number } };
            seen.push(line.request.rev_id);
          },
        });
        // A is slow, so that it is killed well before the end of its share of the partitions
        // however late the kill comes; B, fast, then has A's rest to do.
        const a = worker(mock.brokers, 20);
        const b = worker(mock.brokers, 3);
        await until(
          'both workers to get partitions',
          () =>
            a.state.partitions.length > 0 &&
            b.state.partitions.length > 0 &&
            a.state.partitions.length + b.state.partitions.length === PARTITIONS,
        );
        expect(new Set([...a.state.partitions, ...b.state.partitions]).size).toBe(PARTITIONS);

        const producer = kafka.producer();
        await producer.connect();
        const revIds = Array.from({ length: EVENTS }, (_, i) => i + 1);
        for (let i = 0; i < EVENTS; i += 500) {
          await producer.send({
            topic: 'events',
            messages: revIds.slice(i, i + 500).map((revId) => ({
              key: String(revId),
              value: JSON.stringify(recentChangeEvent({ revId, title: `Page ${revId}` })),
            })),
          });
        }
        await producer.disconnect();

        // Mid-run: A has scored events and some predictions are out.
        await until('worker A to be mid-run', () => a.state.handled >= 100 && seen.length >= 100);
        a.proc.kill('SIGKILL');
        const beforeKill = seen.length;
        const handledByA = a.state.handled;
        expect(await a.exit).toBeNull();
        await until(
          'every event to have its prediction',
          () => new Set(seen).size === EVENTS,
          90_000,
        ).catch((error: Error) => {
          throw new Error(
            `${error.message}: ${new Set(seen).size} of ${EVENTS} (A handled ${a.state.handled}, B handled ${b.state.handled}, partitions ${b.state.partitions}; B said: ${b.state.stderr.slice(-1500)})`,
          );
        });
        await until('B to have all partitions', () => b.state.partitions.length === PARTITIONS);

        expect([...new Set(seen)].sort((x, y) => x - y)).toEqual(revIds);
        const early = seen.slice(0, beforeKill);
        expect(new Set(early).size).toBe(early.length);
        const duplicates = seen.length - EVENTS;
        console.log(
          `Kafka: ${EVENTS} events, ${seen.length} predictions, ${duplicates} duplicate(s), none among the ${beforeKill} out before the kill; A had scored ${handledByA}`,
        );
        expect(duplicates).toBeGreaterThanOrEqual(0);
        // B scored the rest of A's partitions as well as its own.
        expect(handledByA).toBeLessThan(EVENTS / 2);
        expect(b.state.handled).toBeGreaterThanOrEqual(EVENTS - handledByA);

        b.proc.kill('SIGTERM');
        expect(await b.exit).toBe(0);
      } finally {
        await reader.disconnect().catch(() => {});
        await mock.close();
      }
    }, 180_000);
  },
);
