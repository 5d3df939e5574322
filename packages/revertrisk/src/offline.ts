/**
 * The offline pipeline in one call: pre-save revision data → features → bundle → Lift Wing
 * response. Fetching revisions from MediaWiki is not done here; the caller supplies
 * {@link FeatureInput}s.
 *
 * @packageDocumentation
 */
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
    const { manifest } = this.bundle;
    return inputs.map((input, i) =>
      buildRevertRiskResponse({
        lang: input.revision.lang,
        revisionId: input.revision.id,
        probability: probabilities[i]!,
        modelVersion: manifest.model.version,
        threshold: manifest.threshold,
      }),
    );
  }
}
