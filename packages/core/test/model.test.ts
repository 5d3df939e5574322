import { describe, expect, it } from 'vitest';
import {
  type BatchProgress,
  ConfigError,
  InputError,
  LiftWingClient,
  MediaWikiClient,
  resolveSettings,
} from '../src/index.js';
import {
  batchResult,
  gatewayClientOf,
  isJsonObject,
  itemError,
  mediawikiClientOf,
  modelRef,
  modeOf,
  ProgressCounter,
} from '../src/model-kit.js';

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

  it('gives the clients it makes the settings resolved once, unless their options name their own', () => {
    const settings = resolveSettings(
      { userAgent: 'Shared/1.0 (shared@example.org)', mwApiUrl: 'https://mw.example.org/{host}' },
      {},
    );
    const options = { settings, userAgent: 'ignored@example.org', env: {} };
    expect(gatewayClientOf(options).userAgent).toMatch(/^Shared\/1\.0 \(shared@example\.org\)/);
    const mediawiki = mediawikiClientOf({ ...options, mediawiki: { maxlag: 3 } });
    expect(mediawiki.userAgent).toBe(gatewayClientOf(options).userAgent);
    expect(mediawiki.apiUrlTemplate).toBe('https://mw.example.org/{host}');
    const own = gatewayClientOf({ ...options, client: { userAgent: 'Own/2.0 (own@example.org)' } });
    expect(own.userAgent).toMatch(/^Own\/2\.0 \(own@example\.org\)/);
    const unshared = mediawikiClientOf({ userAgent: 'Mine/3.0 (me@example.org)', env: {} });
    expect(unshared.userAgent).toMatch(/^Mine\/3\.0/);
    expect(unshared.apiUrlTemplate).toBe('https://{host}/w/api.php');
  });
});

describe('batch helpers shared by the model packages', () => {
  it('keeps a LiftWingError as the item error and rethrows bugs and cancellation', () => {
    const error = new InputError('bad');
    expect(itemError(error)).toBe(error);
    const bug = new TypeError('bug');
    expect(() => itemError(bug)).toThrow(bug);
    const controller = new AbortController();
    controller.abort();
    expect(() => itemError(error, controller.signal)).toThrow(error);
  });

  it('tells a JSON object from null, arrays and scalars', () => {
    expect(isJsonObject({})).toBe(true);
    expect([null, [], 'x', 1, undefined].some(isJsonObject)).toBe(false);
  });

  it('turns an outcome into a batch result', () => {
    const error = new InputError('bad');
    expect(batchResult(error)).toEqual({ ok: false, error });
    expect(batchResult({ score: 1 })).toEqual({ ok: true, value: { score: 1 } });
  });

  it('counts settled items from direct counts and running totals of parts', () => {
    const reports: BatchProgress[] = [];
    const progress = new ProgressCounter(10, (p) => reports.push(p));
    progress.add(2, 2);
    progress.add(0, 0);
    const part = progress.part();
    part({ done: 3, failed: 1 });
    part({ done: 5, failed: 1 });
    progress.add(1);
    expect(reports).toEqual([
      { done: 2, total: 10, failed: 2 },
      { done: 5, total: 10, failed: 3 },
      { done: 7, total: 10, failed: 3 },
      { done: 8, total: 10, failed: 3 },
    ]);
  });
});
