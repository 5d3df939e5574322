/**
 * Settings: the options a user passes, else the environment, else the defaults, resolved once
 * at an entry point (`ensureModel`, `new ArtifactCache`, `Registry.load`, the clients,
 * `createModel`) and passed down from there. This is the one module that reads liftwing's
 * environment variables.
 *
 * @packageDocumentation
 */

import type { Dispatcher } from 'undici';
import { createTransport, platform, resolveCacheDir as platformCacheDir } from '#platform';
import {
  DEFAULTS,
  ENV,
  type Env,
  envFlag,
  envString,
  processEnv,
  resolveOption,
} from './config.js';
import { ConfigError } from './errors.js';
import type { Transport } from './transport.js';
import { checkRemoteUrl } from './urls.js';
import { userAgentOf } from './user-agent.js';
import { resolveWarnings } from './warnings.js';

/**
 * The cache directory: the explicit value, else `LIFTWING_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/liftwing`, else `~/.cache/liftwing`. A directory inside `node_modules` is
 * refused: package managers delete it, and a model of a gigabyte must survive reinstalls. In a
 * browser, which has no cache, the explicit value or `LIFTWING_CACHE_DIR` as given, else empty.
 */
export function resolveCacheDir(explicit?: string, env: Env = processEnv()): string {
  return platformCacheDir(explicit, env);
}

/** The options settings are resolved from; each overrides its environment variable. */
export interface SettingsOptions {
  /** See {@link resolveCacheDir}. */
  cacheDir?: string | undefined;
  /** No network at all. Default: `LIFTWING_OFFLINE`. */
  offline?: boolean | undefined;
  /** Base URL of the published model tree. Default: `LIFTWING_MODELS_URL`, else Wikimedia's. */
  modelsUrl?: string | undefined;
  /** A user registry file or https URL. Default: `LIFTWING_REGISTRY`. A loaded registry is no setting. */
  registry?: string | object | undefined;
  /** The Lift Wing gateway. Default: `LIFTWING_API_URL` (else the client's own default). */
  apiUrl?: string | undefined;
  /** The gateway's bearer token. Default: `LIFTWING_API_TOKEN`. */
  token?: string | undefined;
  /** Your client, as in {@link UserAgentOptions.userAgent}. Default: `LIFTWING_USER_AGENT`. */
  userAgent?: string | undefined;
  /** The MediaWiki Action API URL template. Default: `LIFTWING_MW_API_URL`, else Wikimedia's. */
  mwApiUrl?: string | undefined;
  /** The latest published catalogue. Default: `LIFTWING_CATALOGUE_URL`, else main's. */
  catalogueUrl?: string | undefined;
  /**
   * Wikimedia's EventStreams, the base URL stream names are appended to. Default:
   * `LIFTWING_EVENTSTREAMS_URL`, else `https://stream.wikimedia.org/v2/stream/`.
   */
  eventStreamsUrl?: string | undefined;
  /**
   * Node.js: the undici dispatcher of every request. Default: an `EnvHttpProxyAgent` of the
   * environment. A browser's fetch has none, and ignores it.
   */
  dispatcher?: Dispatcher | undefined;
  /** See {@link resolveWorkers}. Default: `LIFTWING_WORKERS`. */
  workers?: number | undefined;
  /** See {@link resolveWarnings}. Default: on, unless `LIFTWING_NO_WARNINGS=1`. */
  warnings?: boolean | undefined;
}

/** More threads than this only cost memory: each one holds a JavaScript heap of its own. */
export const MAX_WORKERS = 256;

/**
 * Worker threads that offline models scoring on the CPU (fastText models) spread a batch over:
 * the explicit value, else `LIFTWING_WORKERS`, else the cores this process may use
 * (`os.availableParallelism()`; a browser's `navigator.hardwareConcurrency`). `0` scores on the calling thread, as a library without threads
 * would. The threads share one copy of the model.
 */
export function resolveWorkers(explicit?: number, env: Env = processEnv()): number {
  const variable = envString(ENV.workers, env);
  const value = explicit ?? (variable === undefined ? platform.availableCores() : Number(variable));
  if (!Number.isInteger(value) || value < 0 || value > MAX_WORKERS) {
    const given = explicit === undefined ? `${ENV.workers}=${variable}` : `workers: ${explicit}`;
    throw new ConfigError(
      `${given} is not a number of worker threads: use an integer from 0 (score on the calling thread) to ${MAX_WORKERS}.`,
    );
  }
  return value;
}

/**
 * What made `settings` offline and how to lift it, in the words of whoever set it: the option
 * (`offline: true`) or the variable (`LIFTWING_OFFLINE`). For messages of things offline forbids.
 */
export function offlineCause(settings: Pick<LiftWingSettings, 'offlineFrom'>): {
  cause: string;
  lift: string;
} {
  return settings.offlineFrom === 'offline'
    ? { cause: '`offline: true` is given', lift: 'drop `offline: true`' }
    : { cause: `${ENV.offline} is set`, lift: `unset ${ENV.offline}` };
}

/**
 * What an entry point accepts: settings already resolved, or the options (and environment) to
 * resolve them from. Given `settings`, the other fields are not read.
 */
export interface SettingsSource extends SettingsOptions {
  settings?: LiftWingSettings | undefined;
  /** Environment to read. Default: `process.env`. */
  env?: Env | undefined;
}

/**
 * Every setting core uses, resolved once from options, environment and defaults; make one with
 * {@link resolveSettings} and pass it as `settings` to any entry point. The token and the
 * environment stay out of `console.log`, `util.inspect` and `JSON.stringify`.
 */
export class LiftWingSettings {
  readonly cacheDir: string;
  readonly offline: boolean;
  /** Where {@link offline} came from, to name in messages: `offline` or `LIFTWING_OFFLINE`. */
  readonly offlineFrom: 'offline' | typeof ENV.offline;
  /** With a trailing slash. */
  readonly modelsUrl: string;
  /** The user registry's location, if any. */
  readonly registry: string | undefined;
  /** Where {@link registry} came from, to name in messages: `registry` or `LIFTWING_REGISTRY`. */
  readonly registryFrom: 'registry' | typeof ENV.registry;
  /** The gateway URL given, if any (each client has its default). */
  readonly apiUrl: string | undefined;
  /** Where {@link apiUrl} came from, to name in messages: `apiUrl` or `LIFTWING_API_URL`. */
  readonly apiUrlFrom: string;
  /** Where the token came from, to name in messages: `token` or `LIFTWING_API_TOKEN`. */
  readonly tokenFrom: string;
  readonly mwApiUrl: string;
  readonly catalogueUrl: string;
  /** Where {@link catalogueUrl} came from: `catalogueUrl`, or `LIFTWING_CATALOGUE_URL` (set or not). */
  readonly catalogueUrlFrom: 'catalogueUrl' | typeof ENV.catalogueUrl;
  /** EventStreams' base URL, with a trailing slash: a stream's URL is this + its name. */
  readonly eventStreamsUrl: string;
  /** Where {@link eventStreamsUrl} came from: `eventStreamsUrl`, or `LIFTWING_EVENTSTREAMS_URL`. */
  readonly eventStreamsUrlFrom: 'eventStreamsUrl' | typeof ENV.eventStreamsUrl;
  /** Whether liftwing writes its warnings; see {@link resolveWarnings}. */
  readonly warnings: boolean;
  /** Worker threads of offline scoring; see {@link resolveWorkers}. */
  readonly workers: number;
  /**
   * The User-Agent and dispatcher of every request: undici's {@link Transport} in Node.js. In a
   * browser it is a `FetchTransport`, which has the same `userAgent`, `send` and `failure` (what
   * the gateway and MediaWiki clients use) and no `dispatcher` or `request` (the downloads', which
   * a browser bundle does not hold). The type names Node's, so that the published types name no
   * module of one platform only.
   */
  readonly transport: Transport;
  readonly #token: string | undefined;

  constructor(options: SettingsOptions = {}, env: Env = processEnv()) {
    this.cacheDir = resolveCacheDir(options.cacheDir, env);
    this.offline = resolveOption(options.offline, envFlag(ENV.offline, env), false);
    this.offlineFrom = options.offline !== undefined ? 'offline' : ENV.offline;
    const modelsUrl = resolveOption(
      options.modelsUrl,
      envString(ENV.modelsUrl, env),
      DEFAULTS.modelsUrl,
    );
    const checked = checkRemoteUrl(
      modelsUrl,
      options.modelsUrl !== undefined ? 'modelsUrl' : ENV.modelsUrl,
    ).href;
    this.modelsUrl = checked.endsWith('/') ? checked : `${checked}/`;
    this.registry =
      typeof options.registry === 'string' ? options.registry : envString(ENV.registry, env);
    this.registryFrom = typeof options.registry === 'string' ? 'registry' : ENV.registry;
    this.apiUrl = options.apiUrl ?? envString(ENV.apiUrl, env);
    this.apiUrlFrom = options.apiUrl !== undefined ? 'apiUrl' : ENV.apiUrl;
    this.#token = options.token ?? envString(ENV.apiToken, env);
    this.tokenFrom = options.token !== undefined ? 'token' : ENV.apiToken;
    this.mwApiUrl = resolveOption(
      options.mwApiUrl,
      envString(ENV.mwApiUrl, env),
      DEFAULTS.mwApiUrl,
    );
    this.catalogueUrl = resolveOption(
      options.catalogueUrl,
      envString(ENV.catalogueUrl, env),
      DEFAULTS.catalogueUrl,
    );
    this.catalogueUrlFrom = options.catalogueUrl !== undefined ? 'catalogueUrl' : ENV.catalogueUrl;
    this.eventStreamsUrlFrom =
      options.eventStreamsUrl !== undefined ? 'eventStreamsUrl' : ENV.eventStreamsUrl;
    // Checked as the models URL is: https, or plain http on loopback (a local fake or mirror).
    const eventStreams = checkRemoteUrl(
      resolveOption(
        options.eventStreamsUrl,
        envString(ENV.eventStreamsUrl, env),
        DEFAULTS.eventStreamsUrl,
      ),
      this.eventStreamsUrlFrom,
    ).href;
    this.eventStreamsUrl = eventStreams.endsWith('/') ? eventStreams : `${eventStreams}/`;
    this.warnings = resolveWarnings(options.warnings, env);
    this.workers = resolveWorkers(options.workers, env);
    this.transport = createTransport(
      userAgentOf(options.userAgent?.trim() || envString(ENV.userAgent, env)),
      { dispatcher: options.dispatcher, env, warnings: this.warnings },
    );
    Object.freeze(this);
  }

  /** The gateway's bearer token, if any. */
  get token(): string | undefined {
    return this.#token;
  }
}

/** Resolves options + `env` + defaults into {@link LiftWingSettings}, reading `env` once. */
export function resolveSettings(options: SettingsOptions = {}, env?: Env): LiftWingSettings {
  return new LiftWingSettings(options, env);
}

/** The settings an entry point was given, else resolved from its options. */
export function settingsOf(source: SettingsSource): LiftWingSettings {
  return source.settings ?? new LiftWingSettings(source, source.env);
}
