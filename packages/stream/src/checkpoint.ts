/**
 * A checkpoint file: where a source stood after the last event whose result the sink has, so
 * that a run that stopped (SIGTERM, a crash, a reboot) carries on from there. Written to a
 * temporary file and renamed over the old one, so that a crash mid-write leaves the old one whole.
 *
 * @packageDocumentation
 */
import { constants } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, fileSystemError } from '@liftwing/core';

/**
 * The most a checkpoint file is read: one EventStreams position per partition is a few hundred
 * bytes, so anything this large is some other file.
 */
const MAX_CHECKPOINT_BYTES = 64 * 1024;

/** The first `maxBytes` of the file at `path` as UTF-8, and whether that is all of it. */
async function readStart(
  path: string,
  maxBytes: number,
): Promise<{ text: string; whole: boolean }> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let size = 0;
    while (size < buffer.length) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, size);
      if (bytesRead === 0) break;
      size += bytesRead;
    }
    return { text: buffer.toString('utf8', 0, Math.min(size, maxBytes)), whole: size <= maxBytes };
  } finally {
    await handle.close();
  }
}

/** What a checkpoint file holds. */
export interface CheckpointRecord {
  /** The source the position is of, e.g. `eventstreams:mediawiki.recentchange`. */
  source: string;
  /** The source's position (an EventStreams id, a line count). */
  position: unknown;
  /** When it was written, ISO 8601. */
  at: string;
}

/** A checkpoint file of one source. */
export class Checkpoint {
  readonly path: string;
  readonly source: string;

  constructor(path: string, source: string) {
    this.path = path;
    this.source = source;
  }

  /**
   * The position kept in the file; undefined when there is no file yet. Also checks that the
   * file can be written, so that a run fails before its first event rather than at its first
   * checkpoint, with output already written.
   *
   * @throws {ConfigError} for a file that is no checkpoint, one of another source, or one in a
   *   folder that is missing or not writable.
   */
  async read(): Promise<unknown> {
    const folder = dirname(this.path);
    try {
      await access(folder, constants.W_OK);
    } catch (error) {
      const missing = (error as { code?: unknown }).code === 'ENOENT';
      throw new ConfigError(
        `The checkpoint file ${this.path} cannot be written: its folder ${folder} ${missing ? 'does not exist' : 'is not writable'}; create it, or name a file elsewhere.`,
      );
    }
    let read: { text: string; whole: boolean };
    try {
      read = await readStart(this.path, MAX_CHECKPOINT_BYTES);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
      throw fileSystemError(error, 'read the checkpoint file', this.path);
    }
    if (!read.whole) {
      throw new ConfigError(
        `The checkpoint file ${this.path} is larger than a checkpoint can be (${MAX_CHECKPOINT_BYTES / 1024} KiB); name another file, or remove it to start afresh.`,
      );
    }
    const { text } = read;
    let record: Partial<CheckpointRecord> | undefined;
    try {
      record = JSON.parse(text) as Partial<CheckpointRecord>;
    } catch {
      record = undefined;
    }
    if (typeof record !== 'object' || record === null || typeof record.source !== 'string') {
      throw new ConfigError(
        `The checkpoint file ${this.path} is not one of liftwing's ({"source", "position", "at"}); name another file, or remove it to start afresh.`,
      );
    }
    if (record.source !== this.source) {
      throw new ConfigError(
        `The checkpoint file ${this.path} is of the source ${record.source}, not ${this.source}; name another file for this source.`,
      );
    }
    return record.position;
  }

  /** Keeps `position`, replacing the file whole. */
  async write(position: unknown): Promise<void> {
    const record: CheckpointRecord = {
      source: this.source,
      position,
      at: new Date().toISOString(),
    };
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      // On disk before the rename, so that after a power cut the file is the old or the new one,
      // never an empty one.
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(`${JSON.stringify(record)}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      throw fileSystemError(error, 'write the checkpoint file', this.path);
    }
  }
}
