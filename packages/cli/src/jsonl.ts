/**
 * The JSONL files of `evaluate`, `compare` and `drift`: read whole, since their metrics need every
 * line at once, one JSON object per line (blank lines skipped).
 *
 * @packageDocumentation
 */
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from '@liftwing/core';
import { UsageError } from './args.js';
import { DEFAULT_MAX_LINE_BYTES } from './batch.js';
import { parseJson } from './json.js';
import { readLines } from './lines.js';

/** One record of a JSONL file and the line it was on (1-based). */
export interface JsonlRecord {
  line: number;
  value: Record<string, unknown>;
}

/**
 * The records of the JSONL file at `path` (`-`: `stdin`), for `--<flag>`.
 *
 * @throws {UsageError} when the file cannot be read; {@link InputError} naming the line that is
 *   not a JSON object.
 */
export async function readJsonl(
  path: string,
  flag: string,
  stdin: Readable,
): Promise<JsonlRecord[]> {
  if (path !== '-') {
    try {
      await access(path, constants.R_OK);
    } catch (error) {
      throw new UsageError(`Cannot read --${flag} ${path}: ${(error as Error).message}`);
    }
  }
  const input = path === '-' ? stdin : createReadStream(path);
  const name = path === '-' ? 'stdin' : path;
  const records: JsonlRecord[] = [];
  let line = 0;
  for await (const read of readLines(input, DEFAULT_MAX_LINE_BYTES)) {
    line++;
    if (!Buffer.isBuffer(read)) {
      throw new InputError(
        `${name} line ${line} is ${read.bytes} bytes, longer than the ${DEFAULT_MAX_LINE_BYTES} a line may be.`,
      );
    }
    const text = read.toString('utf8').trim();
    if (text === '') continue;
    let value: unknown;
    try {
      value = parseJson(text);
    } catch (error) {
      throw new InputError(`${name} line ${line} is not JSON: ${(error as Error).message}.`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError(`${name} line ${line} is not a JSON object (one request per line).`);
    }
    records.push({ line, value: value as Record<string, unknown> });
  }
  if (records.length === 0) throw new InputError(`${name} has no lines to read.`);
  return records;
}
