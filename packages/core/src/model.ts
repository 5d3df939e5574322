import type { BatchResult, PredictManyOptions, PredictOptions, RawRequest } from './batch.js';
import type { EnsureModelOptions } from './ensure-model.js';
import { ConfigError } from './errors.js';
import { LiftWingClient, type LiftWingClientOptions } from './gateway.js';
import { MediaWikiClient, type MediaWikiClientOptions } from './mediawiki.js';

/**
 * How a model runs: `online` asks the Lift Wing gateway; `offline` runs the published model on
 * this machine.
 */
export type Mode = 'online' | 'offline';

/** Options of {@link LiftWingModel.handle}. */
export interface HandleOptions extends PredictOptions {
  /**
   * The request body's raw JSON text, when the caller has it (a server, a JSONL line). Some
   * checks of Lift Wing's Python servers depend on the literal (a `threshold` of `1` is an
   * integer and rejected where a float is demanded, `1.0` is a float and accepted), which parsed JSON cannot tell apart.
   * When `body` is undefined, it is parsed from this text.
   */
  rawBody?: string | Uint8Array;
}

/**
 * What every liftwing model offers, online or offline, with one API and one response shape: the
 * JSON that Lift Wing returns.
 */
export interface LiftWingModel<Req, Res> {
  /** The Lift Wing model name, e.g. `articlequality`. */
  readonly name: string;
  /** Whether this instance asks the gateway or runs locally. */
  readonly mode: Mode;
  /** The registry version id of the model that runs offline; undefined online (the server decides). */
  readonly version: string | undefined;
  /** One prediction. Bad input rejects with an `InputError` carrying Lift Wing's own message. */
  predict(request: Req, options?: PredictOptions): Promise<Res>;
  /** Many predictions, results in input order; one item's failure does not fail the others. */
  predictMany(requests: readonly Req[], options?: PredictManyOptions): Promise<BatchResult<Res>[]>;
  /**
   * Answers a raw request body exactly as Lift Wing's model server would (including batch forms
   * such as `{"instances": [...]}`). Bad input rejects with an `InputError` whose `status` and
   * `toResponseBody()` are the server's. This is what `liftwing serve` calls.
   */
  handle(body: unknown, options?: HandleOptions): Promise<unknown>;
  /**
   * Answers many raw request bodies, each as {@link handle} would, results in input order; one
   * body's failure is its own result and does not fail the others. Where the model's server
   * batches (revert risk's `instances` of one language), single requests are grouped into as few
   * server calls as it allows. This is what the CLI's JSONL batches call.
   */
  handleMany(
    bodies: readonly RawRequest[],
    options?: PredictManyOptions,
  ): Promise<BatchResult<unknown>[]>;
  /** Releases what the model holds (native sessions, sockets). */
  close(): Promise<void>;
}

/**
 * Options every model package's `createModel` accepts; a package adds its own. Explicit options
 * win over the environment variables core reads (`LIFTWING_*`).
 */
export interface ModelOptions extends Omit<EnsureModelOptions, 'pinned'> {
  /** `online` (default) asks the Lift Wing gateway; `offline` runs the model here. */
  mode?: Mode;
  /**
   * Offline: a registry version id (`20221111111111`) or a full reference (`my-model@production`).
   * Default: the version the model package pins.
   */
  version?: string;
  /** Online: the gateway client, or its options. */
  client?: LiftWingClient | LiftWingClientOptions;
  /** Offline: the MediaWiki API client, or its options. */
  mediawiki?: MediaWikiClient | MediaWikiClientOptions;
  /**
   * Offline: worker threads that models scoring on the CPU (fastText models) spread their work
   * over, sharing one copy of the model. Default: `LIFTWING_WORKERS`, else the cores available;
   * `0` scores on the calling thread (core's `resolveWorkers`).
   */
  workers?: number;
}

/** True for a JSON object (`{...}`): not null, not an array. Request bodies must be one. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The mode asked for: `online` unless `offline` is given. */
export function modeOf(options: Pick<ModelOptions, 'mode'>): Mode {
  const mode = options.mode ?? 'online';
  if (mode !== 'online' && mode !== 'offline') {
    throw new ConfigError(`Unknown mode ${JSON.stringify(mode)}; use "online" or "offline".`);
  }
  return mode;
}

/**
 * For a model package's browser entry: refuses `mode: 'offline'` with a {@link ConfigError} that
 * says why (offline scoring reads model files and runs worker threads, which need Node.js) and
 * what to do. `what` names the model or package, e.g. its npm name.
 */
export function requireOnlineHere(options: Pick<ModelOptions, 'mode'>, what: string): void {
  if (modeOf(options) === 'offline') {
    throw new ConfigError(
      `${what} runs offline only in Node.js (it reads the model's files from the cache); in a browser, use mode: 'online' (the default).`,
    );
  }
}

/**
 * The registry reference for a model's `version` option: the bare model name when there is none
 * (its package's pin then decides), the option itself when it already names a model, else
 * `<model>@<version>`.
 */
export function modelRef(model: string, version: string | undefined): string {
  if (version === undefined) return model;
  return version.includes('@') ? version : `${model}@${version}`;
}

/**
 * What a client made for a model shares with it: the model's resolved settings, unless the
 * client's own options name a User-Agent, environment or dispatcher (settings would replace
 * them), in which case the model's User-Agent and environment are only the defaults.
 */
function sharedWith(
  options: ModelOptions,
  own: { userAgent?: string; env?: unknown; dispatcher?: unknown; settings?: unknown } = {},
) {
  const ownTransport =
    own.userAgent !== undefined || own.env !== undefined || own.dispatcher !== undefined;
  if (options.settings !== undefined && !ownTransport) return { settings: options.settings };
  return { userAgent: options.userAgent, env: options.env };
}

/**
 * The gateway client the options give, or one made from them: with their `settings` when given
 * (resolve them once with `settingsOf` and pass them to every helper), else their User-Agent
 * and env.
 */
export function gatewayClientOf(options: ModelOptions): LiftWingClient {
  if (options.client instanceof LiftWingClient) return options.client;
  return new LiftWingClient({ ...sharedWith(options, options.client), ...options.client });
}

/** The MediaWiki client the options give, or one made from them, as {@link gatewayClientOf}. */
export function mediawikiClientOf(options: ModelOptions): MediaWikiClient {
  if (options.mediawiki instanceof MediaWikiClient) return options.mediawiki;
  return new MediaWikiClient({ ...sharedWith(options, options.mediawiki), ...options.mediawiki });
}
