/**
 * Kafka: a topic of events in, shared by the workers of one consumer group (each scores the
 * partitions the group gives it, and takes over those of a worker that stops), and a topic of
 * predictions out, keyed by page. The client is kafkajs 2.2.4, pure JavaScript (no native build),
 * which works on Node 20.
 *
 * Delivery is at least once: a worker commits a partition's offset only after the sink has the
 * results of every event before it. A worker that dies (SIGKILL, a crash) leaves its partitions
 * at their last commit; the worker that takes them over scores the events after it again, so
 * those come out twice, never not at all.
 *
 * @packageDocumentation
 */
import { ConfigError, changeEventOf, displayUrl, sleep } from '@liftwing/core';
import kafkajs from 'kafkajs';
import { Handoff } from './handoff.js';
import { outputRecord } from './record.js';
import type { ScoredError, ScoredPrediction, SourceItem } from './scorer.js';
import type { StreamSink } from './sinks.js';
import type { StreamSource } from './sources.js';

const { Kafka, logLevel } = kafkajs;

/** A `kafka://` URL read: brokers, topic and the query's settings. */
export interface KafkaAddress {
  brokers: string[];
  topic: string;
  /** `?group=`: the consumer group of a source. */
  group: string | undefined;
  /** `?from=earliest|latest`: where a new group starts; default earliest. */
  from: 'earliest' | 'latest';
  /** `?session=<ms>`: the group's session timeout, how soon a dead worker's partitions move. */
  sessionTimeoutMs: number | undefined;
}

/**
 * Reads `kafka://<host:port>[,<host:port>...]/<topic>[?group=<id>&from=earliest|latest&session=<ms>]`.
 *
 * @throws {ConfigError} saying which part is missing or wrong.
 */
export function parseKafkaUrl(url: string): KafkaAddress {
  // Messages show the address without a user or password, which may be a secret.
  const shown = displayUrl(url);
  const match = /^kafka:\/\/([^/?#]+)\/([^?#]+)(?:\?([^#]*))?$/.exec(url);
  if (match === null) {
    throw new ConfigError(
      `${shown} is not a Kafka address: write kafka://<host:port>[,<host:port>]/<topic>[?group=<id>].`,
    );
  }
  const brokers = match[1]!.split(',').filter(Boolean);
  if (match[1]!.includes('@')) {
    throw new ConfigError(
      `${shown}: a Kafka address here takes no user or password (liftwing connects without SASL); remove it.`,
    );
  }
  for (const broker of brokers) {
    if (!/^[^:]+:\d+$/.test(broker)) {
      throw new ConfigError(`${broker} in ${shown} is not a broker: write <host>:<port>.`);
    }
  }
  const query = new URLSearchParams(match[3] ?? '');
  for (const key of query.keys()) {
    if (!['group', 'from', 'session'].includes(key)) {
      throw new ConfigError(`Unknown setting ${key} in ${shown}; settings: group, from, session.`);
    }
  }
  const from = query.get('from') ?? 'earliest';
  if (from !== 'earliest' && from !== 'latest') {
    throw new ConfigError(`from=${from} in ${shown}: use from=earliest or from=latest.`);
  }
  const session = query.get('session');
  const sessionTimeoutMs = session === null ? undefined : Number(session);
  if (
    sessionTimeoutMs !== undefined &&
    !(Number.isSafeInteger(sessionTimeoutMs) && sessionTimeoutMs > 0)
  ) {
    throw new ConfigError(`session=${session} in ${shown}: a session timeout is a number of ms.`);
  }
  return {
    brokers,
    topic: decodeURIComponent(match[2]!),
    group: query.get('group') ?? undefined,
    from,
    sessionTimeoutMs,
  };
}

/** Times a crashed consumer is started again before its crash ends the run. */
const MAX_RESTARTS = 5;

/** Where an item of a Kafka source was: its partition and offset. */
interface Offset {
  seq: number;
  partition: number;
  offset: string;
}

/** Options of {@link kafkaSource}. */
export interface KafkaSourceOptions {
  /** `kafka://<brokers>/<topic>?group=<id>`. */
  url: string;
  /** Told when the group gives this worker its partitions (after each rebalance). */
  onAssign?: ((partitions: number[]) => void) | undefined;
  /** Events held before fetching pauses; default 256. */
  buffer?: number | undefined;
}

/**
 * A topic of events read by one worker of a consumer group. Each message's value is an event
 * (JSON); one that is not is an error line naming its partition and offset. `commit` commits,
 * for each partition, the offset after the last event whose result the sink has.
 */
export function kafkaSource(options: KafkaSourceOptions): StreamSource {
  const address = parseKafkaUrl(options.url);
  if (address.group === undefined) {
    throw new ConfigError(
      `${options.url} names no consumer group: add ?group=<id>, the same for every worker that shares the work.`,
    );
  }
  const capacity = options.buffer ?? 256;
  const kafka = new Kafka({
    clientId: 'liftwing-stream',
    brokers: address.brokers,
    logLevel: logLevel.NOTHING,
  });
  let restarts = 0;
  const consumer = kafka.consumer({
    groupId: address.group,
    // A quiet topic is polled every second rather than kafkajs's 5 s, so that a stop (and the
    // last commit) does not wait for a long poll.
    maxWaitTimeInMs: 1000,
    ...(address.sessionTimeoutMs === undefined
      ? {}
      : {
          sessionTimeout: address.sessionTimeoutMs,
          heartbeatInterval: Math.max(100, Math.floor(address.sessionTimeoutMs / 10)),
          rebalanceTimeout: address.sessionTimeoutMs * 2,
        }),
  });
  const name = `kafka://${address.brokers.join(',')}/${address.topic}?group=${address.group}`;
  /** Items handed on and not yet committed, in order. */
  const pending: Offset[] = [];
  let seq = 0;
  let connected = false;
  return {
    name,
    async *items(signal) {
      const queue = new Handoff<SourceItem>(capacity);
      let failure: unknown;
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const assigned = event.payload.memberAssignment[address.topic] ?? [];
        options.onAssign?.([...assigned].sort((a, b) => a - b));
      });
      await consumer.connect();
      connected = true;
      await consumer.subscribe({
        topics: [address.topic],
        fromBeginning: address.from === 'earliest',
      });
      const config: Parameters<typeof consumer.run>[0] = {
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || signal?.aborted) return;
            while (queue.full && !signal?.aborted && isRunning() && !isStale()) {
              await queue.roomMade();
              await heartbeat();
            }
            if (!isRunning() || isStale() || signal?.aborted) return;
            const where = { partition: batch.partition, offset: message.offset };
            const text = message.value?.toString('utf8') ?? '';
            const position = ++seq;
            pending.push({ seq: position, partition: batch.partition, offset: message.offset });
            try {
              queue.push({ event: JSON.parse(text), position, where });
            } catch {
              queue.push({
                error: `The message at partition ${batch.partition}, offset ${message.offset} is not JSON: ${text.slice(0, 200)}`,
                position,
                where,
              });
            }
            // Fetched, not committed: the next fetch starts after it; the commit waits for the sink.
            resolveOffset(message.offset);
          }
        },
      };
      // kafkajs restarts a crashed consumer by itself only after errors it deems retriable; a
      // group sync the broker refused while another worker joined (seen with librdkafka's mock
      // cluster when two workers start together) is worth a few tries too, then it is the run's
      // failure.
      consumer.on(consumer.events.CRASH, (event) => {
        if (event.payload.restart) return;
        if (++restarts > MAX_RESTARTS || signal?.aborted) {
          failure = event.payload.error;
          queue.wake();
          return;
        }
        void sleep(250 * restarts)
          .then(() => consumer.connect())
          .then(() => consumer.run(config))
          .catch((error: unknown) => {
            failure = error;
            queue.wake();
          });
      });
      await consumer.run(config);
      const onAbort = () => {
        queue.wake();
        queue.release();
      };
      signal?.addEventListener('abort', onAbort);
      try {
        while (true) {
          const item = queue.take();
          if (item !== undefined) {
            yield item;
            continue;
          }
          if (failure !== undefined) throw failure;
          if (signal?.aborted) return;
          await queue.woken();
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        queue.release();
        // The consumer stays in the group until `close`, so that the last commit still counts;
        // what was fetched and not handed on is read again by whoever gets the partition.
      }
    },
    async commit(position) {
      const upTo = position as number;
      const next = new Map<number, string>();
      while (pending.length > 0 && pending[0]!.seq <= upTo) {
        const done = pending.shift()!;
        next.set(done.partition, (BigInt(done.offset) + 1n).toString());
      }
      if (next.size === 0) return;
      try {
        await consumer.commitOffsets(
          [...next].map(([partition, offset]) => ({ topic: address.topic, partition, offset })),
        );
      } catch (error) {
        // A rebalance took the partition away: its new owner scores from the last commit, so
        // these events come out again (at least once). Anything else is a failure of the run.
        const type = (error as { type?: unknown }).type;
        if (
          type !== 'REBALANCE_IN_PROGRESS' &&
          type !== 'ILLEGAL_GENERATION' &&
          type !== 'UNKNOWN_MEMBER_ID' &&
          type !== 'NOT_COORDINATOR_FOR_GROUP'
        ) {
          throw error;
        }
      }
    },
    async close() {
      if (connected) await consumer.disconnect().catch(() => {});
    },
  };
}

/** Messages sent to Kafka in one request, at most. */
const SEND_BATCH = 500;

/** The key of a scored event: its page (`enwiki:12345`, else by title), so a page keeps order. */
function keyOf(item: ScoredPrediction | ScoredError): string | null {
  const change = item.change ?? changeEventOf(item.event);
  if (change?.wiki === undefined) return null;
  const page = change.pageId ?? change.pageTitle;
  return page === undefined ? change.wiki : `${change.wiki}:${page}`;
}

/**
 * A topic of scored events, one message per event (the JSON line a JSONL sink writes), keyed by
 * page. `flush` resolves when every message sent is acknowledged by all in-sync replicas.
 */
export function kafkaSink(options: { url: string }): StreamSink {
  const address = parseKafkaUrl(options.url);
  const kafka = new Kafka({
    clientId: 'liftwing-stream',
    brokers: address.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  let connecting: Promise<void> | undefined;
  let buffer: { key: string | null; value: string }[] = [];
  const send = async () => {
    connecting ??= producer.connect();
    await connecting;
    while (buffer.length > 0) {
      const messages = buffer.slice(0, SEND_BATCH);
      buffer = buffer.slice(messages.length);
      await producer.send({ topic: address.topic, acks: -1, messages });
    }
  };
  return {
    name: `kafka://${address.brokers.join(',')}/${address.topic}`,
    async write(item) {
      buffer.push({ key: keyOf(item), value: JSON.stringify(outputRecord(item)) });
      if (buffer.length >= SEND_BATCH) await send();
    },
    flush: send,
    async close() {
      if (connecting !== undefined) await producer.disconnect().catch(() => {});
    },
  };
}
