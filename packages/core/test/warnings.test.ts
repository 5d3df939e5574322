import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ArtifactServer,
  bytes,
  type FakeGateway,
  startArtifactServer,
  startFakeGateway,
  writeRegistry,
} from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  buildUserAgent,
  checkForUpdates,
  ensureModel,
  LiftWingClient,
  loadBuiltInCatalogue,
  resolveSettings,
  resolveWarnings,
} from '../src/index.js';
import { resetWarnings, warn } from '../src/warnings.js';

/** What this process writes on stderr while the test runs, and whether Node warned instead. */
function watchStderr() {
  const lines: string[] = [];
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  return {
    lines,
    emitWarning,
    restore() {
      write.mockRestore();
      emitWarning.mockRestore();
    },
  };
}

let stderr: ReturnType<typeof watchStderr>;
beforeEach(() => {
  resetWarnings();
  stderr = watchStderr();
});
afterEach(() => {
  stderr.restore();
  vi.unstubAllEnvs();
});

describe('warn', () => {
  it('writes one line of its own, once per process and kind', () => {
    const on = { warnings: true };
    expect(warn('no-contact', 'first\n  on two lines', on)).toBe(true);
    expect(warn('no-contact', 'again', on)).toBe(false);
    expect(warn('trust-on-first-use', 'another kind', on)).toBe(true);
    expect(stderr.lines).toEqual([
      'liftwing: warning: first on two lines\n',
      'liftwing: warning: another kind\n',
    ]);
    expect(stderr.emitWarning).not.toHaveBeenCalled();
  });

  it('writes nothing when the settings say warnings: false, and still warns for others', () => {
    expect(warn('no-contact', 'silenced', { warnings: false })).toBe(false);
    expect(warn('no-contact', 'heard', { warnings: true })).toBe(true);
    expect(stderr.lines).toEqual(['liftwing: warning: heard\n']);
  });

  it('never calls process.emitWarning anywhere in core', async () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    for (const name of (await readdir(src)).filter((n) => n.endsWith('.ts'))) {
      expect(await readFile(join(src, name), 'utf8'), name).not.toMatch(/emitWarning\(/);
    }
  });
});

describe('the warnings setting', () => {
  it('is the option, else LIFTWING_NO_WARNINGS of the environment given, else the process’s', () => {
    // This repository's vitest configs set LIFTWING_NO_WARNINGS=1 for every test process.
    expect(resolveWarnings(undefined, {})).toBe(false);
    expect(resolveWarnings(true, { LIFTWING_NO_WARNINGS: '1' })).toBe(true);
    expect(resolveWarnings(undefined, { LIFTWING_NO_WARNINGS: '0' })).toBe(true);
    vi.stubEnv('LIFTWING_NO_WARNINGS', '');
    expect(resolveWarnings(undefined, {})).toBe(true);
    expect(resolveWarnings(undefined, { LIFTWING_NO_WARNINGS: 'yes' })).toBe(false);
    expect(resolveSettings({ warnings: false }, {}).warnings).toBe(false);
    expect(resolveSettings({}, {}).warnings).toBe(true);
    expect(() => resolveWarnings(undefined, { LIFTWING_NO_WARNINGS: 'maybe' })).toThrow(
      /LIFTWING_NO_WARNINGS="maybe" is not a boolean/,
    );
  });
});

describe('no contact in the User-Agent', () => {
  let gateway: FakeGateway;
  let server: ArtifactServer;
  let dir: string;
  beforeAll(async () => {
    gateway = await startFakeGateway({ m: { status: 200, body: { ok: true } } });
    server = await startArtifactServer();
    dir = await mkdtemp(join(tmpdir(), 'liftwing-warnings-'));
  });
  afterAll(async () => {
    await gateway.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const client = (warnings: boolean) =>
    new LiftWingClient({ apiUrl: gateway.apiUrl, rateLimit: false, retries: 0, env: {}, warnings });

  it('warns once when predictions go to Lift Wing without a contact', async () => {
    await client(true).predict('m', {});
    await client(true).predict('m', {});
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toMatch(
      /^liftwing: warning: No contact in the User-Agent of requests to Wikimedia.*set LIFTWING_USER_AGENT .*LIFTWING_NO_WARNINGS=1 silences/,
    );
    expect(stderr.emitWarning).not.toHaveBeenCalled();
  });

  it('is silent with warnings: false, and with a contact', async () => {
    await client(false).predict('m', {});
    await new LiftWingClient({
      apiUrl: gateway.apiUrl,
      rateLimit: false,
      retries: 0,
      env: {},
      warnings: true,
      userAgent: 'me@example.org',
    }).predict('m', {});
    expect(buildUserAgent({ env: {}, warnings: false })).toContain('liftwing/');
    expect(stderr.lines).toEqual([]);
  });

  it('is not given for fetches of published files, which ask no prediction (models --check)', async () => {
    server.files.set('/main/catalogue.json', {
      body: Buffer.from(JSON.stringify(loadBuiltInCatalogue())),
    });
    const catalogueUrl = new URL('/main/catalogue.json', server.url).href;
    await checkForUpdates({ catalogueUrl, cacheDir: join(dir, 'empty'), env: {}, warnings: true });
    expect(stderr.lines).toEqual([]);
  });
});

describe('trust on first use', () => {
  let server: ArtifactServer;
  let dir: string;
  beforeAll(async () => {
    server = await startArtifactServer();
    dir = await mkdtemp(join(tmpdir(), 'liftwing-warnings-'));
    for (const id of ['1', '2']) {
      server.files.set(`/published/wmf-ml-models/tiny/${id}/model.bin`, { body: bytes(1000) });
    }
    await writeRegistry(join(dir, 'registry.json'), {
      modelsUrl: server.url,
      versions: ['1', '2'].map((id) => ({
        id,
        status: id === '1' ? 'production' : 'staging',
        artifacts: [{ path: `tiny/${id}/model.bin` }],
      })),
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('warns once, on one line, for the first artifact trusted without a checksum', async () => {
    const options = {
      cacheDir: join(dir, 'cache'),
      registry: join(dir, 'registry.json'),
      userAgent: 'tests@example.org',
      env: {},
      warnings: true,
    };
    await ensureModel('tiny@1', options);
    await ensureModel('tiny@2', options);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toMatch(
      /^liftwing: warning: tiny@1 model\.bin has no published checksum; trusting it on first use and recording SHA-256 [0-9a-f]{64}\. Later downloads and `liftwing cache verify` are checked against it\.\n$/,
    );
    expect(stderr.emitWarning).not.toHaveBeenCalled();
  });

  it('is silent under this repository’s tests, which set LIFTWING_NO_WARNINGS=1', async () => {
    await ensureModel('tiny@1', {
      cacheDir: join(dir, 'other-cache'),
      registry: join(dir, 'registry.json'),
      userAgent: 'tests@example.org',
      env: {},
    });
    expect(stderr.lines).toEqual([]);
  });
});
