/**
 * The offline pipeline in one call: pre-save revision data → features → bundle → Lift Wing
 * response. Fetching revisions from MediaWiki is not done here; the caller supplies
 * {@link FeatureInput}s.
 *
 * @packageDocumentation
 */
import { LiftWingError } from '@liftwing/core';
import { itemError } from '@liftwing/core/model-kit';
import type { OnnxBundle } from './bundle.js';
import { FeatureExtractor, type FeatureExtractorOptions, type FeatureInput } from './features.js';
import { buildRevertRiskResponse, type RevertRiskResponse } from './response.js';

/** A bundle with the feature extractor its manifest asks for. */
export class OfflineRevertRisk {
  /** Computes the bundle's features, in its order. */
  readonly extractor: FeatureExtractor;

  /**
   * @throws ModelFormatError listing every manifest feature name this package cannot compute.
   */
  constructor(
    readonly bundle: OnnxBundle,
    options: FeatureExtractorOptions = {},
  ) {
    this.extractor = new FeatureExtractor(bundle.featureNames, options);
  }

  /**
   * Scores edits in one batch and answers each as Lift Wing does. `revision_id` echoes
   * `revision.id` (-1 for an unsaved edit).
   */
  async predict(inputs: readonly FeatureInput[]): Promise<RevertRiskResponse[]> {
    const rows = inputs.map((input) => this.extractor.extract(input));
    const probabilities = await this.bundle.score(rows);
    return inputs.map((input, i) => this.response(input, probabilities[i]!));
  }

  /**
   * Like {@link predict}, but an edit whose features cannot be computed gets its error in its
   * place instead of failing the others; the rest are still scored in one batch.
   */
  async predictSettled(
    inputs: readonly FeatureInput[],
  ): Promise<Array<RevertRiskResponse | LiftWingError>> {
    const outcomes: Array<Float64Array | LiftWingError> = inputs.map((input) => {
      try {
        return this.extractor.extract(input);
      } catch (error) {
        return itemError(error);
      }
    });
    const rows = outcomes.filter(
      (outcome): outcome is Float64Array => !(outcome instanceof LiftWingError),
    );
    const probabilities = await this.bundle.score(rows);
    let next = 0;
    return outcomes.map((outcome, i) =>
      outcome instanceof LiftWingError
        ? outcome
        : this.response(inputs[i]!, probabilities[next++]!),
    );
  }

  private response(input: FeatureInput, probability: number): RevertRiskResponse {
    const { manifest } = this.bundle;
    return buildRevertRiskResponse({
      lang: input.revision.lang,
      revisionId: input.revision.id,
      probability,
      modelVersion: manifest.model.version,
      threshold: manifest.threshold,
    });
  }
}
