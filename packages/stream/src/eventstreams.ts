/**
 * Wikimedia's EventStreams: the public change streams of every wiki (`mediawiki.recentchange`,
 * `mediawiki.page_change.v1`, ...) and Lift Wing's prediction streams, as typed async iterables
 * that resume from a checkpoint, survive the server's periodic disconnects, drop canary events
 * and keep what the filter keeps.
 *
 * @packageDocumentation
 */
import { type ChangeEvent, ConfigError, changeEventOf, type SettingsSource } from '@liftwing/core';
import { settingsOf } from '@liftwing/core/model-kit';
import { type EventFilter, matchesFilter } from './filter.js';
import { type PredictedClassification, predictionOf } from './prediction.js';
import { type ReconnectInfo, type SseOptions, sseEvents } from './sse.js';

/** One position of an EventStreams id: a Kafka topic partition, at an offset or a time. */
export interface EventStreamsPosition {
  topic: string;
  partition: number;
  /** The offset of the last event read; resumes after it. */
  offset?: number;
  /** The time (ms) of the last event read; resumes at it (the event may come again). */
  timestamp?: number;
}

/** An event of a stream, with where the stream stood after it. */
export interface StreamedEvent {
  /** The event as published. */
  event: Record<string, unknown>;
  /** The fields liftwing reads from it. */
  change: ChangeEvent;
  /**
   * The stream's position after this event (its `Last-Event-ID`, a JSON array of
   * {@link EventStreamsPosition}): pass it as `lastEventId` to carry on after it.
   */
  position: string | undefined;
}

/** An event of a prediction stream: a page change and what the model predicted for it. */
export interface StreamedPrediction extends StreamedEvent {
  prediction: PredictedClassification;
}

/** Options of {@link eventStream}. */
export interface EventStreamOptions extends SettingsSource {
  /**
   * Resume after this position (a {@link StreamedEvent.position} kept from an earlier run).
   * Wins over `since`.
   */
  lastEventId?: string | undefined;
  /** Start at this time (ISO 8601, a Date or ms since the epoch) instead of now. */
  since?: string | number | Date | undefined;
  /** Keep only these events. */
  filter?: EventFilter | undefined;
  /** Reconnection backoff; see {@link SseOptions.reconnect}. */
  reconnect?: SseOptions['reconnect'];
  /** Told before each reconnection. */
  onReconnect?: ((info: ReconnectInfo) => void) | undefined;
  /** Events held before the socket stops being read; default 256. */
  buffer?: number;
  /** See {@link SseOptions.idleTimeoutMs}; default 120,000 ms. */
  idleTimeoutMs?: number;
  /** Ends the stream. */
  signal?: AbortSignal | undefined;
}

const STREAM_NAME = /^[A-Za-z0-9_.-]+$/;

/** Event ids remembered to drop an event the server sends again after a reconnection. */
const REMEMBERED = 1024;

/**
 * `text` read as an EventStreams position (a `Last-Event-ID`): a JSON array of `{topic,
 * partition, offset | timestamp}`.
 *
 * @throws {ConfigError} saying what the text is not, naming `what` (a checkpoint file, say).
 */
export function parseEventStreamsPosition(
  text: string,
  what = 'The position',
): EventStreamsPosition[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        typeof p.topic === 'string' &&
        Number.isInteger(p.partition) &&
        (Number.isInteger(p.offset) || Number.isInteger(p.timestamp)),
    );
  if (!valid) {
    throw new ConfigError(
      `${what} is not an EventStreams position: expected a JSON array of ` +
        `{"topic", "partition", "offset" or "timestamp"}, such as an event id of the stream.`,
    );
  }
  return value as EventStreamsPosition[];
}

function sinceParameter(since: EventStreamOptions['since']): string | undefined {
  if (since === undefined) return undefined;
  const date = since instanceof Date ? since : new Date(since);
  if (Number.isNaN(date.getTime())) {
    throw new ConfigError(
      `since ${JSON.stringify(String(since))} is not a time: use ISO 8601 (2026-01-02T03:04:05Z) or milliseconds since 1970.`,
    );
  }
  return date.toISOString();
}

/** The URL of `streams` under the base URL of `settings`. */
export function eventStreamsUrl(streams: readonly string[], base: string): string {
  for (const name of streams) {
    if (!STREAM_NAME.test(name)) {
      throw new ConfigError(
        `${JSON.stringify(name)} is not a stream name; names look like mediawiki.recentchange.`,
      );
    }
  }
  if (streams.length === 0)
    throw new ConfigError('Name at least one stream, e.g. mediawiki.recentchange.');
  return `${base}${streams.join(',')}`;
}

/**
 * The events of one or more EventStreams streams (`mediawiki.recentchange`,
 * `["mediawiki.page_change.v1", ...]`), from `lastEventId`, else `since`, else now. Canary events
 * are dropped, and events the filter does not keep; the server's disconnects (every few minutes)
 * are reconnected from the last event, and an event sent again after one is dropped.
 *
 * @throws {HttpError} on a 403 (a User-Agent without a contact: set `LIFTWING_USER_AGENT`), an
 *   unknown stream (404), or when reconnection gives up.
 */
export async function* eventStream(
  streams: string | readonly string[],
  options: EventStreamOptions = {},
): AsyncGenerator<StreamedEvent, void, undefined> {
  const settings = settingsOf(options);
  const names = typeof streams === 'string' ? streams.split(',') : streams;
  const url = eventStreamsUrl(names, settings.eventStreamsUrl);
  if (options.lastEventId !== undefined) parseEventStreamsPosition(options.lastEventId);
  const since = sinceParameter(options.since);
  const seen = new Set<string>();
  const order: string[] = [];
  for await (const message of sseEvents(url, {
    settings,
    what: `EventStreams (${names.join(', ')})`,
    lastEventId: options.lastEventId,
    // `since` only starts a stream; a resumed connection carries on from its Last-Event-ID.
    urlFor: (lastEventId) =>
      lastEventId === undefined && since !== undefined
        ? `${url}?since=${encodeURIComponent(since)}`
        : url,
    reconnect: options.reconnect,
    onReconnect: options.onReconnect,
    buffer: options.buffer,
    idleTimeoutMs: options.idleTimeoutMs,
    signal: options.signal,
  })) {
    let event: unknown;
    try {
      event = JSON.parse(message.data);
    } catch {
      // Not an event of Wikimedia's schemas (a proxy's message): nothing to read in it.
      continue;
    }
    const change = changeEventOf(event);
    if (change === undefined || change.canary) continue;
    // A server that resumes at a timestamp sends the last event again (and any of its time).
    if (change.id !== undefined) {
      if (seen.has(change.id)) continue;
      seen.add(change.id);
      order.push(change.id);
      if (order.length > REMEMBERED) seen.delete(order.shift()!);
    }
    if (options.filter !== undefined && !matchesFilter(options.filter, change)) continue;
    yield { event: change.raw as Record<string, unknown>, change, position: message.lastEventId };
  }
}

/**
 * The events of one of Lift Wing's prediction streams
 * (`mediawiki.page_revert_risk_prediction_change.v1`,
 * `mediawiki.page_outlink_topic_prediction_change.v1`, ...), each with what the model predicted:
 * read from the public stream, this costs no gateway quota. Options and errors as
 * {@link eventStream}'s; the filter's `prediction` and `score` apply to the prediction.
 */
export async function* predictionStream(
  stream: string,
  options: EventStreamOptions = {},
): AsyncGenerator<StreamedPrediction, void, undefined> {
  for await (const item of eventStream([stream], options)) {
    const prediction = predictionOf(item.event);
    // An event without a prediction is no prediction to show (another schema's stream).
    if (prediction !== undefined) yield { ...item, prediction };
  }
}
