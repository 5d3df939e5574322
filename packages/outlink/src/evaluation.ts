/**
 * How outlink-topic-model is evaluated, compared and watched for drift (core's `EvaluationSpec`):
 * a multilabel model over the 64 WikiProject topics. Cheap to import: the definition carries it.
 *
 * @packageDocumentation
 */
import type { MultilabelEvaluation } from '@liftwing/core';
import { responseShapeError } from '@liftwing/core/model-kit';
import { OUTLINK_MODEL_NAME, TOPIC_LABELS } from './labels.js';

/** The QIDs of a `features_str`, as fastText reads it: words between whitespace. */
const qids = (features: string) => features.split(/\s+/).filter((word) => word !== '');

/** Topic scores of an outlink response; a topic it does not list scores 0. */
function topicScores(response: unknown): Record<string, number> {
  const results = (response as { prediction?: { results?: unknown } } | null)?.prediction?.results;
  if (!Array.isArray(results))
    throw responseShapeError(OUTLINK_MODEL_NAME, 'prediction.results', response);
  const scores: Record<string, number> = {};
  for (const result of results as { topic?: unknown; score?: unknown }[]) {
    if (typeof result?.topic !== 'string' || typeof result.score !== 'number') {
      throw responseShapeError(OUTLINK_MODEL_NAME, 'topic and score in each result', response);
    }
    scores[result.topic] = result.score;
  }
  return scores;
}

/** outlink-topic-model's evaluation: topics as labels, every topic's score asked for. */
export const evaluation: MultilabelEvaluation = {
  kind: 'multilabel',
  labels: TOPIC_LABELS,
  labelDescription:
    'the article\'s topics, a list of outlink topic names such as ["STEM.Physics", "Geography.Regions.Europe.Europe*"]',
  // The server lists topics scoring at least 0.5 by default (reference section 3).
  threshold: 0.5,
  // debug lists every topic (threshold 0), so that every label has a score to measure.
  prepare: (request) => ({ ...request, debug: true }),
  scores: topicScores,
  features: {
    names: ['outlink_count', 'distinct_outlink_count'],
    description:
      'from features_str, the Wikidata items of the outlinks (a request by title or page id has ' +
      'its outlinks only on the wiki): how many, and how many distinct',
    compute: async (requests) =>
      requests.map((request) => {
        const features = request.features_str;
        if (typeof features !== 'string') return null;
        const words = qids(features);
        return { outlink_count: words.length, distinct_outlink_count: new Set(words).size };
      }),
  },
};
