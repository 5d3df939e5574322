/**
 * What every command shares: its context (streams, deps, `--json`), writing lines, the mode and
 * number options, signals, download progress and opening a model.
 *
 * @packageDocumentation
 */
import {
  type DownloadProgress,
  ENV,
  type Env,
  envFlag,
  type LiftWingModel,
  MAX_WORKERS,
  type Mode,
} from '@liftwing/core';
import { UsageError } from './args.js';
import { coreOptions } from './core-options.js';
import type { CliDeps, CliIo } from './deps.js';
import { loadModel, type ModelInfo } from './models.js';
import { createProgressRenderer, type OutputStream, type ProgressRenderer } from './output.js';

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

/** Creates `info`'s model in `mode`, with the core options the CLI's environment sets. */
export async function openModel(
  context: Context,
  info: ModelInfo,
  mode: Mode,
  version: string | undefined,
  options: { signal?: AbortSignal; workers?: number | undefined } = {},
): Promise<LiftWingModel<unknown, unknown>> {
  const { signal, workers } = options;
  // Offline never downloads: a missing model fails here, before its runtime is even imported,
  // and the model is then created with exactly the version that was found in the cache.
  const resolvedVersion =
    mode === 'offline' ? await context.deps.checkCached(info, version) : version;
  const progress = downloadProgress(
    context,
    `${info.name}${resolvedVersion ? `@${resolvedVersion}` : ''}`,
  );
  const model = await loadModel(info, {
    ...coreOptions(context.io.env),
    mode,
    version: resolvedVersion,
    offline: mode === 'offline',
    ...(workers === undefined ? {} : { workers }),
    signal,
    onProgress: (event) => progress.update(event),
  });
  if (progress.started) progress.done(`${info.name}: artifacts ready`);
  return model;
}
