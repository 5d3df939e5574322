/**
 * A cross-process lock file, so that many processes asking for one artifact download it once.
 *
 * The lock is an optimisation, not what keeps the cache correct: every download goes to a
 * process-unique file that is renamed into place only when complete and verified. So a lock that
 * is wrongly judged stale costs at most a second download, never a corrupt entry.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileSystemError, LiftWingError } from './errors.js';
import { ensureDir, processUniqueId, writeAtomic } from './files.js';

/** How a lock is taken. */
export interface LockOptions {
  /** Cancels waiting. */
  signal?: AbortSignal;
  /**
   * A lock whose holder has not refreshed it for this long is stale (the holder refreshes it every
   * third of this). A holder on this host that no longer runs is stale at once. Default 30 s.
   */
  staleMs?: number;
}

interface Owner {
  pid: number;
  host: string;
  token: string;
}

const DEFAULT_STALE_MS = 30_000;

/** True when `pid` names a running process on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The lock's holder; `garbage` when the file holds no owner (a lock file is always complete, see
 * {@link createLock}, so that is never one being written). A directory where the lock file
 * should be is an error: nothing liftwing makes, and removing it could destroy someone's data.
 */
async function readOwner(path: string): Promise<Owner | 'garbage' | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw fileSystemError(
      error,
      'read the lock file',
      path,
      'Remove it: it is not a liftwing lock.',
    );
  }
  try {
    const owner = JSON.parse(text) as Partial<Owner>;
    const valid =
      typeof owner.pid === 'number' &&
      typeof owner.host === 'string' &&
      typeof owner.token === 'string';
    return valid ? (owner as Owner) : 'garbage';
  } catch {
    return 'garbage';
  }
}

function tokenOf(owner: Owner | 'garbage' | undefined): string | undefined {
  return typeof owner === 'object' ? owner.token : owner;
}

async function isStale(
  path: string,
  owner: Owner | 'garbage' | undefined,
  staleMs: number,
): Promise<boolean> {
  if (owner === 'garbage') return true;
  if (owner !== undefined && owner.host === hostname() && !processAlive(owner.pid)) return true;
  try {
    return Date.now() - (await stat(path)).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

/**
 * Creates the lock file with `me` in it, or returns false when it exists. The owner is written
 * to a temporary file that is then hard-linked into place, so the lock file appears complete,
 * never empty or half written.
 */
async function createLock(path: string, me: Owner): Promise<boolean> {
  const temp = `${path}.${processUniqueId()}.tmp`;
  try {
    await writeAtomic(
      temp,
      JSON.stringify(me),
      'Free some disk space or use a writable cache directory.',
    );
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileSystemError(error, 'create the lock file', path, 'Use a writable cache directory.');
  } finally {
    await rm(temp, { force: true }).catch(() => {});
  }
}

/**
 * Runs `fn` while holding the lock file `path`, waiting for another holder to finish first.
 * A holder that crashed leaves a lock that the next process recognises as stale and removes.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const me: Owner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  await ensureDir(dirname(path));
  for (let wait = 20; ; wait = Math.min(wait * 1.5, 250)) {
    if (await createLock(path, me)) break;
    const owner = await readOwner(path);
    if (await isStale(path, owner, staleMs)) {
      // Remove only the lock we judged stale, not one a third process has taken since.
      if (tokenOf(await readOwner(path)) === tokenOf(owner)) await rm(path, { force: true });
      continue;
    }
    if (options.signal?.aborted) {
      throw new LiftWingError('aborted', `Gave up waiting for the lock ${path}.`, {
        cause: options.signal.reason,
      });
    }
    await sleep(wait * (0.5 + Math.random()));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, staleMs / 3);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    const owner = await readOwner(path).catch(() => undefined);
    if (tokenOf(owner) === me.token) await rm(path, { force: true });
  }
}
