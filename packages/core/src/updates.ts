/**
 * Whether Lift Wing runs a newer production model than the one installed: the catalogue published
 * on the main branch (kept current by the registry sync) against the catalogue of the installed
 * `@liftwing/core` and the versions in the artifact cache.
 *
 * @packageDocumentation
 */
import { ArtifactCache } from './cache.js';
import { type Catalogue, loadBuiltInCatalogue, parseRegistryFile } from './catalogue.js';
import type { Env } from './config.js';
import { fetchText, type HttpOptions } from './download.js';
import { ArtifactError } from './errors.js';
import { displayUrl } from './redact.js';
import { offlineCause, settingsOf } from './settings.js';
import { checkRemoteUrl } from './urls.js';

/** Options of {@link checkForUpdates}. */
export interface UpdateCheckOptions extends HttpOptions {
  /** The latest published catalogue. Default: `LIFTWING_CATALOGUE_URL`, else main's `catalogue.json`. */
  catalogueUrl?: string;
  /** The catalogue to compare with. Default: the one built into this `@liftwing/core`. */
  installed?: Catalogue;
  /** The artifact cache whose versions count as "had". Default: `LIFTWING_CACHE_DIR`, etc. */
  cacheDir?: string;
  /** No network: the check fails, saying so. Default: `LIFTWING_OFFLINE`. */
  offline?: boolean;
  env?: Env;
}

/** What {@link checkForUpdates} found for one model. */
export interface ModelUpdate {
  /** The Lift Wing model name. */
  model: string;
  alias: string;
  /** The npm package whose new release brings the new version. */
  package: string;
  /** Production version in the published catalogue, or null if it has none. */
  latest: string | null;
  /** Production version in the installed catalogue, or null if the model is new to it. */
  installed: string | null;
  /** Versions of this model in the cache, newest first. */
  cached: string[];
  /**
   * True when `latest` is newer than both the installed production version and every cached
   * version: there is a model you do not have.
   */
  updateAvailable: boolean;
}

/** The result of {@link checkForUpdates}. */
export interface UpdateReport {
  /** Where the published catalogue was read, without credentials (see `displayUrl`). */
  catalogueUrl: string;
  /** One entry per model of the published catalogue, in its order. */
  models: ModelUpdate[];
  /** True when any model has `updateAvailable`. */
  updatesAvailable: boolean;
}

/** Version ids are timestamps: compared numerically where they are numbers, as the registry does. */
function isNewer(candidate: string, than: string): boolean {
  return candidate.localeCompare(than, 'en', { numeric: true }) > 0;
}

function productionOf(catalogue: Catalogue, name: string): string | null {
  const model = catalogue.models.find((m) => m.name === name);
  return model?.versions.find((v) => v.status === 'production')?.id ?? null;
}

/**
 * Fetches the latest published catalogue and compares each model's production version with the
 * installed catalogue's and with the cached versions. Offline (`offline` or `LIFTWING_OFFLINE`),
 * it throws an {@link ArtifactError} `offline_miss`: the answer needs the network.
 *
 * @example
 * ```ts
 * const report = await checkForUpdates();
 * for (const m of report.models.filter((m) => m.updateAvailable)) {
 *   console.log(`${m.alias}: ${m.installed} -> ${m.latest}; npm install ${m.package}@latest`);
 * }
 * ```
 */
export async function checkForUpdates(options: UpdateCheckOptions = {}): Promise<UpdateReport> {
  const settings = settingsOf(options);
  const catalogueUrl = checkRemoteUrl(
    settings.catalogueUrl,
    `The published catalogue (${settings.catalogueUrlFrom})`,
  ).href;
  const shown = displayUrl(catalogueUrl);
  if (settings.offline) {
    const { cause, lift } = offlineCause(settings);
    throw new ArtifactError(
      'offline_miss',
      `Checking for newer model versions reads ${shown}, but ${cause}; ${lift} to check.`,
    );
  }
  const text = await fetchText(catalogueUrl, 'The published catalogue', {
    settings,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  });
  const latest = parseRegistryFile(text, shown, { complete: true }) as Catalogue;
  const installed = options.installed ?? loadBuiltInCatalogue();
  // Only listed, never fetched from: the cache needs no network here.
  const cache = new ArtifactCache({ settings });
  const cachedVersions = await cache.list();

  const models = latest.models.map((model): ModelUpdate => {
    const latestId = productionOf(latest, model.name);
    const installedId = productionOf(installed, model.name);
    const cached = cachedVersions.filter((c) => c.model === model.name).map((c) => c.version);
    const had = [installedId, ...cached].filter((id): id is string => id !== null);
    return {
      model: model.name,
      alias: model.alias,
      package: model.package,
      latest: latestId,
      installed: installedId,
      cached,
      updateAvailable: latestId !== null && had.every((id) => isNewer(latestId, id)),
    };
  });
  return { catalogueUrl: shown, models, updatesAvailable: models.some((m) => m.updateAvailable) };
}
