import { evaluationOf, ModelFormatError } from '@liftwing/core';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../src/evaluation.js';
import { requestFeatures } from '../src/features.js';
import { definition, definitions, FEATURES } from '../src/index.js';
import { REGISTERED, revision } from './revision-data.js';

const spec = evaluationOf(definition);

describe('the evaluation of the revert risk models', () => {
  it('names every feature the package computes, in its order', () => {
    expect(FEATURE_NAMES).toEqual([...FEATURES.keys()]);
    expect(spec.features?.names).toEqual(FEATURE_NAMES);
  });

  it('scores a response by its probability of true, for every model of the family', () => {
    for (const model of definitions) {
      const family = evaluationOf(model);
      expect(family.kind).toBe('binary');
      if (family.kind !== 'binary') continue;
      expect(
        family.score({ output: { prediction: true, probabilities: { true: 0.75, false: 0.25 } } }),
      ).toBe(0.75);
      expect(() => family.score({ error: 'x' })).toThrow(ModelFormatError);
      expect(() => family.score({ error: 'x' })).toThrow(/output\.probabilities\.true/);
    }
    expect(definitions[1].evaluation?.features).toBeUndefined();
  });

  it('computes the features of a pre-save request, and none of a request by revision id', async () => {
    const anonymous = { revision_data: revision({ user: { id: 0 } }) };
    const registered = { revision_data: REGISTERED.revision };
    const [a, r, byId, broken] = await spec.features!.compute([
      anonymous,
      registered,
      { lang: 'en', rev_id: 1 },
      { revision_data: { id: 'x' } },
    ]);
    expect(Object.keys(a!)).toEqual(FEATURE_NAMES);
    expect(a!.user_is_anonymous).toBe(1);
    expect(a!.user_edit_count).toBeNaN();
    expect(a!.comment_length).toBe([...'Added culture 😀'].length);
    // The groups of a registered editor are on the wiki, not in the request.
    expect(r!.user_is_anonymous).toBe(0);
    expect(r!.user_is_sysop).toBeNaN();
    expect(r!.tag_count).toBe(2);
    expect(byId).toBeNull();
    expect(broken).toBeNull();
    expect(requestFeatures('not an object')).toBeNull();
  });
});
