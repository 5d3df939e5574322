import { ConfigError } from './errors.js';

/**
 * The environment variables liftwing reads. Every one of them overrides a default, and an explicit
 * option passed in code overrides the environment.
 */
export const ENV = {
  /** Where artifacts are cached. Default: `$XDG_CACHE_HOME/liftwing`, else `~/.cache/liftwing`. */
  cacheDir: 'LIFTWING_CACHE_DIR',
  /** `1` means no network at all: cached artifacts load, anything else fails at once. */
  offline: 'LIFTWING_OFFLINE',
  /** The published model tree (Apache-style directory listing). */
  modelsUrl: 'LIFTWING_MODELS_URL',
  /** A user registry file or https URL, merged over the built-in catalogue. */
  registry: 'LIFTWING_REGISTRY',
  /** The Lift Wing gateway base URL (ends in `/models/`). */
  apiUrl: 'LIFTWING_API_URL',
  /** A bearer token for the gateway. Never logged. */
  apiToken: 'LIFTWING_API_TOKEN',
  /** Your client's User-Agent prefix: `MyTool/1.0 (https://example.org/contact; me@example.org)`. */
  userAgent: 'LIFTWING_USER_AGENT',
  /** MediaWiki Action API URL template; `{host}` is replaced by the wiki's host name. */
  mwApiUrl: 'LIFTWING_MW_API_URL',
  /** The latest published catalogue, which `checkForUpdates` compares the installed one with. */
  catalogueUrl: 'LIFTWING_CATALOGUE_URL',
  /** Wikimedia's EventStreams (server-sent events), the base URL that stream names follow. */
  eventStreamsUrl: 'LIFTWING_EVENTSTREAMS_URL',
  /** Worker threads of offline scoring; `0` scores on the calling thread. Default: the cores available. */
  workers: 'LIFTWING_WORKERS',
  /** `1` silences liftwing's warnings (no contact in the User-Agent, trust on first use, ...). */
  noWarnings: 'LIFTWING_NO_WARNINGS',
} as const;

/** Defaults: the real Wikimedia services. */
export const DEFAULTS = {
  modelsUrl: 'https://analytics.wikimedia.org/published/wmf-ml-models/',
  apiUrl: 'https://api.wikimedia.org/service/lw/inference/v1/models/',
  mwApiUrl: 'https://{host}/w/api.php',
  eventStreamsUrl: 'https://stream.wikimedia.org/v2/stream/',
  catalogueUrl:
    'https://raw.githubusercontent.com/liftwing/liftwing/main/packages/core/src/catalogue.json',
} as const;

/** The environment liftwing reads; tests pass their own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** One mebibyte, the unit limits are given and reported in. */
export const MIB = 1024 * 1024;

/**
 * The environment of this process: `process.env` in Node.js, none in a browser (where there is no
 * `process`; looked up on `globalThis` so that no bundler is asked for a polyfill).
 */
export function processEnv(): Env {
  return (globalThis as { process?: { env?: Env } }).process?.env ?? {};
}

/** A non-empty environment variable, or undefined. */
export function envString(name: string, env: Env = processEnv()): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** A boolean environment variable (`1/true/yes/on`, `0/false/no/off`), or undefined when unset. */
export function envFlag(name: string, env: Env = processEnv()): boolean | undefined {
  const value = envString(name, env)?.toLowerCase();
  if (value === undefined) return undefined;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ConfigError(
    `${name}=${JSON.stringify(env[name])} is not a boolean; use 1 or 0 (also true/false, yes/no, on/off).`,
  );
}

/**
 * Resolves an option the way every liftwing option is resolved: the explicit value, else the
 * environment variable, else the default.
 */
export function resolveOption<T>(explicit: T | undefined, fromEnv: T | undefined, fallback: T): T {
  return explicit ?? fromEnv ?? fallback;
}

/** `value` when it is a whole number >= 1; else a {@link ConfigError} naming the option. */
export function positiveInteger(value: number, option: string): number {
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    throw new ConfigError(`${option} must be a whole number >= 1, got ${value}.`);
  }
  return value;
}
