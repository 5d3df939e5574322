/**
 * File writing shared by the cache and the registry, safe against crashes and concurrent
 * processes. Internal: not exported from the package.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `<pid>-<random hex>`, for the names of temporary and partial files: unique to one process and
 * call, and the pid tells a later process whether the file's writer still runs.
 */
export function processUniqueId(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes a file by renaming a process-unique temporary file over it, so that a reader (another
 * process included) sees the old content or the new, never a part, even after a crash.
 */
export async function writeAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${processUniqueId()}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}
