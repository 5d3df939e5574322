import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalogue, loadBuiltInCatalogue } from '@liftwing/core';
import { type LoopbackServer, startLoopbackServer } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli.js';
import { fakeIo } from './helpers/fakes.js';

let server: LoopbackServer;
let catalogueUrl: string;
let cacheDir: string;

/** main's catalogue after the sync recorded a newer production revertrisk. */
function published(): Catalogue {
  const catalogue = structuredClone(loadBuiltInCatalogue());
  const revertrisk = catalogue.models.find((m) => m.alias === 'revertrisk')!;
  for (const version of revertrisk.versions) version.status = 'archived';
  revertrisk.versions.unshift({
    ...structuredClone(revertrisk.versions[0]!),
    id: '20990101000000',
    status: 'production',
  });
  return catalogue;
}

beforeAll(async () => {
  const body = published();
  server = await startLoopbackServer(() => ({ body }));
  catalogueUrl = `${server.url}/catalogue.json`;
  cacheDir = await mkdtemp(join(tmpdir(), 'liftwing-cli-check-'));
});
afterAll(async () => {
  await server.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('liftwing models --check', () => {
  const env = () => ({
    LIFTWING_CATALOGUE_URL: catalogueUrl,
    LIFTWING_CACHE_DIR: cacheDir,
    LIFTWING_USER_AGENT: 'liftwing-tests/0 (tests@example.org)',
  });

  it('says which model has a newer production version and how to get it', async () => {
    const { io, stdout } = fakeIo('', env());
    expect(await run(['models', '--check'], io)).toBe(0);
    expect(stdout.text).toMatch(
      /revertrisk-language-agnostic\s+20231117132654\s+-\s+20990101000000\s+newer/,
    );
    expect(stdout.text).toMatch(
      /outlink-topic-model\s+20221111111111\s+-\s+20221111111111\s+current/,
    );
    expect(stdout.text).toContain(
      'revertrisk: Lift Wing runs 20990101000000 in production; update with npm install @liftwing/revertrisk@latest',
    );
  });

  it('prints the report as JSON', async () => {
    const { io, stdout } = fakeIo('', env());
    expect(await run(['models', '--check', '--json'], io)).toBe(0);
    const report = JSON.parse(stdout.text);
    expect(report.updatesAvailable).toBe(true);
    const models = report.models as { alias: string; updateAvailable: boolean }[];
    expect(models.filter((m) => m.updateAvailable).map((m) => m.alias)).toEqual(['revertrisk']);
    expect(models.find((m) => m.alias === 'outlink')?.updateAvailable).toBe(false);
  });

  it('fails offline with a message that says why', async () => {
    const { io, stderr } = fakeIo('', { ...env(), LIFTWING_OFFLINE: '1' });
    expect(await run(['models', '--check'], io)).toBe(1);
    expect(stderr.text).toContain('LIFTWING_OFFLINE is set; unset LIFTWING_OFFLINE to check');
  });
});
