/**
 * Client-side filters of change events: EventStreams sends every event of a stream, so a reader
 * keeps those of its wikis, namespaces, kinds of change, bots or not, and, on a prediction
 * stream, the predictions it cares about.
 *
 * @packageDocumentation
 */
import { type ChangeEvent, ConfigError } from '@liftwing/core';
import { predictionOf } from './prediction.js';

/** What an event must be to be kept; every field given must match. */
export interface EventFilter {
  /** Database names (`enwiki`) or hosts (`en.wikipedia.org`). */
  wiki?: readonly string[];
  /** Namespace numbers. */
  namespace?: readonly number[];
  /** Kinds of change ({@link ChangeEvent.kind}): `edit`, `create` (recentchange's `new`), `log`... */
  type?: readonly string[];
  /** Whether a bot made the change. */
  bot?: boolean;
  /** Prediction streams: a label the model predicted (`true`, a topic such as `STEM.Biology`). */
  prediction?: readonly string[];
  /**
   * Prediction streams: the lowest probability kept, of the labels `prediction` names, else of
   * the labels the model predicted (revert risk above 0.9: `prediction=true,score=0.9`).
   */
  score?: number;
}

/** The keys of `--filter`, in the order help lists them. */
export const FILTER_KEYS = ['wiki', 'namespace', 'type', 'bot', 'prediction', 'score'] as const;

/** A `--filter` that cannot be read; `key` is the unknown key, if that is what is wrong. */
export class FilterError extends ConfigError {
  readonly key: string | undefined;

  constructor(message: string, key?: string) {
    super(message);
    this.key = key;
  }
}

const KIND_ALIASES: Readonly<Record<string, string>> = { new: 'create' };

/**
 * Reads `wiki=enwiki|dewiki,namespace=0,bot=false` (pairs separated by `,`, alternatives by
 * `|`) into an {@link EventFilter}. Several texts (several `--filter` flags) add up.
 *
 * @throws {FilterError} naming the pair that is wrong and how to write it.
 */
export function parseFilter(...texts: readonly string[]): EventFilter {
  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  for (const pair of texts.flatMap((text) => text.split(',')).map((p) => p.trim())) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new FilterError(
        `The filter ${JSON.stringify(pair)} is not key=value; keys: ${FILTER_KEYS.join(', ')}.`,
      );
    }
    const key = pair.slice(0, at).trim();
    const values = pair
      .slice(at + 1)
      .split('|')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (values.length === 0) throw new FilterError(`The filter ${key}= has no value.`, undefined);
    switch (key) {
      case 'wiki':
        filter.wiki = [...(filter.wiki ?? []), ...values];
        break;
      case 'namespace':
        filter.namespace = [
          ...(filter.namespace ?? []),
          ...values.map((v) => {
            if (!/^-?\d+$/.test(v)) {
              throw new FilterError(`namespace=${v}: a namespace is a number (0: articles).`);
            }
            return Number(v);
          }),
        ];
        break;
      case 'type':
        filter.type = [...(filter.type ?? []), ...values.map((v) => KIND_ALIASES[v] ?? v)];
        break;
      case 'bot': {
        const value = values[0]!;
        if (values.length > 1 || (value !== 'true' && value !== 'false')) {
          throw new FilterError(`bot=${values.join('|')}: use bot=true or bot=false.`);
        }
        filter.bot = value === 'true';
        break;
      }
      case 'prediction':
        filter.prediction = [...(filter.prediction ?? []), ...values];
        break;
      case 'score': {
        const value = Number(values[0]);
        if (values.length > 1 || !(value >= 0 && value <= 1)) {
          throw new FilterError(`score=${values.join('|')}: a score is a probability from 0 to 1.`);
        }
        filter.score = value;
        break;
      }
      default:
        throw new FilterError(`Unknown filter key ${key}; keys: ${FILTER_KEYS.join(', ')}.`, key);
    }
  }
  return filter;
}

/** True when `event` is what `filter` keeps. */
export function matchesFilter(filter: EventFilter, event: ChangeEvent): boolean {
  if (
    filter.wiki !== undefined &&
    !filter.wiki.some((wiki) => wiki === event.wiki || wiki === event.domain)
  ) {
    return false;
  }
  if (filter.namespace !== undefined && !filter.namespace.includes(event.namespace ?? Number.NaN)) {
    return false;
  }
  if (filter.type !== undefined && !filter.type.includes(event.kind ?? '')) return false;
  if (filter.bot !== undefined && event.bot !== filter.bot) return false;
  if (filter.prediction === undefined && filter.score === undefined) return true;
  const prediction = predictionOf(event.raw);
  if (prediction === undefined) return false;
  const labels = filter.prediction ?? prediction.predictions;
  if (filter.prediction !== undefined && filter.score === undefined) {
    return labels.some((label) => prediction.predictions.includes(label));
  }
  const score = filter.score ?? 0;
  return labels.some((label) => (prediction.probabilities[label] ?? -1) >= score);
}
