import type { EnsureModelOptions } from './ensure-model.js';
import { ConfigError, type LiftWingError } from './errors.js';
import { LiftWingClient, type LiftWingClientOptions } from './gateway.js';
import { MediaWikiClient, type MediaWikiClientOptions } from './mediawiki.js';

/**
 * How a model runs: `online` asks the Lift Wing gateway; `offline` runs the published model on
 * this machine.
 */
export type Mode = 'online' | 'offline';

/** Options of a single prediction. */
export interface PredictOptions {
  /** Cancels the prediction; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of {@link LiftWingModel.handle}. */
export interface HandleOptions extends PredictOptions {
  /**
   * The request body's raw JSON text, when the caller has it (a server, a JSONL line). Some
   * checks of Lift Wing's Python servers depend on the literal (an outlink `threshold` of `1` is
   * an integer and rejected, `1.0` is a float and accepted), which parsed JSON cannot tell apart.
   * When `body` is undefined, it is parsed from this text.
   */
  rawBody?: string | Uint8Array;
}

/** Progress of a batch, reported after each item settles. */
export interface BatchProgress {
  /** Items settled so far, successful or not. */
  done: number;
  /** Items in the batch. */
  total: number;
  /** Items that failed so far. */
  failed: number;
}

/** Options of a batch of predictions. */
export interface PredictManyOptions extends PredictOptions {
  /** Called as items settle. */
  onProgress?: (progress: BatchProgress) => void;
}

/** One item of a batch: its result, or the error that item alone ran into. */
export type BatchResult<Res> = { ok: true; value: Res } | { ok: false; error: LiftWingError };

/**
 * What every liftwing model offers, online or offline, with one API and one response shape: the
 * JSON that Lift Wing returns.
 */
export interface LiftWingModel<Req, Res> {
  /** The Lift Wing model name, e.g. `outlink-topic-model`. */
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
   * such as revertrisk's `instances`). Bad input rejects with an `InputError` whose `status` and
   * `toResponseBody()` are the server's. This is what `liftwing serve` calls.
   */
  handle(body: unknown, options?: HandleOptions): Promise<unknown>;
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
   * Offline: a registry version id (`20221111111111`) or a full reference (`outlink@production`).
   * Default: the version the model package pins.
   */
  version?: string;
  /** Online: the gateway client, or its options. */
  client?: LiftWingClient | LiftWingClientOptions;
  /** Offline: the MediaWiki API client, or its options. */
  mediawiki?: MediaWikiClient | MediaWikiClientOptions;
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
 * The registry reference for a model's `version` option: the bare model name when there is none
 * (its package's pin then decides), the option itself when it already names a model, else
 * `<model>@<version>`.
 */
export function modelRef(model: string, version: string | undefined): string {
  if (version === undefined) return model;
  return version.includes('@') ? version : `${model}@${version}`;
}

/** The gateway client the options give, or one made from them (with their User-Agent and env). */
export function gatewayClientOf(options: ModelOptions): LiftWingClient {
  if (options.client instanceof LiftWingClient) return options.client;
  return new LiftWingClient({ userAgent: options.userAgent, env: options.env, ...options.client });
}

/** The MediaWiki client the options give, or one made from them (with their User-Agent and env). */
export function mediawikiClientOf(options: ModelOptions): MediaWikiClient {
  if (options.mediawiki instanceof MediaWikiClient) return options.mediawiki;
  return new MediaWikiClient({
    userAgent: options.userAgent,
    env: options.env,
    ...options.mediawiki,
  });
}
