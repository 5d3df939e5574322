/**
 * How revertrisk-language-agnostic is evaluated, compared and watched for drift (core's
 * `EvaluationSpec`): a binary model whose score is the probability that the edit is reverted.
 * Cheap to import: the feature code loads only when drift asks for features.
 *
 * @packageDocumentation
 */
import type { BinaryEvaluation } from '@liftwing/core';
import { responseShapeError } from '@liftwing/core/model-kit';
import { REVERTRISK_MODEL_NAME } from './response.js';

/**
 * The names of `FEATURES` (features.ts), in its order; kept here so that reading the definition
 * does not load the feature code. A test checks that the two lists agree.
 */
const STAT_SUFFIXES = [
  'text_length',
  'ref_count',
  'wikilink_count',
  'category_count',
  'media_count',
  'template_count',
  'heading_count',
  'external_link_count',
];
export const FEATURE_NAMES: readonly string[] = [
  ...STAT_SUFFIXES.flatMap((suffix) => [
    `parent_${suffix}`,
    `revision_${suffix}`,
    `delta_${suffix}`,
  ]),
  'parent_bytes',
  'revision_bytes',
  'delta_bytes',
  'user_is_anonymous',
  'user_is_bot',
  'user_is_sysop',
  'user_is_autoconfirmed',
  'user_group_count',
  'user_edit_count',
  'user_account_age_days',
  'page_age_days',
  'seconds_since_parent',
  'revision_hour_of_day',
  'revision_day_of_week',
  'comment_length',
  'tag_count',
];

/** The probability that the edit is reverted: `output.probabilities.true`. */
function revertProbability(response: unknown): number {
  const probability = (response as { output?: { probabilities?: { true?: unknown } } } | null)
    ?.output?.probabilities?.true;
  if (typeof probability !== 'number') {
    throw responseShapeError(REVERTRISK_MODEL_NAME, 'output.probabilities.true', response);
  }
  return probability;
}

/**
 * The evaluation of every revert risk model (their answers share `output`): reverted or not, by
 * the probability of `true`. revertrisk-multilingual and revertrisk-wikidata use it as it is.
 */
export const revertEvaluation: BinaryEvaluation = {
  kind: 'binary',
  labelDescription: 'true when the edit was reverted, false when it was not',
  // The servers' prediction is probability > 0.5 (response.ts); at exactly 0.5 the two differ,
  // which no float score of a tree ensemble or language model is in practice.
  threshold: 0.5,
  score: revertProbability,
};

/** revertrisk-language-agnostic's: {@link revertEvaluation} and the features it computes offline. */
export const evaluation: BinaryEvaluation = {
  ...revertEvaluation,
  features: {
    names: FEATURE_NAMES,
    description:
      'from the pre-save form {"revision_data": {...}} (a request by rev_id has its revision ' +
      "only on the wiki); a registered editor's user_* features need the wiki too and are " +
      'missing (NaN) here',
    compute: async (requests) => {
      const { requestFeatures } = await import('./features.js');
      return requests.map((request) => requestFeatures(request));
    },
  },
};
