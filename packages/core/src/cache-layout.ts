/**
 * The names and paths of the cache directory's layout, shared by the cache and the registry
 * (which reads the cache's local registry).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { ENV } from './config.js';

/** The file in the cache directory that records versions added from local files. */
export const LOCAL_REGISTRY_FILE = 'local-registry.json';

export const CACHEDIR_TAG =
  'Signature: 8a477f597d28d172789f06886806bc55\n' +
  '# This file is a cache directory tag created by liftwing (model artifacts).\n' +
  '# For information about cache directory tags, see https://bford.info/cachedir/\n';

export const DISK_HINT = `Free some disk space, or set ${ENV.cacheDir} to a writable directory.`;

/** The record file name of one (model, version, artifact). */
export function recordKey(model: string, version: string, name: string): string {
  return createHash('sha256').update(`${model}\0${version}\0${name}`).digest('hex').slice(0, 40);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
