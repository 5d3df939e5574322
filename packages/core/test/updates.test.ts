import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactServer, startArtifactServer } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArtifactCache,
  type Catalogue,
  checkForUpdates,
  isLiftWingError,
  loadBuiltInCatalogue,
} from '../src/index.js';

let server: ArtifactServer;
let dir: string;
const userAgent = 'liftwing-tests/0 (tests@example.org)';

/** The installed catalogue with a newer production version of outlink, as the sync writes it. */
function published(newOutlink: string): Catalogue {
  const catalogue = structuredClone(loadBuiltInCatalogue());
  const outlink = catalogue.models.find((m) => m.alias === 'outlink')!;
  for (const version of outlink.versions) version.status = 'archived';
  outlink.versions.unshift({
    id: newOutlink,
    modelVersion: null,
    status: 'production',
    pin: null,
    artifacts: [
      {
        name: 'model.bin',
        path: `articletopic/outlink/${newOutlink}/model.bin`,
        format: 'fasttext-bin',
        size: 3,
        sha256: 'a'.repeat(64),
      },
    ],
  });
  return catalogue;
}

function serve(catalogue: unknown): string {
  server.files.set('/main/catalogue.json', { body: Buffer.from(JSON.stringify(catalogue)) });
  return new URL('/main/catalogue.json', server.url).href;
}

beforeAll(async () => {
  server = await startArtifactServer();
  dir = await mkdtemp(join(tmpdir(), 'liftwing-updates-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('checkForUpdates', () => {
  it('reports a newer production version than the installed catalogue, and only that model', async () => {
    const env = { LIFTWING_CATALOGUE_URL: serve(published('20250101000000')) };
    const report = await checkForUpdates({ env, cacheDir: join(dir, 'empty'), userAgent });
    expect(report.catalogueUrl).toBe(env.LIFTWING_CATALOGUE_URL);
    expect(report.updatesAvailable).toBe(true);
    expect(report.models.filter((m) => m.updateAvailable).map((m) => m.alias)).toEqual(['outlink']);
    expect(report.models).toEqual([
      {
        model: 'outlink-topic-model',
        alias: 'outlink',
        package: '@liftwing/outlink',
        latest: '20250101000000',
        installed: '20221111111111',
        cached: [],
        updateAvailable: true,
      },
      expect.objectContaining({
        alias: 'revertrisk',
        latest: '20231117132654',
        installed: '20231117132654',
        updateAvailable: false,
      }),
      ...report.models.slice(2).map(() => expect.objectContaining({ updateAvailable: false })),
    ]);
  });

  it('counts a cached copy of the new version as having it', async () => {
    const cacheDir = join(dir, 'cache');
    const file = join(dir, 'model.bin');
    await writeFile(file, 'abc');
    await new ArtifactCache({ cacheDir }).add({
      model: 'outlink-topic-model',
      version: '20250101000000',
      from: file,
    });
    const report = await checkForUpdates({
      catalogueUrl: serve(published('20250101000000')),
      cacheDir,
      env: {},
      userAgent,
    });
    expect(report.models[0]).toMatchObject({ cached: ['20250101000000'], updateAvailable: false });
    expect(report.updatesAvailable).toBe(false);
  });

  it('says nothing is newer when the published catalogue is the installed one', async () => {
    const report = await checkForUpdates({
      catalogueUrl: serve(loadBuiltInCatalogue()),
      cacheDir: join(dir, 'empty'),
      env: {},
      userAgent,
    });
    expect(report.updatesAvailable).toBe(false);
  });

  it('fails offline, saying the check needs the network', async () => {
    const error = await checkForUpdates({ env: { LIFTWING_OFFLINE: '1' } }).catch((e) => e);
    expect(isLiftWingError(error, 'offline_miss')).toBe(true);
    expect(error.message).toMatch(/LIFTWING_OFFLINE is set; unset LIFTWING_OFFLINE to check\./);
    expect(error.message).toContain('raw.githubusercontent.com/liftwing/liftwing/main/');
    // Offline given as an option is named as such, not as a variable the user never set.
    const option = await checkForUpdates({ offline: true, env: {} }).catch((e) => e);
    expect(option.message).toMatch(/`offline: true` is given; drop `offline: true` to check\./);
    expect(option.message).not.toContain('LIFTWING_OFFLINE');
  });

  it('rejects a published catalogue that is not valid', async () => {
    const error = await checkForUpdates({
      catalogueUrl: serve({ schemaVersion: 1, models: [{ name: 'x' }] }),
      env: {},
      userAgent,
    }).catch((e) => e);
    expect(isLiftWingError(error, 'invalid_registry')).toBe(true);
    expect(error.message).toContain('/main/catalogue.json');
  });
});
