import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError } from '@liftwing/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/cli.js';
import type { CacheBackend, CliDeps, CliIo } from '../src/deps.js';
import { FakeModel, FullDisk, fakeDeps, fakeIo } from './helpers/fakes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-cli-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('liftwing predict', () => {
  it('maps flags to the model request and prints the response JSON', async () => {
    const { deps, created } = fakeDeps();
    const { io, stdout } = fakeIo();
    const code = await run(
      ['predict', 'outlink', '--lang', 'en', '--page-id', '736', '--threshold', '0.1', '--debug'],
      io,
      deps,
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout.text)).toEqual({
      model_name: 'outlink-topic-model',
      echo: { lang: 'en', page_id: 736, threshold: 0.1, debug: true },
    });
    expect(created[0]!.options).toMatchObject({ mode: 'online', version: undefined });
    expect(created[0]!.model.closed).toBe(true);
  });

  it('takes --input JSON, a version after @, and the mode from the flag or LIFTWING_OFFLINE', async () => {
    const { deps, created } = fakeDeps();
    const { io, stdout } = fakeIo('', { LIFTWING_OFFLINE: '1' });
    expect(
      await run(
        ['predict', 'revertrisk@20230929145934', '--input', '{"lang":"en","rev_id":1}'],
        io,
        deps,
      ),
    ).toBe(0);
    expect(JSON.parse(stdout.text).echo).toEqual({ lang: 'en', rev_id: 1 });
    expect(created[0]!.options).toMatchObject({ mode: 'offline', version: '20230929145934' });

    expect(
      await run(
        ['predict', 'revertrisk', '--online', '--lang', 'en', '--rev-id', '2'],
        fakeIo('', { LIFTWING_OFFLINE: '1' }).io,
        deps,
      ),
    ).toBe(0);
    expect(created[1]!.options.mode).toBe('online');
  });

  it('downloads a missing model on first use offline: the package is created to fetch it', async () => {
    const { deps, created } = fakeDeps();
    const models = await deps.listModels();
    const outlink = models.find((model) => model.alias === 'outlink')!;
    const create = outlink.definition!.create;
    // What core's ensureModel reports while it downloads, through the model's create.
    outlink.definition = {
      ...outlink.definition!,
      create: async (options) => {
        for (const bytesDone of [0, 500_000, 1_000_000]) {
          options?.onProgress?.({
            artifact: 'model.bin',
            bytesDone,
            bytesTotal: 1e6,
            bytesPerSecond: 1e6,
          });
        }
        return create(options);
      },
    };
    const { io, stdout, stderr } = fakeIo();
    const args = ['predict', 'outlink@missing', '--offline', '--input', '{"lang":"en"}'];
    expect(await run(args, io, deps)).toBe(0);
    expect(created[0]!.options).toMatchObject({
      mode: 'offline',
      version: 'missing',
      offline: false,
    });
    expect(JSON.parse(stdout.text).echo).toEqual({ lang: 'en' });
    expect(stderr.text).toBe(
      'outlink-topic-model@missing model.bin: 0%  0 B / 1.00 MB  1.00 MB/s\n' +
        'outlink-topic-model@missing model.bin: 50%  500 kB / 1.00 MB  1.00 MB/s\n' +
        'outlink-topic-model@missing model.bin: 100%  1.00 MB / 1.00 MB  1.00 MB/s\n' +
        'outlink-topic-model@missing: 1 file(s), 1.00 MB downloaded, verified\n',
    );
  });

  it.each([
    [['--no-download'], {}, 'drop --no-download', 'keeps'],
    [[], { LIFTWING_OFFLINE: '1' }, 'unset LIFTWING_OFFLINE', 'keeps'],
    [
      ['--no-download'],
      { LIFTWING_OFFLINE: 'yes' },
      'drop --no-download and unset LIFTWING_OFFLINE',
      'keep',
    ],
  ])(
    'with %j %j, fails at once when the version is not cached, naming liftwing pull',
    async (flags, env, undo, verb) => {
      const { deps, created } = fakeDeps();
      const { io, stderr } = fakeIo('', env);
      const args = [
        'predict',
        'outlink@missing',
        '--offline',
        ...flags,
        '--input',
        '{"lang":"en"}',
      ];
      expect(await run(args, io, deps)).toBe(1);
      const by = [...flags, ...Object.keys(env)].join(' and ');
      expect(stderr.text).toBe(
        `liftwing: outlink@missing is not in the cache (/c), and ${by} ${verb} liftwing from ` +
          `downloading it. Fetch it first: liftwing pull outlink@missing (or ${undo} to download ` +
          'it on first use).\n',
      );
      expect(created).toEqual([]);
      // What is cached loads with downloads off, with exactly the version found.
      expect(
        await run(
          ['predict', 'outlink', '--offline', ...flags, '--input', '{}'],
          fakeIo('', env).io,
          deps,
        ),
      ).toBe(0);
      expect(created[0]!.options).toMatchObject({
        mode: 'offline',
        version: '20240101000000',
        offline: true,
      });
    },
  );

  it('refuses --offline for an online-only model, and --no-download online, before any load', async () => {
    const { deps, created } = fakeDeps();
    const offline = fakeIo();
    expect(await run(['predict', 'fake', '--offline', '--input', '{}'], offline.io, deps)).toBe(2);
    expect(offline.stderr.text).toBe(
      'liftwing: fake-model runs only online (on Lift Wing): @fake/fake has no offline mode. Run it with --online.\n',
    );
    const online = fakeIo();
    expect(
      await run(['predict', 'outlink', '--no-download', '--input', '{}'], online.io, deps),
    ).toBe(2);
    expect(online.stderr.text).toMatch(/--no-download applies to --offline/);
    expect(created).toEqual([]);
  });

  it('never serves --offline with a model that would ask the gateway', async () => {
    const { deps, created } = fakeDeps(
      {},
      (name, _mode, version) => new FakeModel(name, 'online', version),
    );
    const { io, stderr } = fakeIo();
    expect(await run(['predict', 'outlink', '--offline', '--input', '{}'], io, deps)).toBe(1);
    expect(stderr.text).toMatch(
      /@fake\/outlink gave a model that runs online when offline was asked for/,
    );
    expect(created[0]!.model.closed).toBe(true);
  });

  it.each([
    [['predict'], /Name one model/],
    [['predict', 'outlink', '--rev-id', '1'], /--rev-id does not apply to outlink-topic-model/],
    [['predict', 'revertrisk', '--lang', 'en', '--rev-id', 'abc'], /--rev-id must be an integer/],
    [['predict', 'revertrisk', '--input', '[1]'], /--input must be a JSON object/],
    [['predict', 'revertrisk', '--input', '{'], /--input is not valid JSON/],
    [
      ['predict', 'revertrisk', '--input', `{"a": ${'['.repeat(100)}`],
      /--input is not valid JSON: JSON nested deeper than 64 levels/,
    ],
    [['predict', 'revertrisk'], /No request/],
    [
      ['predict', 'revertrisk', '--offline', '--online', '--input', '{}'],
      /cannot be given together/,
    ],
    [['predict', 'revertrisk', '--input-file', 'x', '--lang', 'en'], /drop the request flags/],
    [['predict', 'revertrisk', '--input-file', 'x', '--resume'], /--resume needs --output-file/],
    [['predict', 'revertrisk', '--input', '{}', '--resume'], /--resume needs --input-file/],
    [
      ['predict', 'revertrisk', '--input-file', 'x', '--concurrency', '0'],
      /--concurrency must be a positive integer/,
    ],
    [
      ['predict', 'revertrisk', '--input-file', 'x', '--batch-size', '1000000000'],
      /--batch-size is at most 10000 and --concurrency at most 256/,
    ],
    [
      ['predict', 'revertrisk', '--input', '{}', '--max-line', '10'],
      /--max-line needs --input-file/,
    ],
    [
      ['predict', 'revertrisk', '--bogus'],
      /--bogus does not apply to revertrisk-language-agnostic\. Its flags: --lang, --rev-id; or give the request as JSON with --input\./,
    ],
    [['frobnicate'], /Unknown command frobnicate\. Commands: /],
    [
      ['predict', 'fake', '--input-file', '/nonexistent/in.jsonl'],
      /Cannot read --input-file \/nonexistent\/in.jsonl: ENOENT/,
    ],
    [['cache', 'explode'], /Unknown cache command explode; use ls, verify/],
  ])('%j is bad usage: exit 2', async (argv, message) => {
    const { deps, created } = fakeDeps();
    const { io, stderr, stdout } = fakeIo();
    expect(await run(argv, io, deps)).toBe(2);
    expect(stderr.text).toMatch(message);
    expect(stdout.text).toBe('');
    expect(created).toHaveLength(0);
  });

  it('reports a rejected request or unknown model with its message and code: exit 2', async () => {
    const { deps } = fakeDeps();
    const plain = fakeIo();
    expect(
      await run(['predict', 'revertrisk', '--input', '{"fail":"input"}'], plain.io, deps),
    ).toBe(2);
    expect(plain.stderr.text).toBe('liftwing: The parameter lang is required.\n');

    const json = fakeIo();
    expect(await run(['predict', 'nope', '--input', '{}', '--json'], json.io, deps)).toBe(2);
    expect(JSON.parse(json.stderr.text)).toEqual({
      error: { code: 'unknown_model', message: expect.stringContaining('No model nope.') },
    });
  });

  it('names the package to install when a model package is missing', async () => {
    const { deps } = fakeDeps();
    const { io, stderr } = fakeIo();
    expect(await run(['predict', 'ghost-model', '--input', '{}'], io, deps)).toBe(1);
    expect(stderr.text).toContain('npm install @liftwing/ghost-package-that-does-not-exist');
  });
});

describe('liftwing predict --input-file', () => {
  const requests = Array.from({ length: 30 }, (_, i) =>
    JSON.stringify(i === 7 ? { i, fail: 'input' } : { i }),
  );

  it('reads stdin with - and writes results to stdout in order', async () => {
    const { deps } = fakeDeps();
    const { io, stdout, stderr } = fakeIo(requests.join('\n') + '\n');
    expect(
      await run(['predict', 'fake', '--input-file', '-', '--concurrency', '3'], io, deps),
    ).toBe(0);
    const lines = stdout.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(30);
    expect(lines[7]).toEqual({
      line: 8,
      input: { i: 7, fail: 'input' },
      error: 'The parameter lang is required.',
      code: 'invalid_input',
      status: 400,
    });
    expect(lines.filter((_, i) => i !== 7).map((line) => line.echo.i)).toEqual(
      [...Array(30).keys()].filter((i) => i !== 7),
    );
    expect(stderr.text).toMatch(/30 answered: 29 ok, 1 failed, [\d.]+\/s/);
  });

  it('stops on SIGINT with exit 1, then --resume finishes the file exactly once per line', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, requests.join('\n'));
    const signals = new EventEmitter();
    const interrupting = fakeDeps(
      {},
      (name, mode) =>
        new FakeModel(name, mode, null, {
          onHandle: (body) => {
            if ((body as { i: number }).i === 10) signals.emit('SIGINT', 'SIGINT');
          },
        }),
    );
    const first = fakeIo();
    first.io.signals = signals as unknown as CliIo['signals'];
    expect(
      await run(
        // One line a batch, so that the signal arrives while lines are still being read.
        ['predict', 'fake', '--input-file', input, '--output-file', output, '--batch-size', '1'],
        first.io,
        interrupting.deps,
      ),
    ).toBe(1);
    expect(first.stderr.text).toContain('--resume');
    const partial = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(partial.length).toBeGreaterThanOrEqual(11);
    expect(partial.length).toBeLessThan(30);

    const again = fakeIo();
    expect(
      await run(
        ['predict', 'fake', '--input-file', input, '--output-file', output],
        again.io,
        fakeDeps().deps,
      ),
    ).toBe(2);
    expect(again.stderr.text).toMatch(/already has results/);

    const resumed = fakeIo();
    expect(
      await run(
        ['predict', 'fake', '--input-file', input, '--output-file', output, '--resume', '--json'],
        resumed.io,
        fakeDeps().deps,
      ),
    ).toBe(0);
    expect(JSON.parse(resumed.stdout.text)).toMatchObject({
      done: 30 - partial.length,
      skipped: partial.length,
      failed: 0,
      interrupted: false,
    });
    const lines = (await readFile(output, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.echo?.i ?? line.input.i)).toEqual([...Array(30).keys()]);
  });
});

describe('a batch whose output fails', () => {
  const requests = Array.from({ length: 20 }, (_, i) => `{"i": ${i}}`).join('\n');

  it('on stdout ends with the typed error, --json, exit 1', async () => {
    const { io, stderr } = fakeIo(requests);
    io.stdout = new FullDisk(join(dir, 'stdout'), 100);
    const code = await run(['predict', 'fake', '--input-file', '-', '--json'], io, fakeDeps().deps);
    expect(code).toBe(1);
    expect(JSON.parse(stderr.text.trimEnd().split('\n').at(-1)!)).toEqual({
      error: {
        code: 'disk_full',
        message: expect.stringMatching(/^Cannot write stdout: the disk is full\. /),
      },
    });
  });

  it.skipIf(!existsSync('/dev/full'))(
    'on a full disk (/dev/full) says so in one line, exit 1',
    async () => {
      const input = join(dir, 'in.jsonl');
      await writeFile(input, requests);
      const { io, stderr } = fakeIo();
      const code = await run(
        ['predict', 'fake', '--input-file', input, '--output-file', '/dev/full'],
        io,
        fakeDeps().deps,
      );
      expect(code).toBe(1);
      expect(stderr.text).toBe(
        'liftwing: Cannot write /dev/full: the disk is full. Every line before the failure is ' +
          'complete: make room, then run the same command with --resume to finish.\n',
      );
    },
  );
});

describe('liftwing serve', () => {
  it('serves the chosen models until a signal, with --quiet logging no requests', async () => {
    const { deps, created } = fakeDeps();
    const { io, stderr } = fakeIo();
    const signals = new EventEmitter();
    io.signals = signals as unknown as CliIo['signals'];
    const exit = run(
      ['serve', '--port', '0', '--models', 'outlink', '--quiet', '--json', '--offline'],
      io,
      deps,
    );
    while (!stderr.text.includes('listening'))
      await new Promise((resolve) => stderr.once('data', resolve));
    const started = JSON.parse(stderr.text);
    expect(started).toMatchObject({
      event: 'listening',
      mode: 'offline',
      models: ['outlink-topic-model'],
      requestTimeoutSeconds: 30,
    });
    const response = await fetch(`${started.url}/v1/models/outlink-topic-model:predict`, {
      method: 'POST',
      body: '{"a":1}',
    });
    expect(await response.json()).toEqual({ model_name: 'outlink-topic-model', echo: { a: 1 } });
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    expect(
      stderr.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).event),
    ).toEqual(['listening', 'shutdown']);
    expect(created[0]!.model.closed).toBe(true);
  });

  it('waits as long as the slowest model served says it may take, unless told', async () => {
    const { deps } = fakeDeps();
    const models = await deps.listModels();
    const slow = models.find((model) => model.alias === 'fake')!;
    slow.definition = { ...slow.definition!, timeoutMs: 90_500 };
    const started = async (args: string[]) => {
      const { io, stderr } = fakeIo();
      const signals = new EventEmitter();
      io.signals = signals as unknown as CliIo['signals'];
      const exit = run(['serve', '--port', '0', '--json', '--quiet', ...args], io, deps);
      while (!stderr.text.includes('listening'))
        await new Promise((resolve) => stderr.once('data', resolve));
      signals.emit('SIGTERM', 'SIGTERM');
      expect(await exit).toBe(0);
      return JSON.parse(stderr.text.split('\n')[0]!).requestTimeoutSeconds;
    };
    expect(await started(['--models', 'fake,revertrisk'])).toBe(91);
    expect(await started(['--models', 'revertrisk'])).toBe(30);
    expect(await started(['--models', 'fake', '--request-timeout', '5'])).toBe(5);
  });

  it('says which address is taken, exit 1, and closes the models it loaded', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const { deps, created } = fakeDeps();
    const { io, stderr } = fakeIo();
    try {
      expect(
        await run(['serve', '--port', String(port), '--models', 'fake,outlink'], io, deps),
      ).toBe(1);
    } finally {
      taken.close();
    }
    expect(stderr.text).toContain(`Cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
    expect(created.map(({ model }) => [model.name, model.closed])).toEqual([
      ['fake-model', true],
      ['outlink-topic-model', true],
    ]);
  });
});

describe('liftwing serve --offline without --models', () => {
  /** Runs `liftwing serve --port 0 <args>` until it listens, then stops it: its stderr. */
  async function serveOnce(args: string[], deps: CliDeps, env: Record<string, string> = {}) {
    const { io, stderr } = fakeIo('', env);
    const signals = new EventEmitter();
    io.signals = signals as unknown as CliIo['signals'];
    let exited = false;
    const exit = run(['serve', '--port', '0', '--quiet', ...args], io, deps).finally(() => {
      exited = true;
    });
    while (!stderr.text.includes('listening') && !exited)
      await Promise.race([new Promise((resolve) => stderr.once('data', resolve)), exit]);
    expect(stderr.text).toContain('listening');
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    return stderr.text;
  }

  /** Fake deps whose revertrisk package fails to load, as one needing a converted bundle does. */
  const withBrokenRevertRisk = (overrides: Partial<CliDeps> = {}) =>
    fakeDeps(overrides, (name, mode, version) => {
      if (name === 'revertrisk-language-agnostic') throw new ModelFormatError('no ONNX bundle');
      return new FakeModel(name, mode, version);
    });

  it('serves what can run here and says, one line each, what it skipped and why', async () => {
    const { deps, created } = withBrokenRevertRisk();
    const stderr = await serveOnce(['--offline'], deps);
    expect(stderr).toMatch(
      /^liftwing serve: not serving 2 installed model\(s\) offline:\n {2}revertrisk-language-agnostic: no ONNX bundle\n {2}fake-model: online only\nliftwing serve: listening on http:\/\/127\.0\.0\.1:\d+ \(offline: outlink-topic-model\)\n/,
    );
    expect(created.map(({ model, options }) => [model.name, options.offline])).toEqual([
      ['outlink-topic-model', false],
    ]);
    expect(created[0]!.model.closed).toBe(true);
  });

  it('with --no-download or LIFTWING_OFFLINE=1 serves only what is cached, as JSON with --json', async () => {
    const findCached: CliDeps['findCached'] = async (model) => ({
      ref: `${model.alias}@1`,
      version: '1',
      cached: model.alias === 'revertrisk',
      cacheDir: '/c',
    });
    for (const [flags, env] of [
      [['--no-download'], {}],
      [[], { LIFTWING_OFFLINE: '1' }],
    ] as const) {
      const { deps, created } = fakeDeps({ findCached });
      const stderr = await serveOnce(['--offline', '--json', ...flags], deps, env);
      const events = stderr
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(events.slice(0, 2)).toEqual([
        {
          event: 'skipped',
          model: 'outlink-topic-model',
          reason: 'not cached (liftwing pull outlink)',
        },
        { event: 'skipped', model: 'fake-model', reason: 'online only' },
      ]);
      expect(events[2]).toMatchObject({
        event: 'listening',
        mode: 'offline',
        models: ['revertrisk-language-agnostic'],
      });
      expect(created.map(({ options }) => [options.version, options.offline])).toEqual([
        ['1', true],
      ]);
    }
  });

  it('sums up a large family of online-only models in one line', async () => {
    const { deps } = fakeDeps();
    const models = await deps.listModels();
    const fake = models.find((model) => model.alias === 'fake')!;
    for (const wiki of ['aa', 'bb', 'cc', 'dd']) {
      models.push({ ...fake, name: `${wiki}wiki-damaging`, alias: `${wiki}wiki-damaging` });
    }
    const stderr = await serveOnce(['--offline'], deps);
    expect(stderr).toMatch(
      /^liftwing serve: not serving 5 installed model\(s\) offline:\n {2}@fake\/fake: 5 models \(fake-model, aawiki-damaging, \.\.\.\): online only\n/,
    );
  });

  it('fails when nothing can run, naming --models and liftwing pull; --models still must load', async () => {
    const { deps, created } = withBrokenRevertRisk({
      findCached: async (model) => ({
        ref: `${model.alias}@1`,
        version: '1',
        cached: false,
        cacheDir: '/c',
      }),
    });
    const none = fakeIo();
    expect(await run(['serve', '--offline', '--no-download'], none.io, deps)).toBe(1);
    expect(none.stderr.text).toBe(
      'liftwing serve: not serving 3 installed model(s) offline:\n' +
        '  outlink-topic-model: not cached (liftwing pull outlink)\n' +
        '  revertrisk-language-agnostic: not cached (liftwing pull revertrisk)\n' +
        '  fake-model: online only\n' +
        'liftwing: No installed model can run offline here (see why above). Fetch one first with ' +
        '`liftwing pull <model>` (`liftwing models` lists them; the online-only ones cannot), drop ' +
        '--no-download to download on first use, or name the models to serve with --models ' +
        '<model>[,<model>...].\n',
    );
    const named = fakeIo();
    expect(
      await run(['serve', '--offline', '--models', 'outlink,revertrisk'], named.io, deps),
    ).toBe(1);
    expect(named.stderr.text).toBe('liftwing: no ONNX bundle\n');
    expect(created.map(({ model }) => [model.name, model.closed])).toEqual([
      ['outlink-topic-model', true],
    ]);
  });
});

describe('liftwing models', () => {
  it('renders the registry as a table without colours off a terminal', async () => {
    const { deps } = fakeDeps();
    const { io, stdout } = fakeIo();
    expect(await run(['models'], io, deps)).toBe(0);
    const lines = stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+ALIAS\s+PACKAGE\s+MODES\s+PRODUCTION\s+CACHED$/);
    expect(lines[1]).toMatch(
      /^outlink-topic-model\s+outlink\s+@fake\/outlink\s+online, offline\s+20221111111111\s+yes$/,
    );
    expect(lines[2]).toMatch(
      /^revertrisk-language-agnostic\s+revertrisk\s+@fake\/revertrisk\s+online, offline\s+20231117132654\s+no$/,
    );
    expect(lines[4]).toMatch(
      /^ghost-model\s+@liftwing\/ghost-package-that-does-not-exist \(not installed\)\s+\?\s+\?\s+\?$/,
    );
    expect(stdout.text).not.toContain('\x1b[');
  });

  it('colours on a terminal unless NO_COLOR, and gives JSON with --json', async () => {
    const { deps } = fakeDeps();
    const tty = fakeIo();
    tty.stdout.isTTY = true;
    await run(['models'], tty.io, deps);
    expect(tty.stdout.text).toContain('\x1b[1moutlink-topic-model\x1b[22m');

    const noColor = fakeIo('', { NO_COLOR: '1' });
    noColor.stdout.isTTY = true;
    await run(['models'], noColor.io, deps);
    expect(noColor.stdout.text).not.toContain('\x1b[');

    const json = fakeIo();
    expect(await run(['--json', 'models'], json.io, deps)).toBe(0);
    expect(JSON.parse(json.stdout.text)[0]).toEqual({
      name: 'outlink-topic-model',
      alias: 'outlink',
      package: '@fake/outlink',
      description:
        'Topics of a Wikipedia article (64 WikiProject topics) from the Wikidata items its outlinks point to.',
      modes: ['online', 'offline'],
      pinnedVersion: '20221111111111',
      productionVersion: '20221111111111',
      cached: true,
      installed: true,
    });
  });
});

describe('liftwing pull', () => {
  it('reports progress as plain lines off a terminal and the result', async () => {
    const { deps } = fakeDeps({
      pull: async (model, version, { onProgress }) => {
        for (let done = 0; done <= 1000; done += 250)
          onProgress({
            artifact: 'model.bin',
            bytesDone: done,
            bytesTotal: 1000,
            bytesPerSecond: 500,
          });
        return {
          model: model.name,
          version: version ?? '20221111111111',
          files: [{ name: 'model.bin', path: '/c/model.bin', bytes: 1000 }],
          downloadedBytes: 1000,
        };
      },
    });
    const { io, stderr } = fakeIo();
    expect(await run(['pull', 'outlink'], io, deps)).toBe(0);
    expect(stderr.text.split('\n')).toEqual([
      'outlink-topic-model model.bin: 0%  0 B / 1.00 kB  500 B/s',
      'outlink-topic-model model.bin: 20%  250 B / 1.00 kB  500 B/s',
      'outlink-topic-model model.bin: 50%  500 B / 1.00 kB  500 B/s',
      'outlink-topic-model model.bin: 70%  750 B / 1.00 kB  500 B/s',
      'outlink-topic-model model.bin: 100%  1.00 kB / 1.00 kB  500 B/s',
      'outlink-topic-model@20221111111111: 1 file(s), 1.00 kB, 1.00 kB downloaded, verified',
      '',
    ]);
  });
});

describe('liftwing cache', () => {
  const entry = {
    model: 'outlink-topic-model',
    version: '20221111111111',
    path: '/c/outlink',
    bytes: 990_000_000,
  };
  const backend = (ok: boolean): CacheBackend => ({
    path: () => '/c',
    list: async () => [entry],
    verify: async () => [
      {
        model: entry.model,
        version: entry.version,
        file: 'model.bin',
        ok,
        ...(ok ? {} : { problem: 'sha256 mismatch' }),
      },
    ],
    prune: async ({ dryRun }) => ({ removed: [entry], freedBytes: dryRun ? 0 : entry.bytes }),
    add: async ({ model, version }) => ({ ...entry, model, version, files: ['model.bin'] }),
    remove: async (model, version) => {
      removed.push(`${model}@${version}`);
      return { freedBytes: entry.bytes };
    },
  });
  const removed: string[] = [];

  it('lists, verifies (exit 1 on a bad file), prunes and prints the path', async () => {
    const ok = fakeDeps({ cache: backend(true) }).deps;
    const bad = fakeDeps({ cache: backend(false) }).deps;
    const ls = fakeIo();
    expect(await run(['cache', 'ls'], ls.io, ok)).toBe(0);
    expect(ls.stdout.text).toMatch(/outlink-topic-model\s+20221111111111\s+990 MB\s+\/c\/outlink/);
    const verified = fakeIo();
    expect(await run(['cache', 'verify'], verified.io, ok)).toBe(0);
    const failed = fakeIo();
    expect(await run(['cache', 'verify', '--json'], failed.io, bad)).toBe(1);
    expect(JSON.parse(failed.stdout.text)[0]).toMatchObject({
      ok: false,
      problem: 'sha256 mismatch',
    });
    const prune = fakeIo();
    expect(await run(['cache', 'prune', '--dry-run'], prune.io, ok)).toBe(0);
    expect(prune.stdout.text).toMatch(/^Would remove 1 version\(s\)/);
    const path = fakeIo();
    expect(await run(['cache', 'path'], path.io, ok)).toBe(0);
    expect(path.stdout.text).toBe('/c\n');
    expect(await run(['cache', 'ls', '--dry-run'], fakeIo().io, ok)).toBe(2);
  });

  it('says under which name a single file was recorded, and nothing of it for a bundle', async () => {
    const adding = (files: string[]) =>
      fakeDeps({
        cache: {
          ...backend(true),
          add: async ({ model, version }) => ({ ...entry, model, version, files }),
        },
      }).deps;
    const single = fakeIo();
    expect(
      await run(
        ['cache', 'add', 'outlink@local-1', '/x/ova.bin'],
        single.io,
        adding(['model.bin']),
      ),
    ).toBe(0);
    expect(single.stdout.text).toBe(
      'Added outlink-topic-model@local-1 (990 MB) at /c/outlink, recorded as model.bin (the name ' +
        'outlink loads it by; the file was ova.bin).\nUse it: liftwing predict outlink@local-1 --offline ...\n',
    );
    const bundle = fakeIo();
    const files = ['manifest.json', 'model.onnx'];
    expect(
      await run(
        ['cache', 'add', 'outlink@local-2', '/x/bundle', '--json'],
        bundle.io,
        adding(files),
      ),
    ).toBe(0);
    expect(JSON.parse(bundle.stdout.text)).toMatchObject({ version: 'local-2', files });
    const plain = fakeIo();
    expect(
      await run(['cache', 'add', 'outlink@local-3', '/x/bundle'], plain.io, adding(files)),
    ).toBe(0);
    expect(plain.stdout.text).toMatch(
      /^Added outlink-topic-model@local-3 \(990 MB\) at \/c\/outlink\.\n/,
    );
  });

  it('removes one version by its alias, and asks for the version', async () => {
    const deps = fakeDeps({ cache: backend(true) }).deps;
    const rm = fakeIo();
    expect(await run(['cache', 'rm', 'outlink@20221111111111'], rm.io, deps)).toBe(0);
    expect(removed).toEqual(['outlink-topic-model@20221111111111']);
    expect(rm.stdout.text).toMatch(/^Removed outlink-topic-model@20221111111111 \(990 MB freed\)/);
    const bare = fakeIo();
    expect(await run(['cache', 'rm', 'outlink'], bare.io, deps)).toBe(2);
    expect(bare.stderr.text).toMatch(/Name the version to remove/);
    expect(await run(['cache', 'rm'], fakeIo().io, deps)).toBe(2);
  });
});

describe('help', () => {
  it('has help with examples for every command, and the environment in the main help', async () => {
    for (const command of ['models', 'pull', 'predict', 'serve', 'cache']) {
      const { io, stdout } = fakeIo();
      expect(await run([command, '--help'], io, fakeDeps().deps)).toBe(0);
      expect(stdout.text).toContain(`liftwing ${command}`);
      expect(stdout.text).toContain('Examples:');
    }
    for (const command of ['predict', 'serve']) {
      const { io, stdout } = fakeIo();
      expect(await run([command, '--help'], io, fakeDeps().deps)).toBe(0);
      // --no-download is documented right after --offline.
      expect(stdout.text).toMatch(
        /\n {2}--offline [\s\S]*?\n {2}--no-download +with --offline: never download/,
      );
    }
    const { io, stdout } = fakeIo();
    expect(await run(['--help'], io)).toBe(0);
    for (const variable of [
      'LIFTWING_CACHE_DIR',
      'LIFTWING_OFFLINE',
      'LIFTWING_MODELS_URL',
      'LIFTWING_API_URL',
      'LIFTWING_API_TOKEN',
      'LIFTWING_USER_AGENT',
      'LIFTWING_MW_API_URL',
      'LIFTWING_REGISTRY',
    ]) {
      expect(stdout.text).toContain(variable);
    }
  });
});
