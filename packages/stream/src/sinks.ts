/**
 * Where scored events go: a JSONL stream (stdout, a file) or a Kafka topic (`kafka.ts`). A sink
 * says when it has what it was given (`flush`): only then does a checkpoint move past it.
 *
 * @packageDocumentation
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fileSystemError } from '@liftwing/core';
import { outputRecord } from './record.js';
import type { ScoredError, ScoredPrediction } from './scorer.js';

/** A destination of scored events for {@link runStream}. */
export interface StreamSink {
  /** Names the sink in messages: `stdout`, a path, `kafka://...`. */
  readonly name: string;
  /** Takes one scored event; resolves when the sink can take the next (backpressure). */
  write(item: ScoredPrediction | ScoredError): Promise<void>;
  /** Resolves when the sink has everything written so far (on disk, acknowledged). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A JSONL sink: one line per scored event, in order. */
export function jsonlSink(
  output: Writable,
  name: string,
  options: { ownsOutput?: boolean } = {},
): StreamSink {
  let failure: unknown;
  output.on('error', (error) => {
    failure ??= error;
  });
  const check = () => {
    if (failure !== undefined) throw fileSystemError(failure, 'write', name);
  };
  return {
    name,
    async write(item) {
      check();
      if (!output.write(`${JSON.stringify(outputRecord(item))}\n`)) {
        await Promise.race([once(output, 'drain'), once(output, 'error')]).catch(() => {});
        check();
      }
    },
    async flush() {
      check();
      // The callback of a write runs after every write before it has been handed on.
      await new Promise<void>((resolve, reject) =>
        output.write('', (error) =>
          error ? reject(fileSystemError(error, 'write', name)) : resolve(),
        ),
      );
    },
    async close() {
      if (options.ownsOutput !== true) return;
      await new Promise<void>((resolve, reject) =>
        output.end((error?: Error | null) =>
          error ? reject(fileSystemError(error, 'write', name)) : resolve(),
        ),
      );
    },
  };
}
