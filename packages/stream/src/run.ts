/**
 * The delivery loop: a source through the scorer into a sink, at least once and never silently
 * dropped. The source's position is committed (checkpoint file, consumer group offsets) only
 * after the sink has the results of every event up to it; a failed event is an error line in the
 * output; a stop (the signal: SIGTERM) finishes what was read, commits and returns.
 *
 * @packageDocumentation
 */
import { type ScoreOptions, scoreEvents } from './scorer.js';
import type { StreamSink } from './sinks.js';
import type { StreamSource } from './sources.js';

/** Counts of a run, as it goes and at its end. */
export interface StreamProgress {
  /** Events the filter kept and the scorer answered: scored + failed + notScored. */
  processed: number;
  scored: number;
  /** Error lines written. */
  failed: number;
  /** Events the model does not score (no `requestFromEvent` request: a log entry, another wiki). */
  notScored: number;
  /** Events the filter (or canary check) dropped. */
  filtered: number;
  /** Seconds since the run started. */
  seconds: number;
}

/** How a run ended. */
export interface StreamSummary extends StreamProgress {
  /** True when the signal stopped it (it still finished what it had read, and committed). */
  interrupted: boolean;
}

/** Options of {@link runStream}. */
export interface RunStreamOptions extends Omit<ScoreOptions, 'signal'> {
  source: StreamSource;
  sink: StreamSink;
  /** Stops reading; what was read is scored, written and committed. */
  signal?: AbortSignal | undefined;
  /** Commit at least this often, in ms; default 1000. */
  commitEveryMs?: number | undefined;
  /** Commit at least every this many events; default 1000. */
  commitEvery?: number | undefined;
  onProgress?: ((progress: StreamProgress) => void) | undefined;
}

/** Runs `source` through the model into `sink`; see the module documentation. */
export async function runStream(options: RunStreamOptions): Promise<StreamSummary> {
  const { source, sink, signal } = options;
  const commitEveryMs = options.commitEveryMs ?? 1000;
  const commitEvery = options.commitEvery ?? 1000;
  const started = performance.now();
  const counts = { processed: 0, scored: 0, failed: 0, notScored: 0, filtered: 0 };
  const progress = (): StreamProgress => ({
    ...counts,
    seconds: (performance.now() - started) / 1000,
  });
  let position: unknown;
  let uncommitted = 0;
  let lastCommit = performance.now();
  const commit = async () => {
    if (uncommitted === 0) return;
    // The sink has every result up to `position` before the source may forget it.
    await sink.flush();
    await source.commit(position);
    uncommitted = 0;
    lastCommit = performance.now();
  };
  const items = scoreEvents(source.items(signal), { ...options, signal })[Symbol.asyncIterator]();
  let next = items.next();
  while (true) {
    // A quiet source still gets its results flushed and committed on time, not at its next event.
    let timer: NodeJS.Timeout | undefined;
    const due =
      uncommitted === 0
        ? undefined
        : new Promise<'due'>((resolve) => {
            timer = setTimeout(
              () => resolve('due'),
              Math.max(0, commitEveryMs - (performance.now() - lastCommit)),
            );
          });
    const result = due === undefined ? await next : await Promise.race([next, due]);
    clearTimeout(timer);
    if (result === 'due') {
      await commit();
      options.onProgress?.(progress());
      continue;
    }
    if (result.done) break;
    next = items.next();
    const item = result.value;
    if ('skipped' in item) {
      if (item.skipped === 'filtered') counts.filtered++;
      else {
        counts.notScored++;
        counts.processed++;
      }
    } else {
      await sink.write(item);
      counts.processed++;
      if ('prediction' in item) counts.scored++;
      else counts.failed++;
    }
    position = item.position;
    uncommitted++;
    if (uncommitted >= commitEvery || performance.now() - lastCommit >= commitEveryMs) {
      await commit();
      options.onProgress?.(progress());
    }
  }
  await commit();
  return { ...progress(), interrupted: signal?.aborted === true };
}
