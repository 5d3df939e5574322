import { describe, expect, it } from 'vitest';
import { ConfigError, envFlag, envString, resolveOption } from '../src/index.js';

describe('environment options', () => {
  it('reads flags in the usual spellings and rejects anything else', () => {
    expect(envFlag('X', { X: '1' })).toBe(true);
    expect(envFlag('X', { X: 'Off' })).toBe(false);
    expect(envFlag('X', {})).toBeUndefined();
    expect(() => envFlag('X', { X: 'maybe' })).toThrow(ConfigError);
  });

  it('treats blank variables as unset and prefers explicit options', () => {
    expect(envString('X', { X: '  ' })).toBeUndefined();
    expect(resolveOption(undefined, envString('X', { X: 'env' }), 'default')).toBe('env');
    expect(resolveOption('explicit', 'env', 'default')).toBe('explicit');
    expect(resolveOption<string | undefined>(undefined, undefined, 'default')).toBe('default');
  });
});
