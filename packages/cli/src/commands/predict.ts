import { constants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { isLiftWingError, type LiftWingModel } from '@liftwing/core';
import {
  inFlagTerms,
  type OptionSpec,
  parseOptions,
  requestFlags,
  requestFromFlags,
  requestFromJson,
  requestOptions,
  UsageError,
  unknownPredictOption,
} from '../args.js';
import {
  type BatchRunProgress,
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_LINE_BYTES,
  runBatch,
} from '../batch.js';
import { closeOutputFile, openOutputFile, prepareResume } from '../batch-output.js';
import {
  type Context,
  downloadPolicy,
  MODE_OPTIONS,
  modeOf,
  openModel,
  positiveInteger,
  withSignals,
  workersOption,
  write,
} from '../context.js';
import { modelHelp } from '../help.js';
import { definitionOf, findModel, parseModelRef } from '../models.js';
import { createStatusLine } from '../output.js';

/** The options of `predict` itself; a model's request flags come from its definition. */
const PREDICT_OPTIONS: OptionSpec = {
  ...MODE_OPTIONS,
  input: { type: 'string' },
  'input-file': { type: 'string' },
  'output-file': { type: 'string' },
  resume: { type: 'boolean' },
  concurrency: { type: 'string' },
  'batch-size': { type: 'string' },
  'max-line': { type: 'string' },
};

/** Bounds of the lines held in memory: batches of at most this many lines... */
const MAX_BATCH_SIZE = 10_000;
/** ...and at most this many batches in flight. */
const MAX_CONCURRENCY = 256;

const BATCH_ONLY = ['output-file', 'resume', 'concurrency', 'batch-size', 'max-line'];

/** The model named first among `args`, before its own flags are known. */
export function modelArgument(args: readonly string[]): string | undefined {
  // The model's flags are not known yet: the first word that is no value of predict's own string
  // options names it (request flags come after the model, as every example shows).
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      const name = arg.replace(/^--?/, '').split('=')[0]!;
      const spec = PREDICT_OPTIONS[name];
      if (spec?.type === 'string' && !arg.includes('=')) i++;
      continue;
    }
    words.push(arg);
  }
  return words[0];
}

/** `liftwing predict <model>[@<version>] (<request flags> | --input <json> | --input-file <jsonl>)`. */
export async function predictCommand(context: Context, args: string[]): Promise<number> {
  const named = modelArgument(args);
  if (named === undefined) {
    throw new UsageError(
      'Name one model: liftwing predict <model> ... (liftwing models lists them).',
    );
  }
  const ref = parseModelRef(named);
  const info = findModel(await context.deps.listModels(), ref.model);
  const definition = definitionOf(info);
  if (args.includes('--help') || args.includes('-h')) {
    context.io.stdout.write(modelHelp(definition));
    return 0;
  }
  const { values, positionals } = parseOptions(
    'predict',
    args,
    { ...PREDICT_OPTIONS, ...requestOptions(definition) },
    unknownPredictOption(definition),
  );
  if (positionals.length !== 1) {
    throw new UsageError(
      `Name one model, then its flags: liftwing predict ${definition.alias} ... ` +
        `(extra words: ${positionals.slice(1).join(' ')}).`,
    );
  }
  const mode = modeOf(values, context.io.env);
  const download = downloadPolicy(values, context.io.env, mode);
  const flagValues = values as Record<string, string | boolean | undefined>;
  const hasFlags = requestFlags(definition).some(({ flag }) => values[flag] !== undefined);
  const inputFile = values['input-file'] as string | undefined;
  const outputFile = values['output-file'] as string | undefined;
  const resume = values.resume === true;

  if (inputFile === undefined) {
    for (const flag of BATCH_ONLY) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --input-file.`);
    }
    if (hasFlags && values.input !== undefined) {
      throw new UsageError('Give the request either as flags or as --input JSON, not both.');
    }
    if (!hasFlags && values.input === undefined) {
      throw new UsageError(
        `No request: give request flags or --input. Run \`liftwing predict ${definition.alias} --help\` for the flags.`,
      );
    }
  } else if (hasFlags || values.input !== undefined) {
    throw new UsageError('--input-file takes the requests from the file; drop the request flags.');
  } else if (resume && outputFile === undefined) {
    throw new UsageError('--resume needs --output-file, the file to carry on.');
  }
  const concurrency = positiveInteger('concurrency', values.concurrency, 4);
  const batchSize = positiveInteger('batch-size', values['batch-size'], DEFAULT_BATCH_SIZE);
  // Lines of a batch are held in memory until it is answered, times --concurrency batches.
  if (batchSize > MAX_BATCH_SIZE || concurrency > MAX_CONCURRENCY) {
    throw new UsageError(
      `--batch-size is at most ${MAX_BATCH_SIZE} and --concurrency at most ${MAX_CONCURRENCY}: ` +
        'the lines in flight are held in memory.',
    );
  }
  const maxLineBytes = positiveInteger('max-line', values['max-line'], DEFAULT_MAX_LINE_BYTES);
  const workers = workersOption(values.workers);

  if (inputFile === undefined) {
    // The request is checked before a model loads, which may take long.
    const request = hasFlags
      ? requestFromFlags(definition, flagValues)
      : requestFromJson(values.input as string, definition);
    const model = await openModel(context, info, mode, ref.version, { workers, download });
    try {
      let result: unknown;
      try {
        result = await model.handle(request, { rawBody: values.input as string | undefined });
      } catch (error) {
        // The error is this call's own, so its message can be put in the words the user typed.
        if (hasFlags && isLiftWingError(error, 'invalid_input')) {
          error.message = inFlagTerms(definition, error.message);
        }
        throw error;
      }
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
    const model = await openModel(context, info, mode, ref.version, { workers, download });
    try {
      code = await batch(context, model, files, { concurrency, batchSize, maxLineBytes });
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
  limits: { concurrency: number; batchSize: number; maxLineBytes: number },
): Promise<number> {
  const { stderr } = context.io;
  const status = createStatusLine(stderr, { quiet: context.json });
  const describe = (progress: BatchRunProgress) => {
    const rate = progress.seconds > 0 ? progress.done / progress.seconds : 0;
    return (
      `${progress.done} answered: ${progress.done - progress.failed} ok, ${progress.failed} failed` +
      (progress.skipped > 0 ? `, ${progress.skipped} skipped` : '') +
      `, ${rate.toFixed(1)}/s, ${progress.seconds.toFixed(1)} s`
    );
  };
  const onProgress = (progress: BatchRunProgress) => status.update(() => describe(progress));

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
    status.done(`${describe(summary)}${summary.interrupted ? ', interrupted' : ''}`);
    if (summary.interrupted) {
      write(stderr, 'Interrupted. Run the same command with --resume to finish.');
    }
  }
  return summary.interrupted ? 1 : 0;
}
