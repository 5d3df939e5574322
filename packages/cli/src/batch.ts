import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { fileSystemError, InputError, isLiftWingError, type LiftWingModel } from '@liftwing/core';
import { UsageError } from './args.js';
import { checkJsonDepth } from './json.js';
import { type LongLine, readLines } from './lines.js';

/**
 * The JSONL batch runner of `liftwing predict --input-file`: one request per input line, one
 * result per output line in input order, streaming both ways with bounded concurrency.
 *
 * Output lines are written whole and end with `\n`; an interruption can only leave a last line
 * without its `\n`, which {@link prepareResume} detects and removes, so a line that ends with `\n`
 * is always complete. When the output fails (a full disk), nothing more is written after the
 * failure, so the same holds and `--resume` carries on from the last complete line.
 */

/** The default of {@link BatchOptions.maxLineBytes}: 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

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
  /** The model that answers each line, through `handle` as `liftwing serve` does. */
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
  /** Records at the start of the input that are already answered (see {@link prepareResume}). */
  skip?: number;
  /** Requests in flight at once; default 4. */
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

async function answer(
  model: LiftWingModel<unknown, unknown>,
  input: { bytes: Buffer; text: string } | LongLine,
  line: number,
  maxLineBytes: number,
): Promise<{ text: string; ok: boolean }> {
  const fail = (record: BatchErrorLine) => ({ text: JSON.stringify(record), ok: false });
  if ('prefix' in input) {
    return fail({
      line,
      input: prefixOf(input.prefix.toString('utf8')),
      error:
        `The line is ${input.bytes} bytes long, over the limit of ${maxLineBytes} bytes ` +
        '(--max-line); it was not read.',
      code: 'invalid_input',
    });
  }
  const { bytes, text } = input;
  let request: unknown;
  try {
    checkJsonDepth(bytes);
    request = JSON.parse(text);
  } catch (error) {
    return fail({
      line,
      input: prefixOf(text),
      error: `Invalid JSON: ${(error as Error).message}`,
      code: 'invalid_input',
    });
  }
  try {
    return { text: JSON.stringify(await model.handle(request, { rawBody: text })), ok: true };
  } catch (error) {
    const record: BatchErrorLine = { line, input: request, error: String(error) };
    if (error instanceof Error) record.error = error.message;
    if (isLiftWingError(error)) record.code = error.code;
    if (error instanceof InputError) record.status = error.status;
    return fail(record);
  }
}

/**
 * Answers every record of `input` and writes the results to `output` in input order. Per-record
 * failures become error lines ({@link BatchErrorLine}) and the run carries on. Reading pauses while
 * `concurrency` requests are in flight, so memory stays bounded whatever the input size.
 */
export async function runBatch(options: BatchOptions): Promise<BatchSummary> {
  const concurrency = options.concurrency ?? 4;
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

  try {
    let lineNumber = 0;
    for await (const raw of linesOf(
      options.input,
      maxLineBytes,
      options.inputName ?? 'the input',
    )) {
      lineNumber++;
      const line = 'prefix' in raw ? raw : lineOf(raw);
      if ('text' in line && line.text.trim() === '') continue;
      const record = records++;
      if (record < skip) continue;
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      // A slow record holds back the ones after it, which wait in `settled`; bound both.
      while (inFlight.size >= concurrency || settled.size >= concurrency * 8) {
        await Promise.race(inFlight);
      }
      if (output.writableNeedDrain && outputError === undefined) {
        await Promise.race([once(output, 'drain').catch(() => {}), outputFailed]);
      }
      if (outputError !== undefined) break;
      const task = answer(options.model, line, lineNumber, maxLineBytes).then((result) => {
        inFlight.delete(task);
        settled.set(record, result.text);
        done++;
        if (!result.ok) failed++;
        flush();
        options.onProgress?.(progress());
      });
      inFlight.add(task);
    }
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

/** What {@link prepareResume} found in an output file. */
export interface ResumeState {
  /** Complete records in the file: the number of input records to skip. */
  records: number;
  /** Bytes removed from the end: a partly written last line, or lines after a corrupt one. */
  truncatedBytes: number;
}

/**
 * Reads an output file left by an interrupted run, counts its complete lines, and cuts off what
 * follows the last complete one: a line without its `\n`, or anything from the first line that is
 * not JSON (a crash of the machine, rather than of the process, can leave such bytes). A missing
 * file is an empty one.
 */
export async function prepareResume(path: string): Promise<ResumeState> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { records: 0, truncatedBytes: 0 };
    throw error;
  }
  let records = 0;
  let goodBytes = 0;
  let pending: Buffer[] = [];
  let corrupt = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    let end = chunk.indexOf(0x0a, start);
    while (end !== -1) {
      pending.push(chunk.subarray(start, end));
      const line = Buffer.concat(pending);
      pending = [];
      try {
        JSON.parse(line.toString('utf8'));
      } catch {
        corrupt = true;
        break;
      }
      records++;
      goodBytes += line.length + 1;
      start = end + 1;
      end = chunk.indexOf(0x0a, start);
    }
    if (corrupt) break;
    pending.push(chunk.subarray(start));
  }
  if (goodBytes < size) await truncate(path, goodBytes);
  return { records, truncatedBytes: size - goodBytes };
}

/**
 * Opens the output file of a batch: appended to after {@link prepareResume} when resuming, else
 * created, refusing to overwrite a file that has content.
 */
export async function openOutputFile(path: string, resume: boolean): Promise<Writable> {
  if (!resume) {
    // An empty file (made by the shell, say) is fine to use; results are never overwritten.
    const handle = await open(path, 'a').catch((error: unknown) => {
      throw fileSystemError(error, 'open', path);
    });
    const { size } = await handle.stat();
    await handle.close();
    if (size > 0) {
      throw new OutputExistsError(path);
    }
  }
  const stream = createWriteStream(path, { flags: 'a' });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw fileSystemError(error, 'open', path);
  }
  return stream;
}

/** Ends an output file of {@link openOutputFile}: resolves once every result is written. */
export function closeOutputFile(stream: Writable, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    stream.end((error?: Error | null) =>
      error ? reject(fileSystemError(error, 'write', path)) : resolve(),
    ),
  );
}

/** The output file of a batch already has results and `--resume` was not given. */
export class OutputExistsError extends UsageError {
  constructor(readonly path: string) {
    super(
      `${path} already has results. Add --resume to carry on where that run stopped, ` +
        'or remove the file to start over.',
    );
  }
}
