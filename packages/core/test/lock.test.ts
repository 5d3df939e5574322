import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from '../src/lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('withLock', () => {
  it.each([
    ['garbage', 'not json at all'],
    ['an empty file', ''],
    ['JSON that names no owner', '{"pid":"x"}'],
  ])('takes over a lock file holding %s at once', async (_, content) => {
    const path = join(dir, 'a.lock');
    await writeFile(path, content);
    const began = Date.now();
    // A wait for the 30 s stale limit would time the test out.
    await expect(withLock(path, async () => 'ran')).resolves.toBe('ran');
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a directory where the lock file should be, with a typed error', async () => {
    const path = join(dir, 'b.lock');
    await mkdir(path);
    await expect(withLock(path, async () => 'ran')).rejects.toMatchObject({
      name: 'FileSystemError',
      code: 'is_a_directory',
      path,
      message: expect.stringContaining('Remove it'),
    });
  });
});
