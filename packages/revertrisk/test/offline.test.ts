import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildRevertRiskResponse,
  FeatureExtractor,
  OfflineRevertRisk,
  OnnxBundle,
  REVERTRISK_MODEL_NAME,
} from '../src/index.js';
import { REGISTERED, revision } from './revision-data.js';
import { evaluate, readTrees } from './tree-eval.js';

const REGRESSOR = fileURLToPath(new URL('./fixtures/regressor-sigmoid', import.meta.url));

describe('pre-save revision data, end to end', () => {
  it('goes from revision_data to features to the bundle to a Lift Wing response', async () => {
    const bundle = await OnnxBundle.load(REGRESSOR);
    try {
      const model = new OfflineRevertRisk(bundle);
      const anonymous = { revision: revision({ lang: 'de', user: { id: 0 } }) };
      const [registered, anon] = await model.predict([REGISTERED, anonymous]);

      const trees = readTrees(REGRESSOR);
      const extractor = new FeatureExtractor(trees.features.map((f) => f.name));
      const expected = evaluate(trees, extractor.extract(REGISTERED));
      expect(registered).toEqual({
        model_name: 'revertrisk-language-agnostic',
        model_version: 'fixture-regressor-sigmoid',
        wiki_db: 'enwiki',
        revision_id: -1,
        output: {
          prediction: expected > 0.5,
          probabilities: {
            true: expect.closeTo(expected, 5),
            false: expect.closeTo(1 - expected, 5),
          },
        },
      });
      expect(registered!.output.probabilities.true + registered!.output.probabilities.false).toBe(
        1,
      );
      expect(anon!.wiki_db).toBe('dewiki');
      expect(anon!.output.probabilities.true).toBeCloseTo(
        evaluate(trees, extractor.extract(anonymous)),
        5,
      );
      // The anonymous editor reaches other leaves (missing account features, user_is_anonymous).
      expect(anon!.output.probabilities.true).not.toBe(registered!.output.probabilities.true);
    } finally {
      await bundle.close();
    }
  });
});

describe('buildRevertRiskResponse', () => {
  it('builds the Lift Wing response shape', () => {
    expect(
      buildRevertRiskResponse({
        lang: 'en',
        revisionId: 12345,
        probability: 0.25,
        modelVersion: '3',
      }),
    ).toEqual({
      model_name: REVERTRISK_MODEL_NAME,
      model_version: '3',
      wiki_db: 'enwiki',
      revision_id: 12345,
      output: { prediction: false, probabilities: { true: 0.25, false: 0.75 } },
    });
  });

  it('predicts true only strictly above the threshold', () => {
    const at = (probability: number, threshold?: number) =>
      buildRevertRiskResponse({
        lang: 'fr',
        revisionId: 1,
        probability,
        modelVersion: '3',
        threshold,
      }).output.prediction;
    expect(at(0.5)).toBe(false);
    expect(at(0.5000001)).toBe(true);
    expect(at(0.3, 0.2)).toBe(true);
  });

  it('refuses a value that is not a probability', () => {
    expect(() =>
      buildRevertRiskResponse({
        lang: 'en',
        revisionId: 1,
        probability: Number.NaN,
        modelVersion: '3',
      }),
    ).toThrow(/not a probability/);
  });
});
