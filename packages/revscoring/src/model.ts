/**
 * The online model of one Lift Wing revscoring service (`{wiki}-{type}`), on core's
 * `createOnlineModel`: the server's request checks, no batch form, the internal host.
 *
 * @packageDocumentation
 */
import { ConfigError, type LiftWingModel, type ModelOptions } from '@liftwing/core';
import { createOnlineModel, modeOf } from '@liftwing/core/model-kit';
import { type RevscoringRequest, validateRevscoringRequest } from './request.js';
import { internalHostOf, MODELS, namespaceOf } from './table.js';
import {
  isRevscoringModelType,
  REVSCORING_MODEL_TYPES,
  type RevscoringModelType,
} from './types.js';

/** The prediction of each type: a class (boolean or label) or, for topic models, the labels. */
export interface PredictionOfType {
  damaging: boolean;
  goodfaith: boolean;
  reverted: boolean;
  articlequality: string;
  draftquality: string;
  itemquality: string;
  articletopic: string[];
  drafttopic: string[];
  itemtopic: string[];
}

/** A model's score: its prediction and the probability of each class (`"true"`, `"Stub"`, ...). */
export interface RevscoringScore<T extends RevscoringModelType = RevscoringModelType> {
  prediction: PredictionOfType[T];
  probability: Record<string, number>;
}

/** One revision's entry for one model. */
export interface RevscoringScoreEntry<T extends RevscoringModelType = RevscoringModelType> {
  score: RevscoringScore<T>;
  /** With `extended_output`: the feature values the model used, by feature name. */
  features?: Record<string, unknown>;
}

/** The context (one wiki) of the ORES envelope. */
export interface RevscoringContext<T extends RevscoringModelType = RevscoringModelType> {
  /** The model's own version, e.g. `{"damaging": {"version": "0.5.1"}}`. */
  models: Record<string, { version: string }>;
  /** By revision id (a string key), then model type. */
  scores: Record<string, Record<string, RevscoringScoreEntry<T>>>;
}

/**
 * What Lift Wing answers: the ORES envelope, keyed by the wiki's database name
 * (`get_output` in inference-services `revscoring_model/model_servers/model_servers.py`):
 * `{"enwiki": {"models": {"damaging": {"version"}}, "scores": {"12345": {"damaging": {"score"}}}}}`.
 */
export type RevscoringResponse<T extends RevscoringModelType = RevscoringModelType> = Record<
  string,
  RevscoringContext<T>
>;

/** A revscoring model. */
export type RevscoringModel<T extends RevscoringModelType = RevscoringModelType> = LiftWingModel<
  RevscoringRequest,
  RevscoringResponse<T>
> & {
  /** The wiki's database name, e.g. `enwiki`. */
  readonly wiki: string;
  readonly type: T;
};

/** Options of {@link createModel}. */
export interface RevscoringOptions extends ModelOptions {
  /**
   * The Lift Wing model name, `{wiki}-{type}` (`enwiki-damaging`). A name the package's table
   * does not list (a wiki deployed after this release) is sent as it is; Lift Wing answers 404
   * for a model it does not serve.
   */
  model: string;
}

/** The wiki and type of a model name, as the server splits it (`self.name.split("-")`). */
export function parseModelName(name: string): { wiki: string; type: RevscoringModelType } {
  const parts = name.split('-');
  const [wiki, type] = parts;
  if (parts.length !== 2 || !wiki || !isRevscoringModelType(type)) {
    throw new ConfigError(
      `${JSON.stringify(name)} is not a revscoring model name: use {wiki}-{type}, such as ` +
        `enwiki-damaging, with a type among ${REVSCORING_MODEL_TYPES.join(', ')}.`,
    );
  }
  return { wiki, type };
}

/**
 * The revision's score in a response, or undefined when the response has none for it.
 *
 * @example
 * ```ts
 * const response = await model.predict({ rev_id: 12345 });
 * scoreOf(response, 'enwiki', 'damaging', 12345)?.prediction; // false
 * ```
 */
export function scoreOf<T extends RevscoringModelType>(
  response: RevscoringResponse<T>,
  wiki: string,
  type: T,
  revId: number,
): RevscoringScore<T> | undefined {
  return response[wiki]?.scores[String(revId)]?.[type]?.score;
}

/**
 * Creates the online model `options.model` of Lift Wing. Requests are checked as the server
 * checks them (see `request.ts`); each is sent alone, the server having no batch form, and
 * `predictMany` sends them as fast as the gateway client's limits allow.
 *
 * No per-model timeout: inference-services' load test of the revscoring services
 * (`test/locust/results/revscoring_stats.csv`) saw at most 8 s, within the client's default.
 *
 * @throws {ConfigError} for offline mode (these models run only on Lift Wing) or a name that is
 *   not `{wiki}-{type}`.
 */
export async function createModel<T extends RevscoringModelType = RevscoringModelType>(
  options: RevscoringOptions,
): Promise<RevscoringModel<T>> {
  const { model: name } = options;
  if (modeOf(options) === 'offline') {
    throw new ConfigError(
      `${name} runs only on Lift Wing: the revscoring models have no offline mode here. Use mode "online".`,
    );
  }
  const { wiki, type } = parseModelName(name);
  const entry = MODELS.get(name) ?? { name, namespace: namespaceOf(type) };
  const model = createOnlineModel<RevscoringRequest, RevscoringResponse<T>>(
    { name, validate: validateRevscoringRequest, internalHost: internalHostOf(entry) },
    options,
  );
  return Object.assign(model, { wiki, type: type as T });
}
