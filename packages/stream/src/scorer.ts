/**
 * The scorer: events in, predictions out, each with the event it came from, in the order the
 * events came. Events reach the model in batches through its `handleMany` (a fastText model
 * scores a batch on its worker threads; a gateway model sends as few requests as its server
 * allows), with a bounded number of batches in flight: a source is read no faster than the model
 * answers.
 *
 * @packageDocumentation
 */
import {
  type BatchResult,
  type ChangeEvent,
  changeEventOf,
  type LiftWingModel,
  type ModelDefinition,
} from '@liftwing/core';
import { type EventFilter, matchesFilter } from './filter.js';

/** One event of a source, with the source's position after it (what a checkpoint keeps). */
export interface SourceItem {
  /** The event, parsed; undefined when the source could not read it (see `error`). */
  event?: unknown;
  /** Why the source could not read this item (a line that is not JSON), in the user's terms. */
  error?: string;
  /** Where the source stands after this item, as the source itself understands it. */
  position: unknown;
  /** Where the item was, for an error line that names it: `{"line": 12}`, a Kafka offset. */
  where?: Readonly<Record<string, unknown>>;
}

/** A scored event. */
export interface ScoredPrediction {
  position: unknown;
  event: Record<string, unknown>;
  change: ChangeEvent;
  /** The request the model's definition made of the event. */
  request: Record<string, unknown>;
  /** The model's answer, the JSON Lift Wing returns. */
  prediction: unknown;
}

/** An event that could not be scored: a line that is not an event, or the model's error. */
export interface ScoredError {
  position: unknown;
  event?: unknown;
  change?: ChangeEvent;
  request?: Record<string, unknown>;
  where?: Readonly<Record<string, unknown>>;
  /** What went wrong, in the user's terms. */
  error: string;
  /** The liftwing error code, when it was a liftwing error. */
  code?: string;
  /** The HTTP status Lift Wing would have answered, for input errors. */
  status?: number;
}

/** An event passed over: the filter does not keep it, or the model does not score it. */
export interface SkippedEvent {
  position: unknown;
  change: ChangeEvent;
  skipped: 'filtered' | 'not-scored';
}

/** What {@link scoreEvents} yields for each event, in the order of the events. */
export type ScoredItem = ScoredPrediction | ScoredError | SkippedEvent;

/** Options of {@link scoreEvents}. */
export interface ScoreOptions {
  /** The model; only its `handleMany` is used. */
  model: Pick<LiftWingModel<unknown, unknown>, 'handleMany'>;
  /** How an event becomes a request: the model definition's `requestFromEvent`. */
  requestFromEvent: NonNullable<ModelDefinition['requestFromEvent']>;
  /** Keep only these events; the others are yielded as `skipped: 'filtered'`. */
  filter?: EventFilter | undefined;
  /** Stop after this many events the filter keeps. */
  limit?: number | undefined;
  /** Events handed to the model at once; default 50. */
  batchSize?: number | undefined;
  /** Batches in flight at once; default 4. */
  concurrency?: number | undefined;
  /**
   * How long a started batch waits for more events before it goes to the model, in ms; default
   * 20: a quiet stream is answered event by event rather than held back.
   */
  batchWaitMs?: number | undefined;
  /** Stops reading; what was read is still scored and yielded. */
  signal?: AbortSignal | undefined;
}

/** One event of a batch: its result already known (skipped, unreadable), or a request to score. */
type Entry =
  | { done: ScoredItem }
  | { item: SourceItem; change: ChangeEvent; request: Record<string, unknown> };

const never = new Promise<never>(() => {});

function errorOf(error: unknown): Pick<ScoredError, 'error' | 'code' | 'status'> {
  const err = error as { message?: unknown; code?: unknown; status?: unknown };
  return {
    error: typeof err?.message === 'string' ? err.message : String(error),
    ...(typeof err?.code === 'string' ? { code: err.code } : {}),
    ...(typeof err?.status === 'number' ? { status: err.status } : {}),
  };
}

/** The entry of one source item: skipped, unreadable, or the request the definition makes. */
function entryOf(item: SourceItem, options: ScoreOptions): Entry {
  if (item.error !== undefined || item.event === undefined) {
    return {
      done: {
        position: item.position,
        ...(item.where === undefined ? {} : { where: item.where }),
        error: item.error ?? 'The source gave no event.',
        code: 'invalid_input',
      },
    };
  }
  const change = changeEventOf(item.event);
  if (change === undefined) {
    return {
      done: {
        position: item.position,
        event: item.event,
        ...(item.where === undefined ? {} : { where: item.where }),
        error:
          'Not an event: an event is a JSON object, as Wikimedia’s event streams publish them.',
        code: 'invalid_input',
      },
    };
  }
  if (change.canary || (options.filter !== undefined && !matchesFilter(options.filter, change))) {
    return { done: { position: item.position, change, skipped: 'filtered' } };
  }
  let request: Record<string, unknown> | undefined;
  try {
    request = options.requestFromEvent(change);
  } catch (error) {
    return { done: { position: item.position, event: change.raw, change, ...errorOf(error) } };
  }
  if (request === undefined) {
    return { done: { position: item.position, change, skipped: 'not-scored' } };
  }
  return { item, change, request };
}

async function scoreBatch(entries: Entry[], options: ScoreOptions): Promise<ScoredItem[]> {
  const scored = entries.filter(
    (entry): entry is Extract<Entry, { request: unknown }> => 'request' in entry,
  );
  let results: BatchResult<unknown>[] = [];
  let failure: unknown;
  if (scored.length > 0) {
    try {
      results = await options.model.handleMany(scored.map((entry) => ({ body: entry.request })));
    } catch (error) {
      // A whole batch that fails (a model that crashed) fails each of its events, each an error
      // line, rather than ending the stream.
      failure = error;
    }
  }
  let next = 0;
  return entries.map((entry) => {
    if ('done' in entry) return entry.done;
    const result = results[next++];
    const base = {
      position: entry.item.position,
      event: entry.change.raw as Record<string, unknown>,
      change: entry.change,
      request: entry.request,
    };
    if (result?.ok) return { ...base, prediction: result.value };
    return { ...base, ...errorOf(result === undefined ? failure : result.error) };
  });
}

/**
 * Scores the events of `source` with the model, yielding one {@link ScoredItem} per event in the
 * source's order: a prediction, an error (the event is still accounted for), or a skip. At most
 * `concurrency` batches of `batchSize` events are in flight; the source is not read further
 * until one settles.
 */
export async function* scoreEvents(
  source: AsyncIterable<SourceItem>,
  options: ScoreOptions,
): AsyncGenerator<ScoredItem, void, undefined> {
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 4;
  const waitMs = options.batchWaitMs ?? 20;
  const { signal, limit } = options;
  const iterator = source[Symbol.asyncIterator]();
  const inFlight: Promise<ScoredItem[]>[] = [];
  let forming: Entry[] = [];
  let deadline: Promise<'timer'> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pendingNext: Promise<IteratorResult<SourceItem>> | undefined;
  let sourceDone = false;
  let kept = 0;
  const aborted = new Promise<'abort'>((resolve) => {
    if (signal?.aborted) resolve('abort');
    signal?.addEventListener('abort', () => resolve('abort'), { once: true });
  });

  const dispatch = () => {
    if (forming.length === 0) return;
    inFlight.push(scoreBatch(forming, options));
    forming = [];
    clearTimeout(timer);
    deadline = undefined;
  };
  const stopReading = () => {
    if (sourceDone) return;
    sourceDone = true;
    // Not awaited: a source waiting for its next event returns when that wait ends.
    void iterator.return?.().catch(() => {});
  };

  try {
    while (true) {
      if (signal?.aborted) stopReading();
      if (sourceDone) dispatch();
      if (sourceDone && inFlight.length === 0) return;
      const canRead = !sourceDone && inFlight.length < concurrency;
      if (canRead) pendingNext ??= iterator.next();
      const head = inFlight[0];
      const winner = await Promise.race([
        head === undefined ? never : head.then(() => 'head' as const),
        canRead ? pendingNext!.then(() => 'item' as const) : never,
        deadline ?? never,
        sourceDone ? never : aborted,
      ]);
      if (winner === 'head') {
        inFlight.shift();
        yield* await head!;
        continue;
      }
      if (winner === 'timer') {
        dispatch();
        continue;
      }
      if (winner === 'abort') {
        stopReading();
        continue;
      }
      const next = await pendingNext!;
      pendingNext = undefined;
      if (next.done) {
        sourceDone = true;
        continue;
      }
      const entry = entryOf(next.value, options);
      forming.push(entry);
      // The limit counts the events handed to the scorer: those the filter keeps.
      if (!('done' in entry && 'skipped' in entry.done && entry.done.skipped === 'filtered')) {
        kept++;
      }
      if (limit !== undefined && kept >= limit) stopReading();
      if (forming.length >= batchSize) dispatch();
      else if (deadline === undefined) {
        deadline = new Promise((resolve) => {
          timer = setTimeout(() => resolve('timer'), waitMs);
        });
      }
    }
  } finally {
    clearTimeout(timer);
    stopReading();
  }
}
