/**
 * Lift Wing's response from fastText's predictions, and batch scoring of feature strings.
 */
import type { FastTextModel, FastTextPrediction } from '@liftwing/fasttext';

/** One topic of a prediction. */
export interface OutlinkTopic {
  /** The topic, e.g. `STEM.Physics` (fastText's `__label__` prefix removed). */
  topic: string;
  /** fastText's float32 probability, as a double (e.g. `0.9990700483322144`). */
  score: number;
}

/** The response of `outlink-topic-model`, exactly as Lift Wing sends it. */
export interface OutlinkResponse {
  prediction: {
    /** `https://{lang}.wikipedia.org/wiki/{page_title}` or `…/wiki?curid={page_id}`. */
    article: string;
    /** Topics with a score of at least the threshold, highest first. */
    results: OutlinkTopic[];
  };
}

/** The `article` URL of a response: the title as given, else the page id. */
export function articleUrl(lang: string, pageTitle?: string, pageId?: number | string): string {
  return pageTitle === undefined
    ? `https://${lang}.wikipedia.org/wiki?curid=${pageId}`
    : `https://${lang}.wikipedia.org/wiki/${pageTitle}`;
}

/**
 * The topics of all-label fastText predictions (`k = -1`, threshold 0) with a score of at least
 * `threshold`, highest first. The threshold is compared with the float32 score widened to a
 * double, as Lift Wing compares the Python floats; equal scores keep fastText's order, as
 * Python's stable sort keeps them.
 */
export function topicsAbove(
  predictions: readonly FastTextPrediction[],
  threshold: number,
): OutlinkTopic[] {
  // Filtering before the stable sort keeps the same topics in the same order, and builds
  // objects for the topics kept only.
  const topics: OutlinkTopic[] = [];
  for (const [label, score] of predictions) {
    if (score >= threshold) topics.push({ topic: topicOf(label), score });
  }
  return topics.sort((a, b) => b.score - a.score);
}

const TOPICS = new Map<string, string>();

/** A label without fastText's `__label__` prefix, as Lift Wing strips it (every occurrence). */
function topicOf(label: string): string {
  let topic = TOPICS.get(label);
  if (topic === undefined) {
    topic = label.replaceAll('__label__', '');
    // A model has a few hundred labels at most; a bound keeps a hostile one from growing this.
    if (TOPICS.size < 4096) TOPICS.set(label, topic);
  }
  return topic;
}

/** Options of {@link scoreFeatures}. */
export interface ScoreFeaturesOptions {
  /** Only topics with a score of at least this. Default 0.5, Lift Wing's. */
  threshold?: number;
  /** Called every `progressEvery` documents and at the end. */
  onProgress?: (done: number, total: number) => void;
  /** Default 1000. */
  progressEvery?: number;
}

/**
 * Scores many feature strings (space-separated QIDs, as in `features_str`) with a loaded model:
 * the `results` Lift Wing would return for each, in input order. This is the fast path of
 * offline batch scoring: no request objects, no MediaWiki.
 *
 * @example
 * ```ts
 * const fastText = await loadFastText('model.bin');
 * const topics = scoreFeatures(fastText, ['Q42 Q5', 'Q937 Q11455'], { threshold: 0.3 });
 * topics[0]; // [{ topic: 'Culture.Biography.Biography*', score: 0.97... }, ...]
 * ```
 *
 * @throws {InputError} when a string has a newline or a lone surrogate (fastText cannot read it).
 */
export function scoreFeatures(
  model: FastTextModel,
  features: readonly string[],
  options: ScoreFeaturesOptions = {},
): OutlinkTopic[][] {
  const threshold = options.threshold ?? 0.5;
  return model
    .predictBatch(features, {
      k: -1,
      threshold: 0,
      onProgress: options.onProgress,
      progressEvery: options.progressEvery,
    })
    .map((predictions) => topicsAbove(predictions, threshold));
}
