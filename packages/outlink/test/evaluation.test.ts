import { evaluationOf, ModelFormatError } from '@liftwing/core';
import { describe, expect, it } from 'vitest';
import { definition, TOPIC_LABELS } from '../src/index.js';

const spec = evaluationOf(definition);

describe("outlink's evaluation", () => {
  it('is multilabel over the 64 topics, asking for every topic', () => {
    expect(spec.kind).toBe('multilabel');
    if (spec.kind !== 'multilabel') return;
    expect(spec.labels).toEqual(TOPIC_LABELS);
    expect(spec.prepare?.({ lang: 'en', page_title: 'X' })).toEqual({
      lang: 'en',
      page_title: 'X',
      debug: true,
    });
    const response = {
      prediction: {
        article: 'https://en.wikipedia.org/wiki/X',
        results: [
          { topic: 'STEM.Physics', score: 0.9 },
          { topic: 'History_and_Society.History', score: 0.1 },
        ],
      },
    };
    expect(spec.scores(response)).toEqual({
      'STEM.Physics': 0.9,
      'History_and_Society.History': 0.1,
    });
    expect(() => spec.scores({ error: 'no' })).toThrow(ModelFormatError);
  });

  it('counts the outlinks of features_str, and none of a request by title', async () => {
    expect(
      await spec.features!.compute([{ features_str: ' Q1  Q2 Q1\tQ3 ' }, { page_title: 'X' }]),
    ).toEqual([{ outlink_count: 4, distinct_outlink_count: 3 }, null]);
  });
});
