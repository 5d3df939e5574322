import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  envFlag,
  envString,
  resolveOption,
  resolveSettings,
  resolveWorkers,
} from '../src/index.js';

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

describe('worker threads of offline scoring', () => {
  it('are the cores available unless the option or LIFTWING_WORKERS says otherwise', () => {
    expect(resolveWorkers(undefined, {})).toBe(availableParallelism());
    expect(resolveWorkers(undefined, { LIFTWING_WORKERS: '3' })).toBe(3);
    expect(resolveWorkers(0, { LIFTWING_WORKERS: '3' })).toBe(0);
    expect(resolveSettings({}, { LIFTWING_WORKERS: '0' }).workers).toBe(0);
  });

  it('refuses what is not a thread count, naming where it came from', () => {
    for (const value of ['-1', '1.5', 'two', '257']) {
      expect(() => resolveWorkers(undefined, { LIFTWING_WORKERS: value })).toThrow(
        new RegExp(
          `^LIFTWING_WORKERS=${value.replace('.', '\\.')} is not a number of worker threads`,
        ),
      );
    }
    expect(() => resolveWorkers(-2, {})).toThrow(/^workers: -2 is not a number/);
    expect(() => resolveSettings({ workers: 1000 }, {})).toThrow(ConfigError);
  });
});
