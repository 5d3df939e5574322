/**
 * The registry sync: makes the built-in catalogue follow what Wikimedia deploys. For each
 * catalogue model with a recorded pin ({@link modelSources}) it reads the production and staging
 * pins from the deployment charts, lists and downloads the artifacts of versions the catalogue lacks (to record their size and SHA-256),
 * moves statuses, and writes changesets, the model package's pin and a change record.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  type ArtifactEntry,
  type Catalogue,
  checkRemoteUrl,
  DEFAULTS,
  displayUrl,
  downloadToFile,
  ENV,
  type Env,
  envString,
  fetchText,
  formatForFile,
  type HttpOptions,
  type ModelEntry,
  parseDirectoryListing,
  parseRegistryFile,
  RegistryError,
  resolveOption,
  type VersionEntry,
  type VersionPin,
} from '@liftwing/core';
import {
  type ChartsSource,
  type DeploymentPin,
  type ModelSource,
  modelSources,
  readPins,
  type Stage,
} from './deployment-charts.js';
import { formatJson, formatPin } from './json-format.js';

/** Options of {@link syncRegistry}. */
export interface SyncOptions extends HttpOptions {
  /** Where the deployment charts are read. */
  charts: ChartsSource;
  /** The repository root to update: its catalogue, model packages and `.changeset/`. */
  target: string;
  /** Base URL of the published model tree. Default: `LIFTWING_MODELS_URL`, else Wikimedia's. */
  modelsUrl?: string;
  /** The models to follow. Default: every catalogue model with a recorded pin ({@link modelSources}). */
  sources?: readonly ModelSource[];
  /** The clock, for the change record. */
  now?: () => Date;
  env?: Env;
}

/** One deployment change, as the change record and the changesets describe it. */
export interface ModelChange {
  model: string;
  alias: string;
  package: string;
  stage: Stage;
  /** The version the stage ran before, or null. */
  oldVersion: string | null;
  /** The version the stage runs now, or null when it no longer deploys the model. */
  newVersion: string | null;
  /** When the deployment charts pinned it (the commit time), else when the sync saw it. */
  time: string;
  /** The values file and commit of the pin. */
  file: string | null;
  commit: string | null;
  artifacts: Array<Pick<ArtifactEntry, 'name' | 'size' | 'sha256'>>;
}

/** What a sync did. */
export interface SyncResult {
  changes: ModelChange[];
  /** Files written, relative to the target; empty when the catalogue was already current. */
  written: string[];
  /** Artifacts downloaded to record their size and digest; URLs as `displayUrl` shows them. */
  downloaded: Array<{ url: string; size: number; sha256: string }>;
}

const CATALOGUE = 'packages/core/src/catalogue.json';
const CORE_PACKAGE = '@liftwing/core';

/** Every file below a published version directory, by listing it (and its sub-directories). */
async function listFiles(url: string, what: string, http: HttpOptions): Promise<string[]> {
  const { dirs, files } = parseDirectoryListing(await fetchText(url, what, http));
  const nested = await Promise.all(
    dirs.map(async (dir) =>
      (await listFiles(`${url}${encodeURIComponent(dir)}/`, what, http)).map((f) => `${dir}/${f}`),
    ),
  );
  return [...files, ...nested.flat()];
}

function newestFirst(a: VersionEntry, b: VersionEntry): number {
  return b.id.localeCompare(a.id, 'en', { numeric: true });
}

function needsDigest(artifact: ArtifactEntry): boolean {
  return artifact.source !== 'local' && (artifact.size === null || artifact.sha256 === null);
}

class Syncer {
  readonly downloaded: SyncResult['downloaded'] = [];
  readonly #modelsUrl: string;
  readonly #http: HttpOptions;
  #scratch: string | undefined;
  #parts = 0;

  constructor(modelsUrl: string, http: HttpOptions) {
    this.#modelsUrl = modelsUrl;
    this.#http = http;
  }

  /** Streams the artifact to a scratch file through core's hashing downloader. */
  async digest(path: string): Promise<{ size: number; sha256: string }> {
    this.#scratch ??= await mkdtemp(join(tmpdir(), 'liftwing-registry-sync-'));
    const url = new URL(path, this.#modelsUrl);
    const partPath = join(this.#scratch, `${this.#parts++}.part`);
    const result = await downloadToFile(
      { url, partPath, artifact: path, expectedSize: null },
      this.#http,
    );
    // Only the digest is kept: a model can be gigabytes.
    await rm(partPath, { force: true });
    this.downloaded.push({ url: displayUrl(url), ...result });
    return result;
  }

  async close(): Promise<void> {
    if (this.#scratch !== undefined) await rm(this.#scratch, { recursive: true, force: true });
  }

  /** A version the catalogue lacks: its files from the published listing, each downloaded. */
  async newVersion(model: ModelEntry, pin: DeploymentPin): Promise<VersionEntry> {
    const url = checkRemoteUrl(new URL(pin.path, this.#modelsUrl), ENV.modelsUrl).href;
    const files = await listFiles(
      url,
      `The published files of ${model.alias}@${pin.versionId}`,
      this.#http,
    );
    if (files.length === 0) {
      throw new RegistryError(
        'invalid_registry',
        `${pin.file}: ${pin.key} pins ${pin.storageUri}, but ${url} lists no files; the version is not published (yet).`,
      );
    }
    const formats = new Map(
      model.versions.flatMap((v) => v.artifacts.map((a) => [a.name, a.format])),
    );
    const artifacts: ArtifactEntry[] = [];
    for (const name of files.sort()) {
      const path = `${pin.path}${name}`;
      const { size, sha256 } = await this.digest(path);
      artifacts.push({
        name,
        path,
        format: formats.get(name) ?? formatForFile(name),
        size,
        sha256,
      });
    }
    return {
      id: pin.versionId,
      modelVersion: pin.modelVersion,
      status: pin.stage,
      artifacts,
      pin: null,
    };
  }
}

/** The pin provenance of a version: kept when it is the same place and commit is unknown now. */
function provenance(
  existing: VersionPin | null,
  pin: DeploymentPin,
  found: { commit: string } | undefined,
): VersionPin {
  const samePlace = existing !== null && existing.file === pin.file && existing.key === pin.key;
  return {
    file: pin.file,
    key: pin.key,
    commit: (samePlace ? existing.commit : null) ?? found?.commit ?? null,
  };
}

async function findPackageDir(target: string, name: string): Promise<string> {
  for (const entry of await readdir(join(target, 'packages'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifest = join(target, 'packages', entry.name, 'package.json');
    const text = await readFile(manifest, 'utf8').catch(() => undefined);
    if (text !== undefined && (JSON.parse(text) as { name?: string }).name === name) {
      return join(target, 'packages', entry.name);
    }
  }
  throw new RegistryError(
    'invalid_registry',
    `No package named ${name} under ${join(target, 'packages')}; the catalogue names it.`,
  );
}

function describeArtifacts(change: ModelChange): string {
  return change.artifacts
    .map((a) =>
      a.size === null ? a.name : `${a.name} (${a.size} bytes, SHA-256 ${a.sha256 ?? 'unknown'})`,
    )
    .join(', ');
}

function describeChange(change: ModelChange): string {
  const where =
    change.file === null
      ? ''
      : ` (pinned in operations-deployment-charts ${change.file}${change.commit === null ? '' : ` at ${change.commit.slice(0, 12)}`})`;
  if (change.newVersion === null) {
    return `${change.model}: ${change.stage} no longer deploys ${change.oldVersion}; it is archived.`;
  }
  const was = change.oldVersion === null ? '' : `, replacing ${change.oldVersion}`;
  return `${change.model}: ${change.stage} now runs ${change.newVersion}${was}${where}. Artifacts: ${describeArtifacts(change)}.`;
}

/**
 * A changeset whose text is the change and, for consumers who read release notes rather than
 * npm, the machine-readable change record in a `json liftwing-model-change` block.
 */
function changeset(
  bumps: Record<string, 'minor' | 'patch'>,
  changes: ModelChange[],
  extra: string[],
) {
  const header = Object.entries(bumps)
    .map(([name, bump]) => `${JSON.stringify(name)}: ${bump}`)
    .join('\n');
  const lines = [...changes.map(describeChange), ...extra];
  const record =
    changes.length === 0
      ? ''
      : `\n\n\`\`\`json liftwing-model-change\n${JSON.stringify(changes, null, 2)}\n\`\`\``;
  return `---\n${header}\n---\n\n${lines.join('\n\n')}${record}\n`;
}

function shortDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * Brings the catalogue under `options.target` up to the deployment charts. Writes nothing when it
 * is current, so running it twice changes nothing the second time.
 */
export async function syncRegistry(options: SyncOptions): Promise<SyncResult> {
  const env = options.env ?? process.env;
  const modelsUrl = checkRemoteUrl(
    resolveOption(options.modelsUrl, envString(ENV.modelsUrl, env), DEFAULTS.modelsUrl),
    ENV.modelsUrl,
  ).href.replace(/\/?$/, '/');
  const now = options.now ?? (() => new Date());
  const cataloguePath = join(options.target, CATALOGUE);
  const before = await readFile(cataloguePath, 'utf8');
  const catalogue = parseRegistryFile(before, cataloguePath, { complete: true }) as Catalogue;
  const syncer = new Syncer(modelsUrl, {
    userAgent: options.userAgent,
    env,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    dispatcher: options.dispatcher,
  });

  const changes: ModelChange[] = [];
  const productionChanges: ModelChange[] = [];
  const digestsAdded: string[] = [];
  // Every values file is read before anything is downloaded, so a changed layout fails at once.
  const plans = [];
  for (const source of options.sources ?? modelSources(catalogue)) {
    const model = catalogue.models.find((m) => m.name === source.model);
    if (model === undefined) {
      throw new RegistryError(
        'invalid_registry',
        `${CATALOGUE} has no model ${source.model}; add it by hand before syncing it.`,
      );
    }
    plans.push({ model, pins: await readPins(options.charts, source) });
  }
  try {
    for (const { model, pins } of plans) {
      const previous = {
        production: model.versions.find((v) => v.status === 'production')?.id ?? null,
        staging: model.versions.find((v) => v.status === 'staging')?.id ?? null,
      };
      // Production wins when both stages pin the same version.
      const active = [pins.production, pins.staging].filter(
        (pin, i): pin is DeploymentPin =>
          pin !== undefined && (i === 0 || pin.versionId !== pins.production.versionId),
      );
      const commits = new Map<Stage, { commit: string; time: string } | undefined>();
      for (const pin of active) {
        commits.set(pin.stage, await options.charts.commitOf(pin.file, pin.storageUri));
        let version = model.versions.find((v) => v.id === pin.versionId);
        if (version === undefined) {
          version = await syncer.newVersion(model, pin);
          model.versions.push(version);
        } else {
          for (const artifact of version.artifacts.filter(needsDigest)) {
            Object.assign(artifact, await syncer.digest(artifact.path));
            digestsAdded.push(`${model.alias}@${version.id} ${artifact.name}`);
          }
          version.modelVersion ??= pin.modelVersion;
        }
        version.pin = provenance(version.pin, pin, commits.get(pin.stage));
      }
      const stageOf = new Map(active.map((pin) => [pin.versionId, pin.stage]));
      for (const version of model.versions) version.status = stageOf.get(version.id) ?? 'archived';
      model.versions.sort(newestFirst);

      for (const stage of ['production', 'staging'] as const) {
        const pin = active.find((p) => p.stage === stage);
        const newVersion = pin?.versionId ?? null;
        if (newVersion === previous[stage]) continue;
        // A staging version promoted to production is no staging change of its own.
        if (
          stage === 'staging' &&
          newVersion === null &&
          previous.staging === pins.production.versionId
        )
          continue;
        const version = model.versions.find((v) => v.id === newVersion);
        const found = commits.get(stage);
        const change: ModelChange = {
          model: model.name,
          alias: model.alias,
          package: model.package,
          stage,
          oldVersion: previous[stage],
          newVersion,
          time: found?.time || now().toISOString(),
          file: pin?.file ?? null,
          commit: found?.commit ?? null,
          artifacts: (version?.artifacts ?? []).map(({ name, size, sha256 }) => ({
            name,
            size,
            sha256,
          })),
        };
        changes.push(change);
        if (stage === 'production') productionChanges.push(change);
      }
    }
  } finally {
    await syncer.close();
  }

  const after = formatJson(catalogue);
  if (after === before) return { changes, written: [], downloaded: syncer.downloaded };
  parseRegistryFile(after, `the synced ${CATALOGUE}`, { complete: true });

  const written: string[] = [];
  const write = async (path: string, text: string) => {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
    written.push(relative(options.target, path));
  };
  await write(cataloguePath, after);
  const notes =
    digestsAdded.length === 0
      ? []
      : [`Recorded the size and SHA-256 of ${digestsAdded.join(', ')}.`];
  for (const [i, change] of productionChanges.entries()) {
    const dir = await findPackageDir(options.target, change.package);
    await write(
      join(dir, 'src', 'model-pin.json'),
      formatPin({ model: change.model, version: change.newVersion! }),
    );
    await write(
      join(options.target, '.changeset', `registry-sync-${change.alias}-${change.newVersion}.md`),
      changeset(
        { [change.package]: 'minor', [CORE_PACKAGE]: 'minor' },
        [change],
        i === 0 ? notes : [],
      ),
    );
  }
  // A production change already releases core; any other catalogue change does so on its own.
  const others = changes.filter((c) => c.stage !== 'production');
  if (others.length > 0 || productionChanges.length === 0) {
    const extra = productionChanges.length === 0 ? notes : [];
    if (others.length + extra.length === 0) {
      extra.push('Updated where the deployment charts pin each model version (provenance).');
    }
    await write(
      join(options.target, '.changeset', `registry-sync-catalogue-${shortDigest(after)}.md`),
      changeset({ [CORE_PACKAGE]: 'patch' }, others, extra),
    );
  }
  return { changes, written, downloaded: syncer.downloaded };
}
