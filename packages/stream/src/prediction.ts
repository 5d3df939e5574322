/**
 * Lift Wing's own prediction streams: Wikimedia publishes what some of its models predict for
 * every edit, as page-change events with a `predicted_classification` (schema
 * `mediawiki/page/prediction_classification_change`).
 *
 * @packageDocumentation
 */

/** What the model predicted for the page change, as the event carries it. */
export interface PredictedClassification {
  /** The Lift Wing model, e.g. `revertrisk-language-agnostic`. */
  model_name: string;
  model_version: string;
  /** The labels predicted (above the model's threshold). */
  predictions: string[];
  /** Every label's probability. */
  probabilities: Record<string, number>;
}

/**
 * Prediction streams Wikimedia publishes, for `liftwing watch`'s help and its "did you mean":
 * the two this package was written against. Their multilingual and Wikidata siblings exist under
 * names not checked here; any stream of the same schema is read the same way, listed or not.
 */
export const PREDICTION_STREAMS: readonly string[] = [
  'mediawiki.page_revert_risk_prediction_change.v1',
  'mediawiki.page_outlink_topic_prediction_change.v1',
];

/** The `predicted_classification` of a prediction stream's event; undefined for any other event. */
export function predictionOf(
  raw: Readonly<Record<string, unknown>>,
): PredictedClassification | undefined {
  const value = raw.predicted_classification as Partial<PredictedClassification> | undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray(value.predictions) ||
    typeof value.probabilities !== 'object' ||
    value.probabilities === null
  ) {
    return undefined;
  }
  return value as PredictedClassification;
}
