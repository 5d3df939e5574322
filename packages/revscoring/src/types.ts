/**
 * The kinds of revscoring model Lift Wing serves, and what each answers. The list is the model
 * server's `RevscoringModelType` (wikimedia/machinelearning-liftwing-inference-services,
 * `revscoring_model/model_servers/model_servers.py`): an inference service named
 * `{wiki}-{type}` runs the model of that type for that wiki.
 *
 * @packageDocumentation
 */

/** The model types, in the server's order. */
export const REVSCORING_MODEL_TYPES = [
  'articlequality',
  'articletopic',
  'draftquality',
  'drafttopic',
  'damaging',
  'goodfaith',
  'reverted',
  'itemquality',
  'itemtopic',
] as const;

/** One of {@link REVSCORING_MODEL_TYPES}. */
export type RevscoringModelType = (typeof REVSCORING_MODEL_TYPES)[number];

/** True for a model type the revscoring server knows. */
export function isRevscoringModelType(value: unknown): value is RevscoringModelType {
  return (REVSCORING_MODEL_TYPES as readonly unknown[]).includes(value);
}

/**
 * What a model of each type answers, for descriptions and help: in the words of the OpenAPI
 * summaries (inference-services `docs/ores/*.yaml`).
 */
export const MODEL_TYPE_SUMMARIES: Readonly<Record<RevscoringModelType, string>> = {
  articlequality: 'the quality class of an article revision (e.g. Stub to FA)',
  articletopic: 'the topics of an article revision (WikiProject topics)',
  draftquality: 'whether a new article draft is OK, spam, vandalism or an attack',
  drafttopic: 'the topics of a new article draft (WikiProject topics)',
  damaging: 'whether an edit is damaging',
  goodfaith: 'whether an edit was made in good faith',
  reverted: 'whether an edit will be reverted',
  itemquality: 'the quality class of a Wikidata item revision (A to E)',
  itemtopic: 'the topics of a Wikidata item revision',
};

/**
 * The name ORES gave a type where it differs: ORES called English Wikipedia's article quality
 * model `wp10` (ores-legacy `app/utils.py`, `manipulate_wp10_call`, maps it to articlequality).
 */
export const ORES_MODEL_ALIASES: Readonly<Record<string, RevscoringModelType>> = {
  wp10: 'articlequality',
};
