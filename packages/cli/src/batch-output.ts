/**
 * The output file of a JSONL batch: opened without overwriting results, prepared for `--resume`,
 * and closed once every result is written.
 *
 * @packageDocumentation
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { fileSystemError } from '@liftwing/core';
import { UsageError } from './args.js';

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
