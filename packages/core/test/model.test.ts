import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  gatewayClientOf,
  LiftWingClient,
  MediaWikiClient,
  mediawikiClientOf,
  modelRef,
  modeOf,
} from '../src/index.js';

describe('model options shared by the model packages', () => {
  it('defaults to online and rejects an unknown mode', () => {
    expect(modeOf({})).toBe('online');
    expect(modeOf({ mode: 'offline' })).toBe('offline');
    expect(() => modeOf({ mode: 'local' as never })).toThrow(ConfigError);
  });

  it('turns a version option into a registry reference', () => {
    expect(modelRef('outlink', undefined)).toBe('outlink');
    expect(modelRef('outlink', '20221111111111')).toBe('outlink@20221111111111');
    expect(modelRef('outlink', 'outlink@production')).toBe('outlink@production');
  });

  it('uses a given client as it is, or makes one from options', () => {
    const client = new LiftWingClient({ userAgent: 'me@example.org' });
    expect(gatewayClientOf({ client })).toBe(client);
    expect(gatewayClientOf({ userAgent: 'me@example.org' })).toBeInstanceOf(LiftWingClient);
    const mediawiki = new MediaWikiClient({ userAgent: 'me@example.org' });
    expect(mediawikiClientOf({ mediawiki })).toBe(mediawiki);
    expect(mediawikiClientOf({ mediawiki: { maxlag: 3 }, userAgent: 'x@y' })).not.toBe(mediawiki);
  });
});
