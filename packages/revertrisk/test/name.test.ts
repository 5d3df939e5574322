import { describe, expect, it } from 'vitest';
import { REVERTRISK_MODEL_NAME } from '../src/index.js';

describe('revertrisk', () => {
  it('names the Lift Wing model it implements', () => {
    expect(REVERTRISK_MODEL_NAME).toBe('revertrisk-language-agnostic');
  });
});
