import { constants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  ConfigError,
  type DownloadProgress,
  ENV,
  type Env,
  envFlag,
  isLiftWingError,
  type LiftWingModel,
  type Mode,
} from '@liftwing/core';
import { allRequestFlags, requestFromFlags, requestFromJson, UsageError } from './args.js';
import {
  type BatchRunProgress,
  closeOutputFile,
  DEFAULT_MAX_LINE_BYTES,
  openOutputFile,
  prepareResume,
  runBatch,
} from './batch.js';
import { checkModels } from './check.js';
import { coreDeps, coreOptions } from './core-deps.js';
import { HELP } from './help.js';
import {
  findModel,
  type ImportPackage,
  loadModel,
  type ModelInfo,
  parseModelRef,
} from './models.js';
import {
  createProgressRenderer,
  formatBytes,
  type OutputStream,
  type ProgressRenderer,
  renderTable,
  styleFor,
  survivingStreamErrors,
} from './output.js';
import { createLiftWingServer, DEFAULT_MAX_BODY_BYTES } from './server.js';

const require = createRequire(import.meta.url);

/** The version of the `liftwing` package that is running. */
export const CLI_VERSION: string = (require('../package.json') as { version: string }).version;

/** Where the CLI reads and writes; `process` by default, streams of their own in tests. */
export interface CliIo {
  stdout: OutputStream & Partial<Writable>;
  stderr: OutputStream;
  stdin: Readable;
  env: Env;
  /** Where SIGINT and SIGTERM arrive; default `process`. */
  signals?: Pick<NodeJS.Process, 'once' | 'off'>;
}

/** A model version whose artifacts `liftwing pull` made ready. */
export interface PullResult {
  model: string;
  version: string;
  files: { name: string; path: string; bytes: number }[];
  /** Bytes downloaded now; 0 when everything was already cached and verified. */
  downloadedBytes: number;
}

/** A cached model version. */
export interface CacheEntry {
  model: string;
  version: string;
  path: string;
  bytes: number;
}

/** The check of one cached file. */
export interface CacheCheck {
  model: string;
  version: string;
  file: string;
  ok: boolean;
  /** What is wrong, when not ok. */
  problem?: string;
}

/** The artifact cache, as `liftwing cache` uses it. */
export interface CacheBackend {
  path(): string;
  list(): Promise<CacheEntry[]>;
  verify(): Promise<CacheCheck[]>;
  prune(options: { dryRun: boolean }): Promise<{ removed: CacheEntry[]; freedBytes: number }>;
  /** Adds a local file or directory (e.g. a converted ONNX bundle) as a version of a model. */
  add(options: { model: string; version: string; from: string }): Promise<CacheEntry>;
  /** Removes one cached version, its recorded digests included; rejects if nothing is cached. */
  remove(model: string, version: string): Promise<{ freedBytes: number }>;
}

/**
 * What the commands build on: the registry, the artifact cache and `pull` of `@liftwing/core`
 * ({@link coreDeps}); tests pass fakes.
 */
export interface CliDeps {
  /** The models of the registry. */
  listModels(): Promise<ModelInfo[]>;
  /** Imports a model package; default dynamic `import()`. */
  importPackage: ImportPackage;
  /** Whether a package can be imported from here, without importing it. */
  isInstalled(specifier: string): boolean;
  /** Downloads and verifies a model version's artifacts. */
  pull(
    model: ModelInfo,
    version: string | undefined,
    options: { onProgress: (event: DownloadProgress) => void; signal: AbortSignal },
  ): Promise<PullResult>;
  /**
   * Resolves the version an offline model would load and checks, without any network, that its
   * artifacts are cached: resolves with the version id, or rejects with an `offline_miss` error
   * that names the `liftwing pull` command.
   */
  checkCached(model: ModelInfo, version: string | undefined): Promise<string>;
  cache: CacheBackend;
}

interface Context {
  io: CliIo;
  deps: CliDeps;
  json: boolean;
}

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

const COMMON: OptionSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

function parse(command: string, args: string[], options: OptionSpec) {
  try {
    return parseArgs({
      args,
      options: { ...COMMON, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}\nRun \`liftwing ${command} --help\` for usage.`,
    );
  }
}

const write = (stream: OutputStream, text: string) => {
  stream.write(text.endsWith('\n') ? text : text + '\n');
};

function modeOf(values: { offline?: unknown; online?: unknown }, env: Env): Mode {
  if (values.offline === true && values.online === true) {
    throw new UsageError('--offline and --online cannot be given together.');
  }
  if (values.offline === true) return 'offline';
  if (values.online === true) return 'online';
  return envFlag(ENV.offline, env) === true ? 'offline' : 'online';
}

function positiveInteger(flag: string, raw: unknown, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new UsageError(`--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer.`);
  }
  return value;
}

/** Runs `action` with an AbortSignal that the first SIGINT or SIGTERM aborts. */
async function withSignals<T>(io: CliIo, action: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
function downloadProgress(context: Context, label: string) {
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

async function openModel(
  context: Context,
  info: ModelInfo,
  mode: Mode,
  version: string | undefined,
  signal?: AbortSignal,
): Promise<LiftWingModel<unknown, unknown>> {
  // Offline never downloads: a missing model fails here, before its package is even imported,
  // and the model is then created with exactly the version that was found in the cache.
  const resolvedVersion =
    mode === 'offline' ? await context.deps.checkCached(info, version) : version;
  const progress = downloadProgress(
    context,
    `${info.name}${resolvedVersion ? `@${resolvedVersion}` : ''}`,
  );
  const model = await loadModel(
    info,
    {
      ...coreOptions(context.io.env),
      mode,
      version: resolvedVersion,
      offline: mode === 'offline',
      signal,
      onProgress: (event) => progress.update(event),
    },
    context.deps.importPackage,
  );
  if (progress.started) progress.done(`${info.name}: artifacts ready`);
  return model;
}

async function modelsCommand(context: Context, args: string[]): Promise<number> {
  const { positionals, values } = parse('models', args, { check: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError('liftwing models takes no arguments.');
  if (values.check === true) return checkModels(context.io, context.json);
  const models = (await context.deps.listModels()).map((model) => ({
    ...model,
    installed: context.deps.isInstalled(model.package),
  }));
  if (context.json) {
    write(context.io.stdout, JSON.stringify(models, null, 2));
    return 0;
  }
  const style = styleFor(context.io.stdout, context.io.env);
  const known = (value: string | undefined) => value ?? style.dim('?');
  const rows = models.map((model) => [
    style.bold(model.name),
    model.alias ?? '',
    model.installed ? model.package : `${model.package} ${style.yellow('(not installed)')}`,
    model.modes?.join(', ') ?? style.dim('?'),
    known(model.productionVersion),
    model.cached === undefined ? style.dim('?') : model.cached ? style.green('yes') : 'no',
  ]);
  context.io.stdout.write(
    renderTable(['MODEL', 'ALIAS', 'PACKAGE', 'MODES', 'PRODUCTION', 'CACHED'], rows),
  );
  return 0;
}

async function pullCommand(context: Context, args: string[]): Promise<number> {
  const { positionals } = parse('pull', args, {});
  if (positionals.length !== 1) throw new UsageError('Usage: liftwing pull <model>[@<version>]');
  const ref = parseModelRef(positionals[0]!);
  const info = findModel(await context.deps.listModels(), ref.model);
  const progress = downloadProgress(context, `${info.name}${ref.version ? `@${ref.version}` : ''}`);
  const result = await withSignals(context.io, (signal) =>
    context.deps.pull(info, ref.version, { onProgress: (event) => progress.update(event), signal }),
  );
  const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
  progress.done(
    `${result.model}@${result.version}: ${result.files.length} file(s), ${formatBytes(bytes)}, ` +
      (result.downloadedBytes > 0
        ? `${formatBytes(result.downloadedBytes)} downloaded`
        : 'already cached') +
      ', verified',
  );
  if (context.json) write(context.io.stdout, JSON.stringify(result, null, 2));
  return 0;
}

const PREDICT_OPTIONS: OptionSpec = {
  offline: { type: 'boolean' },
  online: { type: 'boolean' },
  input: { type: 'string' },
  'input-file': { type: 'string' },
  'output-file': { type: 'string' },
  resume: { type: 'boolean' },
  concurrency: { type: 'string' },
  'max-line': { type: 'string' },
  ...Object.fromEntries(
    [...allRequestFlags()].map(([flag, type]) => [
      flag,
      { type: type === 'boolean' ? ('boolean' as const) : ('string' as const) },
    ]),
  ),
};

async function predictCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse('predict', args, PREDICT_OPTIONS);
  if (positionals.length !== 1) {
    throw new UsageError(
      'Name one model: liftwing predict <model> ... (liftwing models lists them).',
    );
  }
  const mode = modeOf(values, context.io.env);
  const ref = parseModelRef(positionals[0]!);
  const flagValues = Object.fromEntries(
    [...allRequestFlags().keys()].map((flag) => [flag, values[flag]]),
  ) as Record<string, string | boolean | undefined>;
  const hasFlags = Object.values(flagValues).some((value) => value !== undefined);
  const inputFile = values['input-file'] as string | undefined;
  const outputFile = values['output-file'] as string | undefined;
  const resume = values.resume === true;

  if (inputFile === undefined) {
    for (const flag of ['output-file', 'resume', 'concurrency', 'max-line']) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --input-file.`);
    }
    if (hasFlags && values.input !== undefined) {
      throw new UsageError('Give the request either as flags or as --input JSON, not both.');
    }
    if (!hasFlags && values.input === undefined) {
      throw new UsageError(
        `No request: give request flags or --input. Run \`liftwing predict --help\` for the flags.`,
      );
    }
  } else if (hasFlags || values.input !== undefined) {
    throw new UsageError('--input-file takes the requests from the file; drop the request flags.');
  } else if (resume && outputFile === undefined) {
    throw new UsageError('--resume needs --output-file, the file to carry on.');
  }
  const concurrency = positiveInteger('concurrency', values.concurrency, 4);
  const maxLineBytes = positiveInteger('max-line', values['max-line'], DEFAULT_MAX_LINE_BYTES);

  const info = findModel(await context.deps.listModels(), ref.model);
  // Check the request before loading a model, which may take long.
  const request =
    inputFile !== undefined
      ? undefined
      : hasFlags
        ? requestFromFlags(info.name, flagValues)
        : requestFromJson(values.input as string);

  if (inputFile === undefined) {
    const model = await openModel(context, info, mode, ref.version);
    try {
      const result = await model.handle(request, { rawBody: values.input as string | undefined });
      const pretty = context.io.stdout.isTTY === true;
      write(context.io.stdout, JSON.stringify(result, null, pretty ? 2 : undefined));
      return 0;
    } finally {
      await model.close();
    }
  }
  // The files first: a wrong path should not wait for a model to load.
  const files = await openBatchFiles(context, { inputFile, outputFile, resume });
  const ownsOutput = files.output !== context.io.stdout;
  let code: number;
  try {
    const model = await openModel(context, info, mode, ref.version);
    try {
      code = await batch(context, model, files, { concurrency, maxLineBytes });
    } finally {
      await model.close();
    }
  } catch (error) {
    if (ownsOutput) files.output.destroy();
    throw error;
  }
  if (ownsOutput && outputFile !== undefined) await closeOutputFile(files.output, outputFile);
  return code;
}

interface BatchFiles {
  input: Readable;
  output: Writable;
  /** Records already answered in a resumed output file. */
  skip: number;
  inputName: string;
  outputFile: string | undefined;
}

async function openBatchFiles(
  context: Context,
  options: { inputFile: string; outputFile: string | undefined; resume: boolean },
): Promise<BatchFiles> {
  if (options.inputFile !== '-') {
    try {
      await access(options.inputFile, constants.R_OK);
    } catch (error) {
      throw new UsageError(
        `Cannot read --input-file ${options.inputFile}: ${(error as Error).message}`,
      );
    }
  }
  let skip = 0;
  if (options.resume && options.outputFile !== undefined) {
    const state = await prepareResume(options.outputFile);
    skip = state.records;
    if (!context.json) {
      write(
        context.io.stderr,
        `Resuming: ${state.records} line(s) already in ${options.outputFile}` +
          (state.truncatedBytes > 0
            ? `; removed ${state.truncatedBytes} byte(s) of an incomplete last line`
            : ''),
      );
    }
  }
  const output =
    options.outputFile === undefined
      ? (context.io.stdout as Writable)
      : await openOutputFile(options.outputFile, options.resume);
  const input = options.inputFile === '-' ? context.io.stdin : createReadStream(options.inputFile);
  const inputName = options.inputFile === '-' ? 'stdin' : options.inputFile;
  return { input, output, skip, inputName, outputFile: options.outputFile };
}

async function batch(
  context: Context,
  model: LiftWingModel<unknown, unknown>,
  files: BatchFiles,
  limits: { concurrency: number; maxLineBytes: number },
): Promise<number> {
  const { stderr } = context.io;
  const tty = stderr.isTTY === true;
  let lastReport = performance.now();
  const describe = (progress: BatchRunProgress) => {
    const rate = progress.seconds > 0 ? progress.done / progress.seconds : 0;
    return (
      `${progress.done} answered: ${progress.done - progress.failed} ok, ${progress.failed} failed` +
      (progress.skipped > 0 ? `, ${progress.skipped} skipped` : '') +
      `, ${rate.toFixed(1)}/s, ${progress.seconds.toFixed(1)} s`
    );
  };
  const onProgress = (progress: BatchRunProgress) => {
    const now = performance.now();
    if (context.json || now - lastReport < (tty ? 100 : 10_000)) return;
    lastReport = now;
    stderr.write(tty ? `\r\x1b[2K${describe(progress)}` : `${describe(progress)}\n`);
  };

  const summary = await withSignals(context.io, (signal) =>
    runBatch({
      model,
      input: files.input,
      output: files.output,
      skip: files.skip,
      ...limits,
      inputName: files.inputName,
      outputName: files.outputFile ?? 'stdout',
      outputHint:
        files.outputFile === undefined
          ? 'Whatever reads stdout stopped reading or failed; with --output-file, a run that ' +
            'stopped can be finished with --resume.'
          : 'Every line before the failure is complete: make room, then run the same command ' +
            'with --resume to finish.',
      signal,
      onProgress,
    }),
  );
  if (context.json) {
    const destination = files.outputFile === undefined ? stderr : context.io.stdout;
    write(destination, JSON.stringify(summary));
  } else {
    write(
      stderr,
      `${tty ? '\r\x1b[2K' : ''}${describe(summary)}${summary.interrupted ? ', interrupted' : ''}`,
    );
    if (summary.interrupted) {
      write(stderr, 'Interrupted. Run the same command with --resume to finish.');
    }
  }
  return summary.interrupted ? 1 : 0;
}

async function serveCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse('serve', args, {
    host: { type: 'string' },
    port: { type: 'string' },
    offline: { type: 'boolean' },
    online: { type: 'boolean' },
    models: { type: 'string', multiple: true },
    'max-body': { type: 'string' },
    'request-timeout': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length > 0) {
    throw new UsageError('liftwing serve takes no arguments; name models with --models.');
  }
  const mode = modeOf(values, context.io.env);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const port = positiveInteger('port', values.port, 8080, true);
  if (port > 65535) throw new UsageError('--port must be at most 65535.');
  const maxBodyBytes = positiveInteger('max-body', values['max-body'], DEFAULT_MAX_BODY_BYTES);
  const timeoutSeconds = positiveInteger('request-timeout', values['request-timeout'], 30);

  const known = await context.deps.listModels();
  const requested = ((values.models as string[] | undefined) ?? [])
    .flatMap((list) => list.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  let chosen: { info: ModelInfo; version: string | undefined }[];
  if (requested.length > 0) {
    chosen = requested.map((ref) => {
      const { model, version } = parseModelRef(ref);
      return { info: findModel(known, model), version };
    });
  } else {
    chosen = known
      .filter((info) => context.deps.isInstalled(info.package))
      .map((info) => ({ info, version: undefined }));
    if (chosen.length === 0) {
      throw new ConfigError(
        `No model package is installed. Install one, e.g. npm install ${known[0]?.package ?? '@liftwing/outlink'}`,
      );
    }
  }

  const models: LiftWingModel<unknown, unknown>[] = [];
  const closeModels = () => Promise.all(models.map((model) => model.close()));
  try {
    for (const { info, version } of chosen) {
      models.push(await openModel(context, info, mode, version));
    }
    const server = createLiftWingServer({
      models,
      maxBodyBytes,
      requestTimeoutMs: timeoutSeconds * 1000,
      // No access log at all with --quiet, e.g. under a load test.
      log:
        values.quiet === true
          ? () => {}
          : (entry) => write(context.io.stderr, JSON.stringify(entry)),
    });
    await withSignals(context.io, async (signal) => {
      const address = await server.listen(port, host).catch((error: Error) => {
        throw new ConfigError(
          `Cannot listen on ${host}:${port}: ${error.message}. Choose another --port or --host.`,
          { cause: error },
        );
      });
      const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      const names = models.map((model) => model.name);
      write(
        context.io.stderr,
        context.json
          ? JSON.stringify({ event: 'listening', url, mode, models: names })
          : `liftwing serve: listening on ${url} (${mode}: ${names.join(', ')})`,
      );
      if (!signal.aborted)
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
      write(
        context.io.stderr,
        context.json
          ? JSON.stringify({ event: 'shutdown', signal: String(signal.reason) })
          : `liftwing serve: ${String(signal.reason)}, finishing requests in flight`,
      );
      await server.close();
    });
  } finally {
    await closeModels();
  }
  return 0;
}

async function cacheCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse('cache', args, { 'dry-run': { type: 'boolean' } });
  const [action, ...extra] = positionals;
  if (
    action === undefined ||
    !['ls', 'verify', 'prune', 'path', 'add', 'rm'].includes(action) ||
    extra.length !== ({ add: 2, rm: 1 }[action] ?? 0)
  ) {
    throw new UsageError(
      'Usage: liftwing cache <ls|verify|prune|path> [--json]\n' +
        '       liftwing cache add <model>@<version> <file-or-directory> [--json]\n' +
        '       liftwing cache rm <model>@<version> [--json]',
    );
  }
  if (values['dry-run'] !== undefined && action !== 'prune') {
    throw new UsageError('--dry-run applies to liftwing cache prune only.');
  }
  const cache = context.deps.cache;
  const { stdout } = context.io;
  const style = styleFor(stdout, context.io.env);
  const out = (data: unknown, text: string) =>
    write(stdout, context.json ? JSON.stringify(data, null, 2) : text);

  switch (action) {
    case 'add': {
      const { model, version } = parseModelRef(extra[0]!);
      if (version === undefined) {
        throw new UsageError(
          'Name the version to record: liftwing cache add <model>@<version> <file-or-directory>, ' +
            'e.g. revertrisk@20231117132654-onnx ./bundle',
        );
      }
      const info = findModel(await context.deps.listModels(), model);
      const entry = await cache.add({ model: info.name, version, from: extra[1]! });
      const ref = `${info.alias ?? info.name}@${entry.version}`;
      out(
        entry,
        `Added ${entry.model}@${entry.version} (${formatBytes(entry.bytes)}) at ${entry.path}.\n` +
          `Use it: liftwing predict ${ref} --offline ...`,
      );
      return 0;
    }
    case 'rm': {
      const { model, version } = parseModelRef(extra[0]!);
      if (version === undefined) {
        throw new UsageError(
          'Name the version to remove: liftwing cache rm <model>@<version>, e.g. outlink@20221111111111 (liftwing cache ls lists them)',
        );
      }
      const info = findModel(await context.deps.listModels(), model);
      const { freedBytes } = await cache.remove(info.name, version);
      out(
        { model: info.name, version, freedBytes },
        `Removed ${info.name}@${version} (${formatBytes(freedBytes)} freed); the next pull downloads and checks it afresh.`,
      );
      return 0;
    }
    case 'path':
      out({ path: cache.path() }, cache.path());
      return 0;
    case 'ls': {
      const entries = await cache.list();
      const total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
      out(
        entries,
        entries.length === 0
          ? `The cache (${cache.path()}) is empty.`
          : renderTable(
              ['MODEL', 'VERSION', 'SIZE', 'PATH'],
              entries.map((entry) => [
                entry.model,
                entry.version,
                formatBytes(entry.bytes),
                entry.path,
              ]),
            ) + `${entries.length} version(s), ${formatBytes(total)}`,
      );
      return 0;
    }
    case 'verify': {
      const checks = await cache.verify();
      const bad = checks.filter((check) => !check.ok);
      out(
        checks,
        checks.length === 0
          ? 'Nothing cached to verify.'
          : renderTable(
              ['MODEL', 'VERSION', 'FILE', 'STATUS'],
              checks.map((check) => [
                check.model,
                check.version,
                check.file,
                check.ok ? style.green('ok') : style.red(check.problem ?? 'failed'),
              ]),
            ) +
              (bad.length === 0
                ? 'All files verified.'
                : `${bad.length} file(s) failed; liftwing pull <model> downloads them again.`),
      );
      return bad.length === 0 ? 0 : 1;
    }
    default: {
      const dryRun = values['dry-run'] === true;
      const result = await cache.prune({ dryRun });
      const list = result.removed.map(
        (entry) => `  ${entry.model}@${entry.version}  ${formatBytes(entry.bytes)}`,
      );
      out(
        { ...result, dryRun },
        result.removed.length === 0
          ? 'Nothing to prune.'
          : `${dryRun ? 'Would remove' : 'Removed'} ${result.removed.length} version(s), ` +
              `${formatBytes(result.freedBytes)}:\n${list.join('\n')}`,
      );
      return 0;
    }
  }
}

const COMMANDS: Record<string, (context: Context, args: string[]) => Promise<number>> = {
  models: modelsCommand,
  pull: pullCommand,
  predict: predictCommand,
  serve: serveCommand,
  cache: cacheCommand,
};

const USAGE_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_input',
  'unknown_model',
  'unknown_version',
]);

function report(context: Context, error: unknown): number {
  const { stderr } = context.io;
  // A request the model rejects as Lift Wing would (both page_title and page_id, ...) or a model
  // or version that does not exist is bad usage too; a revision Lift Wing cannot score
  // (revision_error) or a network failure is a failure of the run.
  const usage =
    error instanceof UsageError || (isLiftWingError(error) && USAGE_ERROR_CODES.has(error.code));
  const code =
    error instanceof UsageError ? 'usage' : isLiftWingError(error) ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  if (context.json) {
    write(stderr, JSON.stringify({ error: { code, message } }));
  } else {
    const style = styleFor(stderr, context.io.env);
    write(stderr, `${style.red('liftwing:')} ${message}`);
    if (code === 'internal' && error instanceof Error && error.stack)
      write(stderr, style.dim(error.stack));
  }
  return usage ? 2 : 1;
}

/**
 * Runs the `liftwing` command line with `argv` (without `node` and the script) and resolves with
 * the exit code: 0 success, 1 failure, 2 bad usage. Never rejects.
 */
export async function run(
  argv: readonly string[],
  io: CliIo,
  deps: CliDeps = coreDeps(io.env),
): Promise<number> {
  // `--json` may also come before the command.
  const leadingJson = argv[0] === '--json';
  const [command, ...args] = leadingJson ? argv.slice(1) : argv;
  if (leadingJson && command !== undefined && !command.startsWith('-')) args.push('--json');
  const context: Context = { io, deps, json: leadingJson || args.includes('--json') };
  // A closed stdout or stderr (EPIPE) must not kill a server or lose a batch's results.
  const stopSurviving = survivingStreamErrors([io.stdout, io.stderr]);
  try {
    if (command === undefined) {
      io.stderr.write(HELP['']!);
      return 2;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' && args[0] !== undefined ? args[0] : '';
      if (HELP[topic] === undefined) throw new UsageError(`No command "${topic}".`);
      io.stdout.write(HELP[topic]!);
      return 0;
    }
    if (command === '--version' || command === '-V') {
      write(io.stdout, context.json ? JSON.stringify({ version: CLI_VERSION }) : CLI_VERSION);
      return 0;
    }
    const handler = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (handler === undefined) {
      throw new UsageError(
        `Unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}. ` +
          'Run `liftwing --help` for usage.',
      );
    }
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(HELP[command]!);
      return 0;
    }
    return await handler(context, args);
  } catch (error) {
    return report(context, error);
  } finally {
    stopSurviving();
  }
}
