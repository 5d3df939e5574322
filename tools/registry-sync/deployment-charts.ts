/**
 * Reads where Wikimedia's deployment pins each model version: the helmfile values of
 * `wikimedia/operations-deployment-charts`, from a local checkout or over https (raw files).
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type Catalogue,
  fetchText,
  HttpError,
  type HttpOptions,
  type ModelEntry,
  RegistryError,
} from '@liftwing/core';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);

/** Where a model's pins live in the charts, and how to find its environment there. */
export interface ModelSource {
  /** The catalogue's Lift Wing model name. */
  model: string;
  /** The folder below `helmfile.d/ml-services/`. */
  folder: string;
  /**
   * The inference service whose `predictor.custom_env` holds the pin, in `inference_services`
   * (a dict keyed by name in production, a list of `{name: ...}` in staging). Without it, the pin
   * is in `inference.predictor.base_env`, shared by every service of the chart.
   */
  isvc?: string;
}

const ML_SERVICES = 'helmfile.d/ml-services/';

/**
 * Where the charts pin `model`, read from the newest pin the catalogue recorded for it (its
 * values file names the folder; a key below `inference_services` names the service), so that a
 * model the catalogue knows is followed with no list here to extend. Undefined for a model with
 * no recorded pin (nothing to follow yet) or one pinned outside `ml-services`.
 */
export function sourceOf(model: Pick<ModelEntry, 'name' | 'versions'>): ModelSource | undefined {
  const pin = model.versions.find((version) => version.pin !== null)?.pin;
  if (!pin?.file.startsWith(ML_SERVICES)) return undefined;
  const folder = pin.file.slice(ML_SERVICES.length).split('/')[0]!;
  if (pin.key.startsWith('inference.predictor.base_env.')) return { model: model.name, folder };
  // The two shapes readPins reads; a pin kept elsewhere (e.g. a revscoring chart's own list) is
  // not followed rather than failing every sync.
  const isvc = /^inference_services(?:\.([^.[]+)|\[name=([^\]]+)\])\.predictor\.custom_env\./.exec(
    pin.key,
  );
  const service = isvc?.[1] ?? isvc?.[2];
  return service === undefined ? undefined : { model: model.name, folder, isvc: service };
}

/** The models of `catalogue` the sync follows: those with a recorded pin. */
export function modelSources(catalogue: Pick<Catalogue, 'models'>): ModelSource[] {
  return catalogue.models.flatMap((model) => sourceOf(model) ?? []);
}

/** The deployment stages, and the values file of each. */
export const STAGE_FILES = {
  production: 'values.yaml',
  staging: 'values-ml-staging-codfw.yaml',
} as const;

export type Stage = keyof typeof STAGE_FILES;

/** One pin: the version a values file deploys. */
export interface DeploymentPin {
  stage: Stage;
  /** The values file, relative to the charts repository. */
  file: string;
  /** Where in the file, e.g. `inference.predictor.base_env.STORAGE_URI`. */
  key: string;
  /** The raw value, e.g. `s3://wmf-ml-models/articletopic/outlink/20221111111111/`. */
  storageUri: string;
  /** The version's directory below the models URL, with a trailing slash. */
  path: string;
  /** The version id: the last segment of `path`. */
  versionId: string;
  /** `MODEL_VERSION` from the same environment, if set. */
  modelVersion: string | null;
}

/** A place to read the charts from. */
export interface ChartsSource {
  /** For messages and the change record. */
  readonly location: string;
  /** A file's text, or undefined when it does not exist. */
  read(file: string): Promise<string | undefined>;
  /** The commit that put `needle` in `file` (the last time it appeared there), and its time. */
  commitOf(file: string, needle: string): Promise<{ commit: string; time: string } | undefined>;
}

const BUCKET = 's3://wmf-ml-models/';
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `dir` is the top of a git work tree (not merely inside another repository). */
async function isCheckout(dir: string): Promise<boolean> {
  try {
    const { stdout } = await run('git', ['-C', dir, 'rev-parse', '--show-toplevel'], {
      encoding: 'utf8',
    });
    return (await realpath(stdout.trim())) === (await realpath(dir));
  } catch {
    return false;
  }
}

/** A local checkout; commits come from `git log -S` when it is a git work tree of its own. */
export function localCharts(dir: string): ChartsSource {
  let checkout: Promise<boolean> | undefined;
  return {
    location: dir,
    async read(file) {
      try {
        return await readFile(join(dir, file), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async commitOf(file, needle) {
      checkout ??= isCheckout(dir);
      if (!(await checkout)) return undefined;
      const git = async (...args: string[]) =>
        (await run('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })).stdout;
      try {
        // -S lists every commit that changed how often the value occurs (another service
        // taking the same model counts too); the pin came with the newest whose parent lacked it.
        const candidates = (await git('log', '--format=%H %cI', `-S${needle}`, '--', file))
          .trim()
          .split('\n')
          .filter(Boolean);
        for (const line of candidates) {
          const [commit, time] = line.split(' ') as [string, string];
          const before = await git('show', `${commit}^:${file}`).catch(() => '');
          if (!before.includes(needle)) return { commit, time };
        }
        return undefined;
      } catch {
        // A shallow or broken history: the pin is recorded without a commit.
        return undefined;
      }
    },
  };
}

/** Raw files over https (or loopback http); `commit` is what the files were read at, if known. */
export function remoteCharts(
  baseUrl: string,
  commit: string | undefined,
  http: HttpOptions = {},
): ChartsSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    location: base,
    async read(file) {
      try {
        return await fetchText(new URL(file, base), `The values file ${file}`, http);
      } catch (error) {
        if (error instanceof HttpError && error.status === 404) {
          return undefined;
        }
        throw error;
      }
    },
    async commitOf() {
      return commit === undefined ? undefined : { commit, time: '' };
    },
  };
}

function kind(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function shapeError(file: string, path: string, message: string): RegistryError {
  return new RegistryError(
    'invalid_registry',
    `${file}: ${path} ${message}. The layout of the deployment charts changed; update ` +
      'tools/registry-sync/deployment-charts.ts (readPins) to read it.',
  );
}

/** Follows `keys` from `root`; undefined when a key is missing, an error when a step is not a mapping. */
function follow(root: unknown, keys: string[], file: string, at: string[] = []): unknown {
  let value = root;
  const path = [...at];
  for (const key of keys) {
    if (value === undefined || value === null) return undefined;
    if (!isMapping(value)) {
      throw shapeError(file, path.join('.') || '(document)', `is ${kind(value)}, not a mapping`);
    }
    value = value[key];
    path.push(key);
  }
  return value;
}

/** The variables of an env given as a list of `{name, value}` or as a mapping. */
function readEnv(value: unknown, file: string, path: string): Map<string, string> {
  const env = new Map<string, string>();
  const put = (name: string, raw: unknown, at: string) => {
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw shapeError(file, at, `is ${kind(raw)}, not a string`);
    }
    env.set(name, String(raw));
  };
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (!isMapping(item) || typeof item.name !== 'string') {
        throw shapeError(file, `${path}[${i}]`, `is ${kind(item)}, not a {name, value} entry`);
      }
      put(item.name, item.value, `${path}[${i}].value`);
    });
  } else if (isMapping(value)) {
    for (const [name, raw] of Object.entries(value)) put(name, raw, `${path}.${name}`);
  } else {
    throw shapeError(file, path, `is ${kind(value)}, not a list of {name, value} or a mapping`);
  }
  return env;
}

/** Where the model's env is in a parsed values file, or undefined when the file does not set it. */
function locateEnv(
  doc: unknown,
  source: ModelSource,
  file: string,
): { env: unknown; path: string } | undefined {
  if (source.isvc === undefined) {
    const env = follow(doc, ['inference', 'predictor', 'base_env'], file);
    return env === undefined ? undefined : { env, path: 'inference.predictor.base_env' };
  }
  const services = follow(doc, ['inference_services'], file);
  if (services === undefined) return undefined;
  let service: unknown;
  let at: string;
  if (Array.isArray(services)) {
    // Staging lists the services as [{name: ..., predictor: ...}].
    at = `inference_services[name=${source.isvc}]`;
    services.forEach((item, i) => {
      if (!isMapping(item) || typeof item.name !== 'string') {
        throw shapeError(file, `inference_services[${i}]`, `is ${kind(item)} without a name`);
      }
    });
    service = services.find((item) => (item as { name: string }).name === source.isvc);
  } else if (isMapping(services)) {
    at = `inference_services.${source.isvc}`;
    service = services[source.isvc];
  } else {
    throw shapeError(file, 'inference_services', `is ${kind(services)}, not a mapping or a list`);
  }
  const env = follow(service, ['predictor', 'custom_env'], file, [at]);
  return env === undefined ? undefined : { env, path: `${at}.predictor.custom_env` };
}

/**
 * The pin of `source` in one values file's text. Undefined when the file does not deploy the
 * model (no such service, no env); a {@link RegistryError} naming the file and the path inside it
 * when the file is shaped otherwise than expected or the pin is not a published model directory.
 */
export function readPin(
  text: string,
  source: ModelSource,
  stage: Stage,
  file: string,
): DeploymentPin | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new RegistryError(
      'invalid_registry',
      `${file} is not valid YAML: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const located = locateEnv(doc, source, file);
  if (located === undefined) return undefined;
  const env = readEnv(located.env, file, located.path);
  const storageUri = env.get('STORAGE_URI');
  if (storageUri === undefined) return undefined;
  const key = `${located.path}.STORAGE_URI`;
  if (!storageUri.startsWith(BUCKET)) {
    throw shapeError(file, key, `is ${JSON.stringify(storageUri)}, not in ${BUCKET}`);
  }
  const segments = storageUri.slice(BUCKET.length).split('/').filter(Boolean);
  const versionId = segments.at(-1);
  if (segments.length < 2 || !segments.every((s) => SAFE_SEGMENT.test(s) && s !== '..')) {
    throw shapeError(
      file,
      key,
      `is ${JSON.stringify(storageUri)}, not ${BUCKET}<model>/<version>/`,
    );
  }
  return {
    stage,
    file,
    key,
    storageUri,
    path: `${segments.join('/')}/`,
    versionId: versionId!,
    modelVersion: env.get('MODEL_VERSION') ?? null,
  };
}

/**
 * The production pin (required) and the staging pin (if staging deploys the model) of a model.
 */
export async function readPins(
  charts: ChartsSource,
  source: ModelSource,
): Promise<{ production: DeploymentPin; staging: DeploymentPin | undefined }> {
  const pins: Partial<Record<Stage, DeploymentPin>> = {};
  for (const stage of Object.keys(STAGE_FILES) as Stage[]) {
    const file = `helmfile.d/ml-services/${source.folder}/${STAGE_FILES[stage]}`;
    const text = await charts.read(file);
    if (text === undefined) {
      if (stage === 'production') {
        throw new RegistryError(
          'invalid_registry',
          `${file} does not exist in ${charts.location}; point --charts at a checkout (or raw URL) of wikimedia/operations-deployment-charts.`,
        );
      }
      continue;
    }
    pins[stage] = readPin(text, source, stage, file);
  }
  if (pins.production === undefined) {
    const where =
      source.isvc === undefined
        ? 'inference.predictor.base_env'
        : `inference_services.${source.isvc}.predictor.custom_env`;
    throw new RegistryError(
      'invalid_registry',
      `helmfile.d/ml-services/${source.folder}/values.yaml: ${where} has no STORAGE_URI for ${source.model}; the production pin moved.`,
    );
  }
  return { production: pins.production, staging: pins.staging };
}
