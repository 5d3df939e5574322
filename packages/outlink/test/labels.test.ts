import { describe, expect, it } from 'vitest';
import { TOPIC_LABELS } from '../src/index.js';

describe('topic labels', () => {
  it('lists the 64 distinct topics of the taxonomy, grouped under the four top-level topics', () => {
    expect(TOPIC_LABELS).toHaveLength(64);
    expect(new Set(TOPIC_LABELS).size).toBe(64);
    const tops = new Set(TOPIC_LABELS.map((label) => label.split('.')[0]));
    expect([...tops].sort()).toEqual(['Culture', 'Geography', 'History_and_Society', 'STEM']);
  });
});
