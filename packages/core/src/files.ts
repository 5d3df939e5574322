/**
 * File writing shared by the cache and the registry, safe against crashes and concurrent
 * processes. Internal: not exported from the package.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileSystemError } from './errors.js';

/**
 * `<pid>-<random hex>`, for the names of temporary and partial files: unique to one process and
 * call, and the pid tells a later process whether the file's writer still runs.
 */
export function processUniqueId(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The writer's pid in a name made with {@link processUniqueId}, e.g. `x.123-ab12cd34.tmp`. */
export function writerPid(name: string): number | undefined {
  const pid = /\.(\d+)-[0-9a-f]+\.(?:part|part\.json|tmp)$/.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/**
 * Creates `dir` and its parents, failing with a {@link FileSystemError} that names the real cause:
 * Node's recursive mkdir reports a read-only or full file system as ENOENT, so the first missing
 * directory is created alone again to learn what the system says.
 */
export async function ensureDir(dir: string, hint?: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    let missing = dir;
    while (dirname(missing) !== missing && !(await exists(dirname(missing)))) {
      missing = dirname(missing);
    }
    const cause = await mkdir(missing).then(
      () => error,
      (real: unknown) => real,
    );
    throw fileSystemError(cause, 'create the directory', dir, hint);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Flushes a file's bytes to the disk, so that a rename after it never exposes an empty file. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes a rename in `dir` survive a power cut. Best effort: some systems (Windows) cannot open a
 * directory, and the rename itself is already atomic.
 */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle
    ?.sync()
    .catch(() => {})
    .finally(() => handle.close());
}

/**
 * Renames a complete temporary file over `path` after flushing it to the disk, then flushes the
 * directory: after a crash `path` holds the old content or the new, never a truncated file.
 */
export async function moveIntoPlace(temp: string, path: string): Promise<void> {
  await syncFile(temp);
  await rename(temp, path);
  await syncDir(dirname(path));
}

/**
 * Writes a file by renaming a process-unique temporary file over it, so that a reader (another
 * process included) sees the old content or the new, never a part, even after a crash. A failure
 * is a {@link FileSystemError} naming `path`, with `hint` saying what to do.
 */
export async function writeAtomic(path: string, data: string, hint?: string): Promise<void> {
  const temp = `${path}.${processUniqueId()}.tmp`;
  await ensureDir(dirname(path), hint);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw fileSystemError(error, 'write', path, hint);
  }
  await syncDir(dirname(path));
}
