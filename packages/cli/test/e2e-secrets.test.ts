/**
 * The built `liftwing` never shows a credential: not the gateway token that a gateway echoes in a
 * redirect (in `predict`'s error, `serve`'s 502 body and access log), not the userinfo of a
 * models URL (in output, errors or the cache).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactServer,
  type LoopbackServer,
  startArtifactServer,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, writeOutlinkRegistry } from './helpers/run-cli.js';

const TOKEN = 'sekrit-token-0123456789';
const PASSWORD = 'pw-s3cr3t';
const VERSION = '20250101000000';
const ARTIFACT = `articletopic/outlink/${VERSION}/model.bin`;
const BODY = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 31) % 251));
const PAGE = ['--lang', 'en', '--page-title', 'Douglas_Adams'];

let dir: string;
let gateway: LoopbackServer;
let tree: ArtifactServer;
let env: Record<string, string>;
const running: ReturnType<typeof startCli>['proc'][] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-e2e-secrets-'));
  // A gateway that sends the token back in a redirect's target and a header.
  gateway = await startLoopbackServer((_seen, response) => {
    response
      .writeHead(302, {
        location: `https://login.example/${TOKEN}?token=${TOKEN}`,
        'x-request-id': TOKEN,
      })
      .end();
  });
  tree = await startArtifactServer({ [`/${ARTIFACT}`]: BODY });
  const registry = join(dir, 'registry.json');
  await writeOutlinkRegistry(registry, {
    modelsUrl: `${tree.origin.replace('http://', `http://mirror:${PASSWORD}@`)}/`,
    id: VERSION,
    modelVersion: 'test_2025',
    status: 'production',
    artifactPath: ARTIFACT,
    body: BODY,
  });
  env = {
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_REGISTRY: registry,
    LIFTWING_MODELS_URL: `http://mirror:${PASSWORD}@127.0.0.1:9/`,
    LIFTWING_API_URL: `${gateway.url}/v1/models/`,
    LIFTWING_API_TOKEN: TOKEN,
    LIFTWING_MW_API_URL: 'http://127.0.0.1:9/w/api.php',
    LIFTWING_USER_AGENT: 'liftwing-tests/1.0 (test@example.org)',
  };
});

afterEach(() => {
  for (const proc of running.splice(0)) if (proc.exitCode === null) proc.kill('SIGKILL');
});

afterAll(async () => {
  await Promise.all([gateway.close(), tree.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('the gateway token echoed in a redirect', () => {
  it('is not in the error of predict, plain or --json', async () => {
    for (const json of [[], ['--json']]) {
      const run = await runCli(['predict', 'outlink', '--online', ...PAGE, ...json], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('redirected');
      expect(run.stderr).toContain('https://login.example/REDACTED?REDACTED');
      expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
    }
    // The token was sent, so the gateway had it to echo.
    expect(gateway.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("is not in serve's 502 body nor in its access log", async () => {
    const server = startCli(['serve', '--online', '--models', 'outlink', '--port', '0'], env, {
      running,
    });
    const [, url] = await server.until('stderr', /listening on (http:\/\/\S+)/);
    const response = await fetch(`${url}/v1/models/outlink-topic-model:predict`, {
      method: 'POST',
      body: JSON.stringify({ lang: 'en', page_title: 'Douglas_Adams' }),
    });
    const body = await response.text();
    expect(response.status).toBe(502);
    expect(JSON.parse(body).error).toContain('redirected');
    server.proc.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    const logged = server.out.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { status?: number; error?: string });
    expect(logged.find((entry) => entry.status === 502)?.error).toContain('REDACTED');
    expect(`${body}${server.out.stdout}${server.out.stderr}`).not.toContain(TOKEN);
  });
});

describe('userinfo in a models URL', () => {
  it('is in no output of pull, models or cache ls, and in no file of the cache', async () => {
    const outputs: string[] = [];
    for (const args of [['pull', `outlink@${VERSION}`], ['models'], ['cache', 'ls']]) {
      const run = await runCli([...args, '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      outputs.push(run.stdout, run.stderr);
    }
    expect(outputs.join('\n')).toContain(VERSION);
    expect(outputs.join('\n')).not.toContain(PASSWORD);
    const cache = join(dir, 'cache');
    const entries = await readdir(cache, { recursive: true, withFileTypes: true });
    const records = entries.filter((entry) => entry.isFile() && entry.name.endsWith('.json'));
    expect(records.length).toBeGreaterThan(0);
    for (const entry of records) {
      expect(await readFile(join(entry.parentPath, entry.name), 'utf8')).not.toContain(PASSWORD);
    }
  });

  it('is not in the error for a models URL that is refused', async () => {
    const run = await runCli(['models', '--json'], {
      ...env,
      LIFTWING_MODELS_URL: `http://mirror:${PASSWORD}@models.example/`,
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr).error.code).toBe('invalid_config');
    expect(run.stderr).toContain('http://models.example/');
    expect(run.stderr).not.toContain(PASSWORD);
  });
});
