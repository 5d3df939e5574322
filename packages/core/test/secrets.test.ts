/**
 * Credentials never leave in what liftwing shows or stores: the gateway token (echoed back by a
 * hostile or broken server, or cut in half by truncation) and the userinfo of a models URL.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  type ArtifactServer,
  bytes,
  type LoopbackServer,
  startArtifactServer,
  startLoopbackServer,
  writeRegistry,
} from '@liftwing/test-utils';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ArtifactCache,
  ConfigError,
  checkForUpdates,
  ensureModel,
  HttpError,
  LiftWingClient,
  type LiftWingClientOptions,
  parseRegistryFile,
  Registry,
} from '../src/index.js';

const TOKEN = 'sekrit-token-0123456789';
const USER_AGENT = 'LiftWingTests/1.0 (https://example.org/tests; tests@example.org)';
const MODEL = 'revertrisk-language-agnostic';

/** Everything a caller could print of an error. */
const shown = (error: unknown) =>
  `${String(error)} ${inspect(error, { depth: 6 })} ${JSON.stringify(error)}`;

describe('the gateway token', () => {
  let gateway: LoopbackServer;
  let answer: (url: string) => { status: number; headers?: Record<string, string>; body: string };

  beforeAll(async () => {
    gateway = await startLoopbackServer((req, res) => {
      const { status, headers, body } = answer(req.url);
      res.writeHead(status, headers).end(body);
    });
  });
  afterAll(() => gateway.close());

  const client = (options: LiftWingClientOptions = {}) =>
    new LiftWingClient({
      apiUrl: `${gateway.url}/v1/models/`,
      token: TOKEN,
      userAgent: USER_AGENT,
      env: {},
      retries: 0,
      rateLimit: false,
      ...options,
    });

  it('is not in the error of a redirect whose Location or headers echo it', async () => {
    answer = () => ({
      status: 302,
      headers: {
        location: `https://elsewhere.example/${TOKEN}/login?token=${TOKEN}&next=%2F#${TOKEN}`,
        'x-request-id': `req-${TOKEN}`,
      },
      body: '',
    });
    const error = (await client()
      .predict(MODEL, {})
      .catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(302);
    expect(error.message).toContain('https://elsewhere.example/REDACTED/login?REDACTED');
    expect(error.url).toBe(`${gateway.url}/v1/models/${MODEL}:predict`);
    expect(error.requestId).toBe('req-REDACTED');
    expect(shown(error)).not.toContain(TOKEN);
  });

  it('cut by truncation of a long error body leaves no part of it', async () => {
    // The token straddles the 1,000-character cut of the server's message.
    const text = `${'x'.repeat(990)}${TOKEN}${'y'.repeat(200)}`;
    for (const body of [JSON.stringify({ error: text }), text]) {
      answer = () => ({ status: 500, body });
      const error = (await client()
        .predict(MODEL, {})
        .catch((e: unknown) => e)) as HttpError;
      expect(error.status).toBe(500);
      expect(error.serverMessage).toMatch(/^x{990}REDACTED/);
      expect(shown(error)).not.toContain(TOKEN.slice(0, 4));
    }
  });

  it('is not in the error for a 200 whose body is not JSON but echoes it', async () => {
    answer = () => ({ status: 200, body: `<html>${TOKEN}</html>` });
    const error = await client()
      .predict(MODEL, {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'http_error', status: 200 });
    expect(shown(error)).not.toContain(TOKEN);
  });

  it('is never sent over plain http to a host that is not loopback', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('http://gateway.example')
      .intercept({ path: `/v1/models/${MODEL}:predict`, method: 'POST' })
      .reply(200, { ok: true });
    const plain = { apiUrl: 'http://gateway.example/v1/models/', dispatcher: agent };

    const refused = (options: LiftWingClientOptions) => {
      try {
        client(options);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('the client was created');
    };
    const byOption = refused(plain);
    expect(byOption).toBeInstanceOf(ConfigError);
    expect(byOption.message).toMatch(/\(apiUrl\) is not https.*use an https:\/\/ URL in apiUrl/);
    const byEnv = refused({
      apiUrl: undefined,
      token: undefined,
      dispatcher: agent,
      env: { LIFTWING_API_URL: plain.apiUrl, LIFTWING_API_TOKEN: TOKEN },
    });
    expect(byEnv.message).toContain('use an https:// URL in LIFTWING_API_URL');
    expect(byEnv.message).toContain('(LIFTWING_API_TOKEN)');
    expect(shown(byEnv)).not.toContain(TOKEN);
    // Nothing was sent: the one interceptor is still waiting.
    expect(agent.pendingInterceptors()).toHaveLength(1);

    // Without a token there is nothing to protect, and plain http stays allowed.
    expect(await client({ ...plain, token: undefined }).predict(MODEL, {})).toEqual({ ok: true });
    expect(agent.pendingInterceptors()).toHaveLength(0);
    await agent.close();
  });
});

describe('userinfo in a models URL', () => {
  const SECRET = 'pw-s3cr3t';
  let server: ArtifactServer;
  let root: string;
  let withUserinfo: string;
  const body = bytes(5000);

  beforeAll(async () => {
    server = await startArtifactServer();
    withUserinfo = server.url.replace('http://', `http://mirror-user:${SECRET}@`);
    server.files.set('/published/wmf-ml-models/tiny/1/model.bin', { body });
  });
  afterAll(() => server.close());
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function setup(artifactPath: string) {
    root = await mkdtemp(join(tmpdir(), 'liftwing-secrets-'));
    const registry = await writeRegistry(join(root, 'registry.json'), {
      modelsUrl: withUserinfo,
      versions: [{ id: '1', artifacts: [{ path: artifactPath }] }],
    });
    return { cacheDir: join(root, 'cache'), registry, userAgent: USER_AGENT, env: {} };
  }

  async function filesUnder(dir: string): Promise<string> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    const texts = await Promise.all(
      entries
        .filter((entry) => entry.isFile() && !entry.parentPath.includes('blobs'))
        .map((entry) => readFile(join(entry.parentPath, entry.name), 'utf8')),
    );
    return texts.join('\n');
  }

  it('is in no cache record, nor in what the cache lists', async () => {
    const options = await setup('tiny/1/model.bin');
    const ensured = await ensureModel('tiny', options);
    expect(await readFile(ensured.files['model.bin']!)).toEqual(body);
    const stored = await filesUnder(options.cacheDir);
    expect(stored).toContain('"url"');
    expect(stored).not.toContain(SECRET);
    const listed = await new ArtifactCache({ cacheDir: options.cacheDir, env: {} }).list();
    expect(listed[0]?.artifacts[0]?.url).toBe(`${server.url}tiny/1/model.bin`);
  });

  it('is in no error of a failed download', async () => {
    const options = await setup('tiny/1/missing.bin');
    const error = await ensureModel('tiny', options).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404 });
    expect(shown(error)).toContain(server.url);
    expect(shown(error)).not.toContain(SECRET);
    expect(await filesUnder(options.cacheDir)).not.toContain(SECRET);
  });

  it('is in no error of a URL that is refused or does not answer', async () => {
    const refused = (url: string) =>
      Registry.load({ modelsUrl: url, env: {}, cacheDir: tmpdir() }).catch((e: unknown) => e);
    const plain = await refused(`http://mirror-user:${SECRET}@models.example/?sig=${SECRET}`);
    expect(plain).toMatchObject({ code: 'invalid_config' });
    expect(shown(plain)).not.toContain(SECRET);
    const broken = await refused(`http://mirror-user:${SECRET}@[::1`);
    expect(broken).toMatchObject({ code: 'invalid_config' });
    expect(shown(broken)).not.toContain(SECRET);

    const invalid = (() => {
      try {
        return parseRegistryFile(
          JSON.stringify({ schemaVersion: 1, modelsUrl: withUserinfo.slice(0, -1), models: [] }),
          'registry.json',
        );
      } catch (error) {
        return error;
      }
    })();
    expect(invalid).toMatchObject({ code: 'invalid_registry' });
    expect(shown(invalid)).toContain('$.modelsUrl');
    expect(shown(invalid)).not.toContain(SECRET);

    const missing = await Registry.load({
      registry: `${withUserinfo}registry.json?key=${SECRET}`,
      cacheDir: tmpdir(),
      env: {},
    }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404 });
    expect(shown(missing)).not.toContain(SECRET);

    const catalogue = await checkForUpdates({
      catalogueUrl: `${withUserinfo}catalogue.json`,
      env: {},
    }).catch((e: unknown) => e);
    expect(catalogue).toMatchObject({ status: 404 });
    expect(shown(catalogue)).not.toContain(SECRET);
  });
});
