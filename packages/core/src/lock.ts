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
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LiftWingError } from './errors.js';

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

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

async function isStale(path: string, owner: Owner | undefined, staleMs: number): Promise<boolean> {
  if (owner !== undefined && owner.host === hostname() && !processAlive(owner.pid)) return true;
  try {
    return Date.now() - (await stat(path)).mtimeMs > staleMs;
  } catch {
    return false;
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
  await mkdir(dirname(path), { recursive: true });
  for (let wait = 20; ; wait = Math.min(wait * 1.5, 250)) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(path);
    if (await isStale(path, owner, staleMs)) {
      // Remove only the lock we judged stale, not one a third process has taken since.
      const again = await readOwner(path);
      if (again?.token === owner?.token) await rm(path, { force: true });
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
    if ((await readOwner(path))?.token === me.token) await rm(path, { force: true });
  }
}
