/**
 * Where events come from: EventStreams, a JSONL file (or stdin) of events, Kafka (`kafka.ts`).
 * A source yields {@link SourceItem}s with its position after each, and `commit` records that
 * everything up to a position is done: in a checkpoint file, or as a consumer group's offsets.
 *
 * @packageDocumentation
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ConfigError, fileSystemError } from '@liftwing/core';
import { Checkpoint } from './checkpoint.js';
import { type EventStreamOptions, eventStream, parseEventStreamsPosition } from './eventstreams.js';
import type { SourceItem } from './scorer.js';

/** A source of events for {@link runStream}. */
export interface StreamSource {
  /** Names the source in messages and checkpoints: `eventstreams:<streams>`, a path, `stdin`. */
  readonly name: string;
  /** The events, from where the source stands; ends when `signal` fires. */
  items(signal?: AbortSignal): AsyncIterable<SourceItem>;
  /** Records that every item up to the one at `position` is done (its result is in the sink). */
  commit(position: unknown): Promise<void>;
  close(): Promise<void>;
}

/** Characters of a line kept in its error line when it is not an event. */
const INPUT_PREFIX = 200;

/** Options of {@link eventStreamsSource}. */
export interface EventStreamsSourceOptions
  extends Omit<EventStreamOptions, 'lastEventId' | 'signal' | 'filter'> {
  /** The streams, e.g. `['mediawiki.recentchange']`. */
  streams: readonly string[];
  /** A checkpoint file: the run starts after its position, and keeps the position in it. */
  checkpoint?: string | undefined;
}

/**
 * The EventStreams position (a `Last-Event-ID`) a checkpoint file keeps; undefined when there is
 * no file yet.
 *
 * @throws {ConfigError} for a file that is no checkpoint of this source, or holds no position.
 */
export async function readEventStreamsCheckpoint(
  checkpoint: Checkpoint,
): Promise<string | undefined> {
  const kept = await checkpoint.read();
  if (kept === undefined) return undefined;
  const text = typeof kept === 'string' ? kept : JSON.stringify(kept);
  parseEventStreamsPosition(text, `The checkpoint file ${checkpoint.path}`);
  return text;
}

/** EventStreams as a source; with a checkpoint file, a run carries on where the last stopped. */
export function eventStreamsSource(options: EventStreamsSourceOptions): StreamSource {
  const name = `eventstreams:${options.streams.join(',')}`;
  const checkpoint =
    options.checkpoint === undefined ? undefined : new Checkpoint(options.checkpoint, name);
  return {
    name,
    async *items(signal) {
      const lastEventId = checkpoint && (await readEventStreamsCheckpoint(checkpoint));
      for await (const item of eventStream(options.streams, { ...options, lastEventId, signal })) {
        yield { event: item.event, position: item.position };
      }
    },
    async commit(position) {
      if (position !== undefined) await checkpoint?.write(position);
    },
    async close() {},
  };
}

/** Options of {@link jsonlSource}. */
export interface JsonlSourceOptions {
  /** A file of one event per line, or `-` for `input` (stdin). */
  path: string;
  /** What `-` reads; default `process.stdin`. */
  input?: Readable;
  /** A checkpoint file: the lines it counts as done are not read again. */
  checkpoint?: string | undefined;
}

/**
 * A JSONL file of events as a source (a replay, an export): its position is the number of lines
 * done. A line that is not JSON is an error item, named by its line number.
 */
export function jsonlSource(options: JsonlSourceOptions): StreamSource {
  const name = options.path === '-' ? 'stdin' : options.path;
  const checkpoint =
    options.checkpoint === undefined ? undefined : new Checkpoint(options.checkpoint, name);
  let input: Readable | undefined;
  let lines: ReturnType<typeof createInterface> | undefined;
  return {
    name,
    async *items(signal) {
      const kept = await checkpoint?.read();
      if (kept !== undefined && !Number.isSafeInteger(kept)) {
        throw new ConfigError(
          `The checkpoint file ${checkpoint!.path} holds no line count of ${name}; name another file.`,
        );
      }
      const skip = (kept as number | undefined) ?? 0;
      input =
        options.path === '-' ? (options.input ?? process.stdin) : createReadStream(options.path);
      lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      let line = 0;
      try {
        for await (const text of lines) {
          line++;
          if (line <= skip || text.trim() === '') continue;
          if (signal?.aborted) return;
          try {
            yield { event: JSON.parse(text), position: line, where: { line } };
          } catch (error) {
            if (!(error instanceof SyntaxError)) throw error;
            yield {
              error: `Line ${line} is not JSON (${error.message}): ${text.slice(0, INPUT_PREFIX)}`,
              position: line,
              where: { line },
            };
          }
        }
      } catch (error) {
        throw fileSystemError(error, 'read', name);
      } finally {
        lines?.close();
      }
    },
    async commit(position) {
      if (position !== undefined) await checkpoint?.write(position);
    },
    async close() {
      // A run stopped while waiting for a line (stdin of a live pipe) must not wait for it: the
      // reader ends here, and stdin stops being read so that the process can exit.
      lines?.close();
      if (options.path === '-') input?.pause();
      else input?.destroy();
    },
  };
}
