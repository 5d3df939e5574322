import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import {
  type BatchResult,
  fileSystemError,
  InputError,
  isLiftWingError,
  type LiftWingModel,
} from '@liftwing/core';
import { checkJsonDepth } from './json.js';
import { type LongLine, readLines } from './lines.js';

/**
 * The JSONL batch runner of `liftwing predict --input-file`: one request per input line, one
 * result per output line in input order, streaming both ways with bounded work in flight. Lines
 * reach the model in batches through its `handleMany`, so a model whose server batches (revert
 * risk's `instances`) spends few requests of the user's rate limit.
 *
 * Output lines are written whole and end with `\n`; an interruption can only leave a last line
 * without its `\n`, which `prepareResume` detects and removes, so a line that ends with `\n`
 * is always complete. When the output fails (a full disk), nothing more is written after the
 * failure, so the same holds and `--resume` carries on from the last complete line.
 */

/** The default of {@link BatchOptions.maxLineBytes}: 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** The default of {@link BatchOptions.batchSize}. */
export const DEFAULT_BATCH_SIZE = 50;

/**
 * How long a started batch waits for more lines before it goes to the model: a slow stream
 * (`tail -f | liftwing predict ...`) is answered line by line rather than held back.
 */
const BATCH_WAIT_MS = 20;

/** Characters of a line kept in its error line when it is not a request. */
const INPUT_PREFIX = 200;

/** Progress of a batch run, reported as lines settle. */
export interface BatchRunProgress {
  /** Records answered in this run (successes and failures). */
  done: number;
  /** Records answered with an error line in this run. */
  failed: number;
  /** Records skipped because a resumed output file already had them. */
  skipped: number;
  /** Seconds since the run started. */
  seconds: number;
}

/** How a batch run ended. */
export interface BatchSummary extends BatchRunProgress {
  /** True when the run stopped early on its signal; rerun with `resume` to finish it. */
  interrupted: boolean;
}

export interface BatchOptions {
  /** The model that answers the lines, through `handleMany`. */
  model: LiftWingModel<unknown, unknown>;
  /** JSONL requests. Blank lines are ignored (and do not count as records). */
  input: Readable;
  /** Where the results go. */
  output: Writable;
  /** How errors name the input, e.g. its path; default `the input`. */
  inputName?: string;
  /** How errors name the output, e.g. its path; default `the output`. */
  outputName?: string;
  /** Said after the error of an output that failed, e.g. how to finish the run. */
  outputHint?: string;
  /**
   * Longest input line, in bytes; a longer one is answered with an error line, unread, and the
   * run carries on. Default {@link DEFAULT_MAX_LINE_BYTES}.
   */
  maxLineBytes?: number;
  /** Records at the start of the input that are already answered (see `prepareResume`). */
  skip?: number;
  /** Lines handed to the model at once; default {@link DEFAULT_BATCH_SIZE}. */
  batchSize?: number;
  /** Batches in flight at once; default 4. */
  concurrency?: number;
  /** Stops reading new lines; lines in flight are still answered and written. */
  signal?: AbortSignal;
  onProgress?: (progress: BatchRunProgress) => void;
}

/** The error line of a record that failed: `error` is always present, success lines never have it. */
export interface BatchErrorLine {
  /** 1-based line number in the input file. */
  line: number;
  /** The request as parsed, or the first 200 characters of the line when it was not a request. */
  input: unknown;
  error: string;
  /** The liftwing error code, when the error was a liftwing error. */
  code?: string;
  /** The HTTP status Lift Wing would have answered, for input errors. */
  status?: number;
}

/** A line that is a request, waiting for its batch. */
interface Pending {
  record: number;
  line: number;
  body: unknown;
  text: string;
}

/** The lines of `input`, a read failure as the {@link FileSystemError} of `name`. */
async function* linesOf(input: Readable, maxBytes: number, name: string) {
  try {
    yield* readLines(input, maxBytes);
  } catch (error) {
    throw fileSystemError(error, 'read', name);
  }
}

const CR = 0x0d;

/** A line without the `\r` of a CRLF file, as bytes and as text. */
function lineOf(line: Buffer): { bytes: Buffer; text: string } {
  const bytes = line.at(-1) === CR ? line.subarray(0, -1) : line;
  return { bytes, text: bytes.toString('utf8') };
}

/** The start of a line that is not a request, for its error line: never the whole of a huge line. */
const prefixOf = (text: string) =>
  text.length > INPUT_PREFIX ? text.slice(0, INPUT_PREFIX) : text;

/** The request a line holds, or the error line of a line that holds none. */
function parseLine(
  input: { bytes: Buffer; text: string } | LongLine,
  line: number,
  maxLineBytes: number,
): { body: unknown; text: string } | BatchErrorLine {
  if ('prefix' in input) {
    return {
      line,
      input: prefixOf(input.prefix.toString('utf8')),
      error:
        `The line is ${input.bytes} bytes long, over the limit of ${maxLineBytes} bytes ` +
        '(--max-line); it was not read.',
      code: 'invalid_input',
    };
  }
  const { bytes, text } = input;
  try {
    checkJsonDepth(bytes);
    return { body: JSON.parse(text), text };
  } catch (error) {
    return {
      line,
      input: prefixOf(text),
      error: `Invalid JSON: ${(error as Error).message}`,
      code: 'invalid_input',
    };
  }
}

/** The error line of a request that failed. */
function errorLine(item: Pending, error: unknown): BatchErrorLine {
  const record: BatchErrorLine = { line: item.line, input: item.body, error: String(error) };
  if (error instanceof Error) record.error = error.message;
  if (isLiftWingError(error)) record.code = error.code;
  if (error instanceof InputError) record.status = error.status;
  return record;
}

/**
 * The results of one batch. A batch the model rejects as a whole (a bug in the model, not a bad
 * request) is answered line by line, so that the failure is pinned on its line and the others
 * still get answers.
 */
async function answerBatch(
  model: LiftWingModel<unknown, unknown>,
  items: readonly Pending[],
): Promise<{ text: string; ok: boolean }[]> {
  let results: BatchResult<unknown>[];
  try {
    results = await model.handleMany(items.map(({ body, text }) => ({ body, rawBody: text })));
  } catch {
    results = await Promise.all(
      items.map((item) =>
        model.handle(item.body, { rawBody: item.text }).then(
          (value): BatchResult<unknown> => ({ ok: true, value }),
          (error): BatchResult<unknown> => ({ ok: false, error }),
        ),
      ),
    );
  }
  return results.map((result, i) =>
    result.ok
      ? { text: JSON.stringify(result.value), ok: true }
      : { text: JSON.stringify(errorLine(items[i]!, result.error)), ok: false },
  );
}

/**
 * Answers every record of `input` and writes the results to `output` in input order. Per-record
 * failures become error lines ({@link BatchErrorLine}) and the run carries on. Reading pauses while
 * `concurrency` batches are in flight, so memory stays bounded whatever the input size.
 */
export async function runBatch(options: BatchOptions): Promise<BatchSummary> {
  const concurrency = options.concurrency ?? 4;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const skip = options.skip ?? 0;
  const started = performance.now();
  const progress = (): BatchRunProgress => ({
    done,
    failed,
    skipped: Math.min(skip, records),
    seconds: (performance.now() - started) / 1000,
  });

  let records = 0;
  let done = 0;
  let failed = 0;
  let nextToWrite = skip;
  const settled = new Map<number, string>();
  const inFlight = new Set<Promise<void>>();
  let interrupted = false;
  let batch: Pending[] = [];

  const { output } = options;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // The first failure of the output (a full disk, a closed pipe) ends the run: nothing is written
  // after it, so the output ends with complete lines and perhaps one partly written.
  let outputError: unknown;
  let onOutputError!: (error: unknown) => void;
  const outputFailed = new Promise<void>((resolve) => {
    onOutputError = (error) => {
      outputError ??= error;
      resolve();
    };
  });
  output.on('error', onOutputError);

  const flush = () => {
    let chunk = '';
    for (let text = settled.get(nextToWrite); text !== undefined; text = settled.get(nextToWrite)) {
      settled.delete(nextToWrite);
      chunk += text + '\n';
      nextToWrite++;
    }
    if (chunk !== '' && outputError === undefined) output.write(chunk);
  };
  const settle = (record: number, text: string, ok: boolean) => {
    settled.set(record, text);
    done++;
    if (!ok) failed++;
  };
  const dispatch = () => {
    const items = batch;
    batch = [];
    if (items.length === 0) return;
    const task = answerBatch(options.model, items).then((answers) => {
      inFlight.delete(task);
      answers.forEach((answer, i) => {
        settle(items[i]!.record, answer.text, answer.ok);
      });
      flush();
      options.onProgress?.(progress());
    });
    inFlight.add(task);
  };
  // A slow batch holds back the ones after it, which wait in `settled`; bound both.
  const room = async () => {
    while (inFlight.size >= concurrency || settled.size >= concurrency * batchSize * 2) {
      await Promise.race(inFlight);
    }
    if (output.writableNeedDrain && outputError === undefined) {
      await Promise.race([once(output, 'drain').catch(() => {}), outputFailed]);
    }
  };

  try {
    const lines = linesOf(options.input, maxLineBytes, options.inputName ?? 'the input');
    let lineNumber = 0;
    let next = lines.next();
    for (;;) {
      let step = batch.length === 0 ? await next : await raceTimer(next, BATCH_WAIT_MS);
      if (step === undefined) {
        // No line for a while: the started batch goes now.
        await room();
        dispatch();
        step = await next;
      }
      if (step.done) break;
      next = lines.next();
      const raw = step.value;
      lineNumber++;
      const line = 'prefix' in raw ? raw : lineOf(raw);
      if ('text' in line && line.text.trim() === '') continue;
      const record = records++;
      if (record < skip) continue;
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const parsed = parseLine(line, lineNumber, maxLineBytes);
      if ('error' in parsed) {
        settle(record, JSON.stringify(parsed), false);
        flush();
        options.onProgress?.(progress());
      } else {
        batch.push({ record, line: lineNumber, ...parsed });
      }
      if (batch.length >= batchSize) {
        await room();
        if (outputError !== undefined) break;
        dispatch();
      }
      if (outputError !== undefined) break;
    }
    if (outputError === undefined) dispatch();
    // A read still pending when the loop stopped early must not reject unobserved, and the
    // input is closed once it settles.
    next.catch(() => {});
    lines.return(undefined).catch(() => {});
    await Promise.all(inFlight);
    // A write's callback runs once every earlier write is done: whether all results got out. The
    // 'error' event may come later than the callbacks; `errored` has the first error already.
    if (outputError === undefined) {
      await new Promise<void>((resolve) =>
        output.write('', (error) => {
          if (error) onOutputError(output.errored ?? error);
          resolve();
        }),
      );
    }
    if (outputError !== undefined) {
      throw fileSystemError(
        outputError,
        'write',
        options.outputName ?? 'the output',
        options.outputHint,
      );
    }
  } finally {
    // A failed output may still emit its error; the listener stays to take it.
    if (outputError === undefined) output.off('error', onOutputError);
  }
  return { ...progress(), interrupted };
}

/** `promise`'s value, or undefined when it takes longer than `ms`. */
async function raceTimer<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
