/**
 * The sources and sinks the command line names: `--from` and `--to` words. Kafka's client loads
 * only for a `kafka://` address.
 *
 * @packageDocumentation
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { ConfigError, fileSystemError, type SettingsSource } from '@liftwing/core';
import type { EventStreamOptions } from './eventstreams.js';
import { jsonlSink, type StreamSink } from './sinks.js';
import { eventStreamsSource, jsonlSource, type StreamSource } from './sources.js';

/** Options of {@link openSource}. */
export interface OpenSourceOptions extends SettingsSource {
  checkpoint?: string | undefined;
  since?: EventStreamOptions['since'];
  onReconnect?: EventStreamOptions['onReconnect'];
  reconnect?: EventStreamOptions['reconnect'];
  /** What `-` reads; default `process.stdin`. */
  stdin?: Readable;
  /** A Kafka source: told the partitions the group gives this worker. */
  onAssign?: ((partitions: number[]) => void) | undefined;
}

/**
 * The source a `--from` names: `eventstreams:<stream>[,<stream>]`, `-` (stdin) or a JSONL file.
 */
export async function openSource(
  spec: string,
  options: OpenSourceOptions = {},
): Promise<StreamSource> {
  if (spec.startsWith('eventstreams:')) {
    const streams = spec.slice('eventstreams:'.length).split(',').filter(Boolean);
    return eventStreamsSource({ ...options, streams });
  }
  if (spec.startsWith('kafka://')) {
    if (options.checkpoint !== undefined) {
      throw new ConfigError(
        "A Kafka source keeps its position as its consumer group's offsets; drop the checkpoint file.",
      );
    }
    if (options.since !== undefined) {
      throw new ConfigError('since applies to an EventStreams source (eventstreams:<stream>).');
    }
    // kafkajs loads only for a Kafka source.
    const { kafkaSource } = await import('./kafka.js');
    return kafkaSource({ url: spec, onAssign: options.onAssign });
  }
  if (options.since !== undefined) {
    throw new ConfigError('since applies to an EventStreams source (eventstreams:<stream>).');
  }
  return jsonlSource({ path: spec, input: options.stdin, checkpoint: options.checkpoint });
}

/** The sink a `--to` names: `-` or `stdout`, `kafka://<brokers>/<topic>`, else a JSONL file appended to. */
export async function openSink(
  spec: string,
  stdout: Writable = process.stdout,
): Promise<StreamSink> {
  if (spec === '-' || spec === 'stdout') return jsonlSink(stdout, 'stdout');
  if (spec.startsWith('kafka://')) {
    const { kafkaSink } = await import('./kafka.js');
    return kafkaSink({ url: spec });
  }
  const file = createWriteStream(spec, { flags: 'a' });
  await Promise.race([
    once(file, 'open'),
    once(file, 'error').then(([error]) => {
      throw fileSystemError(error, 'open', spec);
    }),
  ]);
  return jsonlSink(file, spec, { ownsOutput: true });
}
