/**
 * The model contract end to end: the built `liftwing` with a model package that exists only as a
 * test fixture (`@liftwing/fixture-echo`, which no line of core or the CLI names), known to the
 * CLI through a user registry and its package's definition alone, against a loopback gateway and
 * model tree.
 */
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type ArtifactServer,
  type FakeGateway,
  sha256,
  startArtifactServer,
  startFakeGateway,
  writeRegistry,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ROOT, type CliRun, runCli, startCli, startNode } from './helpers/run-cli.js';

const PREFIX = Buffer.from(JSON.stringify({ prefix: 'echo: ' }));
const ARTIFACT = 'echo/1/prefix.json';

let dir: string;
let tree: ArtifactServer;
let gateway: FakeGateway;
let env: Record<string, string>;

/** What the fixture's server answers: the text, `times` times. */
function answer(item: { text: string; times?: number; upper?: boolean; separator?: string }) {
  const text = item.upper ? item.text.toUpperCase() : item.text;
  return {
    model_name: 'echo-model',
    echo: Array(item.times ?? 1)
      .fill(text)
      .join(item.separator ?? ' '),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-contract-'));
  tree = await startArtifactServer({ [`/${ARTIFACT}`]: PREFIX });
  gateway = await startFakeGateway({
    'echo-model': ({ json }) => {
      const { instances } = json as { instances?: unknown[] };
      return {
        body: instances
          ? { predictions: instances.map((item) => answer(item as never)) }
          : answer(json as never),
      };
    },
  });
  const registry = await writeRegistry(join(dir, 'registry.json'), {
    modelsUrl: `${tree.origin}/`,
    name: 'echo-model',
    alias: 'echo',
    package: '@liftwing/fixture-echo',
    description: 'A test fixture',
    modes: ['online', 'offline'],
    versions: [
      {
        id: '1',
        artifacts: [
          {
            name: 'prefix.json',
            path: ARTIFACT,
            format: 'json',
            size: PREFIX.length,
            sha256: sha256(PREFIX),
          },
        ],
      },
    ],
  });
  env = {
    LIFTWING_REGISTRY: registry,
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_API_URL: gateway.serviceUrl,
    LIFTWING_USER_AGENT: 'liftwing-tests (test@example.org)',
  };
});

afterAll(async () => {
  await tree?.close();
  await gateway?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The requests the gateway saw during `action`, as parsed bodies. */
async function seenBy<T>(action: () => Promise<T>): Promise<{ result: T; bodies: unknown[] }> {
  const start = gateway.bodies.length;
  const result = await action();
  return { result, bodies: gateway.bodies.slice(start) };
}

describe('a model package the CLI knows only by its definition', () => {
  it('is listed by liftwing models with what its definition says', async () => {
    const { code, stdout } = await runCli(['models', '--json'], env);
    expect(code).toBe(0);
    const models = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(models.find((model) => model.name === 'echo-model')).toEqual({
      name: 'echo-model',
      alias: 'echo',
      package: '@liftwing/fixture-echo',
      installed: true,
      description: 'A test fixture that echoes its text (not a real model).',
      modes: ['online', 'offline'],
      pinnedVersion: '1',
      productionVersion: '1',
      cached: false,
    });
  });

  it('takes its request flags, typed, from the schema, and shows them in its help', async () => {
    const { result, bodies } = await seenBy(() =>
      runCli(['predict', 'echo', '--online', '--text', 'hi', '--times', '3', '--sep', '-'], env),
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ model_name: 'echo-model', echo: 'hi-hi-hi' });
    expect(bodies).toEqual([{ text: 'hi', times: 3, separator: '-' }]);

    const help = await runCli(['predict', 'echo', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--text <string>');
    expect(help.stdout).toContain('what to echo (required)');
    expect(help.stdout).toContain('--upper <boolean>');
    expect(help.stdout).toContain('--sep <string>');
    expect(help.stdout).toContain('liftwing predict echo --text hello --times 2');
  });

  it('rejects bad flags and bad requests with exit 2 before any request is sent', async () => {
    const { result, bodies } = await seenBy(async () => [
      await runCli(['predict', 'echo', '--online', '--times', 'x', '--text', 'a'], env),
      await runCli(['predict', 'echo', '--online', '--rev-id', '1'], env),
      await runCli(['predict', 'echo', '--online', '--input', '{"times": 2}'], env),
    ]);
    expect(result.map((run) => run.code)).toEqual([2, 2, 2]);
    expect(result[0]!.stderr).toContain('--times must be an integer, not "x".');
    expect(result[1]!.stderr).toContain(
      '--rev-id does not apply to echo-model. Its flags: --text, --times, --upper, --sep',
    );
    expect(result[2]!.stderr).toContain('The parameter text is required.');
    expect(bodies).toEqual([]);
  });

  it('answers a JSONL batch through its own batching, in input order', async () => {
    const input = join(dir, 'batch.jsonl');
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ text: `t${i}` }));
    lines.splice(4, 0, '{"times": 1}');
    await writeFile(input, lines.join('\n'));
    const { result, bodies } = await seenBy(() =>
      runCli(['predict', 'echo', '--online', '--input-file', input], env),
    );
    expect(result.code).toBe(0);
    const out = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(out[4]).toMatchObject({ line: 5, error: 'The parameter text is required.' });
    expect(out.filter((_, i) => i !== 4).map((line) => line.echo)).toEqual(
      Array.from({ length: 12 }, (_, i) => `t${i}`),
    );
    // At most 5 instances a request: 12 lines take 3.
    expect(bodies.map((body) => (body as { instances: unknown[] }).instances.length)).toEqual([
      5, 5, 2,
    ]);
  });

  it('pulls its artifact and runs offline', async () => {
    const pull = await runCli(['pull', 'echo'], env);
    expect(pull.code).toBe(0);
    const run = await runCli(['predict', 'echo', '--offline', '--text', 'hi', '--upper'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ model_name: 'echo-model', echo: 'echo: HI' });
  });

  it('is served with Lift Wing protocol, bad requests answered as its server would', async () => {
    const server = startCli(['serve', '--online', '--port', '0', '--models', 'echo'], env);
    await whileServing(server, async (predict) => {
      const ok = await predict('{"text": "x", "times": 2}');
      expect(await ok.json()).toEqual({ model_name: 'echo-model', echo: 'x x' });
      const bad = await predict('{"text": 1}');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'The parameter text is required.' });
    });
  });
});

/**
 * Runs `run` once `server` (a `liftwing serve` of the echo model) listens, with a function that
 * POSTs a raw body to its echo-model route; stops the server afterwards, whatever `run` did.
 */
async function whileServing(
  server: CliRun,
  run: (predict: (body: string) => Promise<Response>) => Promise<void>,
): Promise<void> {
  try {
    const [, url] = await server.until('stderr', /listening on (http:\/\/\S+)/);
    await run((body) => fetch(`${url}/v1/models/echo-model:predict`, { method: 'POST', body }));
  } finally {
    server.proc.kill('SIGTERM');
    await server.exit;
  }
}

/** Copies a workspace package's published files (`files` of its package.json) to `to`. */
async function install(from: string, to: string) {
  const manifest = JSON.parse(await readFile(join(from, 'package.json'), 'utf8')) as {
    files?: string[];
  };
  await mkdir(to, { recursive: true });
  await cp(join(from, 'package.json'), join(to, 'package.json'));
  for (const entry of manifest.files ?? ['dist']) {
    if (!entry.startsWith('!')) await cp(join(from, entry), join(to, entry), { recursive: true });
  }
}

describe('a model package that resolves a second copy of @liftwing/core', () => {
  it("still has its errors recognised: a bad request is Lift Wing's 400 and exit 2", async () => {
    // An app as npm lays one out when the model package needs another core than liftwing:
    // node_modules/@liftwing/core, and node_modules/@liftwing/fixture-echo/node_modules/@liftwing/core.
    const app = join(dir, 'app', 'node_modules');
    const packages = join(CLI_ROOT, '..');
    const core = join(packages, 'core');
    const echo = join(packages, '..', 'fixtures', 'echo-model');
    await install(CLI_ROOT, join(app, 'liftwing'));
    await install(core, join(app, '@liftwing', 'core'));
    await install(echo, join(app, '@liftwing', 'fixture-echo'));
    const nested = join(app, '@liftwing', 'fixture-echo', 'node_modules', '@liftwing', 'core');
    await install(core, nested);
    // core's own dependency, once for both copies.
    const undici = dirname(
      createRequire(join(core, 'package.json')).resolve('undici/package.json'),
    );
    await symlink(await realpath(undici), join(app, 'undici'), 'dir');

    const bin = join(app, 'liftwing', 'dist', 'bin.js');
    const cliEnv = { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env };
    const predict = startNode(
      [bin, 'predict', 'echo', '--online', '--input', '{"times": 2}'],
      cliEnv,
    );
    expect(await predict.exit).toBe(2);
    expect(predict.out.stderr).toBe('liftwing: The parameter text is required.\n');

    const server = startNode([bin, 'serve', '--online', '--port', '0', '--models', 'echo'], cliEnv);
    await whileServing(server, async (predict) => {
      const bad = await predict('{"text": 1}');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'The parameter text is required.' });
    });
  });
});
