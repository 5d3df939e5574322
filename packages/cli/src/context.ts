/**
 * What every command shares: its context (streams, deps, `--json`), writing lines, the mode and
 * number options, signals, download progress and opening a model.
 *
 * @packageDocumentation
 */
import {
  ArtifactError,
  ConfigError,
  type DownloadProgress,
  ENV,
  type Env,
  envFlag,
  type LiftWingModel,
  MAX_WORKERS,
  type Mode,
} from '@liftwing/core';
import { type OptionSpec, UsageError } from './args.js';
import { coreOptions } from './core-options.js';
import type { CliDeps, CliIo } from './deps.js';
import { definitionOf, loadModel, type ModelInfo } from './models.js';
import {
  createProgressRenderer,
  formatBytes,
  type OutputStream,
  type ProgressRenderer,
} from './output.js';

/** What a command runs with. */
export interface Context {
  io: CliIo;
  deps: CliDeps;
  /** `--json` was given: machine-readable output and errors. */
  json: boolean;
}

/** A command: resolves with its exit code. */
export type Command = (context: Context, args: string[]) => Promise<number>;

/** Writes `text` as one line. */
export const write = (stream: OutputStream, text: string) => {
  stream.write(text.endsWith('\n') ? text : text + '\n');
};

/** The flags of every command that runs a model: where it runs, downloads, threads. */
export const MODE_OPTIONS: OptionSpec = {
  offline: { type: 'boolean' },
  online: { type: 'boolean' },
  'no-download': { type: 'boolean' },
  workers: { type: 'string' },
};

/** `--offline` / `--online`, else `LIFTWING_OFFLINE`, else online. */
export function modeOf(values: { offline?: unknown; online?: unknown }, env: Env): Mode {
  if (values.offline === true && values.online === true) {
    throw new UsageError('--offline and --online cannot be given together.');
  }
  if (values.offline === true) return 'offline';
  if (values.online === true) return 'online';
  return envFlag(ENV.offline, env) === true ? 'offline' : 'online';
}

/** The whole number `--flag` gave, or `fallback` when it was not given. */
export function positiveInteger(
  flag: string,
  raw: unknown,
  fallback: number,
  allowZero = false,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new UsageError(`--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer.`);
  }
  return value;
}

/** Runs `action` with an AbortSignal that the first SIGINT or SIGTERM aborts. */
export async function withSignals<T>(
  io: CliIo,
  action: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signals = io.signals ?? process;
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(signal);
  signals.once('SIGINT', stop);
  signals.once('SIGTERM', stop);
  try {
    return await action(controller.signal);
  } finally {
    signals.off('SIGINT', stop);
    signals.off('SIGTERM', stop);
  }
}

/**
 * Renders core's download progress: one bar (or run of plain lines) per artifact, labelled
 * `<label> <artifact>`. `done` closes the last one with a message.
 */
export function downloadProgress(context: Context, label: string) {
  let current: { artifact: string; renderer: ProgressRenderer } | undefined;
  const renderer = (artifact: string) =>
    createProgressRenderer(context.io.stderr, {
      label: `${label} ${artifact}`,
      tty: context.io.stderr.isTTY === true,
      columns: context.io.stderr.columns,
    });
  return {
    get started() {
      return current !== undefined;
    },
    update(event: DownloadProgress) {
      if (current?.artifact !== event.artifact) {
        current?.renderer.done(`${label} ${current.artifact}: downloaded`);
        current = { artifact: event.artifact, renderer: renderer(event.artifact) };
      }
      current.renderer.update({
        bytesDone: event.bytesDone,
        bytesTotal: event.bytesTotal ?? undefined,
        rate: event.bytesPerSecond,
      });
    },
    done(message: string) {
      if (current === undefined) write(context.io.stderr, message);
      else current.renderer.done(message);
    },
  };
}

/**
 * `--workers`: threads of offline scoring, from 0 (the main thread) to core's bound; undefined
 * when not given, so that `LIFTWING_WORKERS` or the number of cores decides.
 */
export function workersOption(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const value = positiveInteger('workers', raw, 0, true);
  if (value > MAX_WORKERS) {
    throw new UsageError(
      `--workers is at most ${MAX_WORKERS}: each thread holds a JavaScript heap of its own.`,
    );
  }
  return value;
}

/**
 * Whether `--offline` may download a model that is not cached yet. `--offline` means "run the
 * model here", as the library's offline mode does, and fetches a missing model on first use (as
 * Ollama, transformers.js and huggingface_hub do); only an explicit switch (`--no-download`,
 * `LIFTWING_OFFLINE=1`) means "no network for models".
 */
export interface DownloadPolicy {
  allowed: boolean;
  /** The switches that forbid downloads, as the user gave them: `--no-download`, `LIFTWING_OFFLINE`. */
  forbiddenBy: string[];
}

/** The {@link DownloadPolicy} of `--no-download` and `LIFTWING_OFFLINE` for a command in `mode`. */
export function downloadPolicy(
  values: { 'no-download'?: unknown },
  env: Env,
  mode: Mode,
): DownloadPolicy {
  const flag = values['no-download'] === true;
  if (flag && mode === 'online') {
    // Said rather than ignored: whoever typed it expects the model to run here.
    throw new UsageError(
      '--no-download applies to --offline (a model run on this machine); online, no model is downloaded. Add --offline, or drop --no-download.',
    );
  }
  const forbiddenBy = [
    ...(flag ? ['--no-download'] : []),
    ...(envFlag(ENV.offline, env) === true ? [ENV.offline] : []),
  ];
  return { allowed: forbiddenBy.length === 0, forbiddenBy };
}

/** How to lift the switches of `policy`: `drop --no-download`, `unset LIFTWING_OFFLINE`. */
export function allowDownloadHint(policy: DownloadPolicy): string {
  return policy.forbiddenBy
    .map((by) => (by.startsWith('--') ? `drop ${by}` : `unset ${by}`))
    .join(' and ');
}

/**
 * An offline model that is not cached while downloads are off: the message names the pull
 * command, and `pullCommand` is that command alone, for lists (`liftwing serve` skipping it).
 */
export class NotCachedError extends ArtifactError {
  readonly pullCommand: string;

  constructor(message: string, pullCommand: string) {
    super('offline_miss', message);
    this.pullCommand = pullCommand;
  }
}

/** The model ref the user gave, by the alias they can type: `<alias>[@<version>]`. */
const userRef = (info: ModelInfo, version: string | undefined) =>
  `${info.alias ?? info.name}${version === undefined ? '' : `@${version}`}`;

/**
 * Creates `info`'s model in `mode`, with the core options the CLI's environment sets. Offline, a
 * model that is not cached is downloaded first (progress on stderr, as `liftwing pull` shows it)
 * unless `download` forbids it: then it fails at once, before its runtime is even imported, and
 * the model is created with exactly the version found in the cache.
 */
export async function openModel(
  context: Context,
  info: ModelInfo,
  mode: Mode,
  version: string | undefined,
  options: {
    download: DownloadPolicy;
    signal?: AbortSignal;
    workers?: number | undefined;
  },
): Promise<LiftWingModel<unknown, unknown>> {
  const { signal, workers, download } = options;
  const definition = definitionOf(info);
  if (mode === 'offline' && !definition.modes.includes('offline')) {
    throw new UsageError(
      `${info.name} runs only online (on Lift Wing): ${info.package} has no offline mode. ` +
        `Run it with --online${envFlag(ENV.offline, context.io.env) === true ? ` (or unset ${ENV.offline})` : ''}.`,
    );
  }
  const offlineOnly = mode === 'offline' && !download.allowed;
  let resolvedVersion = version;
  if (offlineOnly) {
    const found = await context.deps.findCached(info, version);
    if (!found.cached) {
      const pull = `liftwing pull ${userRef(info, version)}`;
      throw new NotCachedError(
        `${found.ref} is not in the cache (${found.cacheDir}), and ` +
          `${download.forbiddenBy.join(' and ')} ${download.forbiddenBy.length > 1 ? 'keep' : 'keeps'} ` +
          `liftwing from downloading it. Fetch it first: ${pull} (or ${allowDownloadHint(download)} ` +
          'to download it on first use).',
        pull,
      );
    }
    resolvedVersion = found.version;
  }
  // The label `liftwing pull` gives the same download.
  const progress = downloadProgress(context, `${info.name}${version ? `@${version}` : ''}`);
  const sizes = new Map<string, number>();
  let model: LiftWingModel<unknown, unknown>;
  try {
    model = await loadModel(info, {
      ...coreOptions(context.io.env),
      mode,
      version: resolvedVersion,
      // Explicit either way, so that core's own LIFTWING_OFFLINE reading agrees with the CLI's.
      offline: offlineOnly,
      ...(workers === undefined ? {} : { workers }),
      signal,
      onProgress: (event) => {
        sizes.set(event.artifact, event.bytesDone);
        progress.update(event);
      },
    });
  } catch (error) {
    // Ends a progress bar the failure cut short; the error itself is reported by the caller.
    if (progress.started) progress.done(`${info.name}: failed`);
    throw error;
  }
  if (model.mode !== mode) {
    // An offline run must never reach the Lift Wing gateway, whatever a package returns.
    await model.close();
    throw new ConfigError(
      `${info.package} gave a model that runs ${model.mode} when ${mode} was asked for; ` +
        `update it: npm install ${info.package}@latest`,
    );
  }
  if (progress.started) {
    const downloaded = [...sizes.values()].reduce((sum, bytes) => sum + bytes, 0);
    progress.done(
      `${info.name}@${model.version ?? resolvedVersion ?? ''}: ${sizes.size} file(s), ` +
        `${formatBytes(downloaded)} downloaded, verified`,
    );
  }
  return model;
}
