import type { ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/cli.js';
import { fakeDeps, fakeIo } from './helpers/fakes.js';
import { BIN, CLI_ROOT, startChild, startNode } from './helpers/run-cli.js';

const children: ChildProcess[] = [];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-process-'));
});
afterEach(async () => {
  for (const running of children.splice(0)) if (running.exitCode === null) running.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Starts `node <args>` with the environment of the tests, and without colours. */
const start = (args: string[]) =>
  startNode(args, { ...process.env, NO_COLOR: '1' }, { running: children });
/** Starts `liftwing <args>` with the fake models of helpers/child.ts. */
const startFake = (args: string[]) => startChild(args, {}, { running: children });

describe('the built liftwing command', () => {
  it('prints help and its version, exit 0', async () => {
    const help = start([BIN, '--help']);
    expect(await help.exit).toBe(0);
    expect(help.out.stdout).toMatch(/^liftwing: /);
    expect(help.out.stdout).toContain('LIFTWING_API_TOKEN');

    const version = start([BIN, '--version']);
    expect(await version.exit).toBe(0);
    const { version: expected } = JSON.parse(
      await readFile(join(CLI_ROOT, 'package.json'), 'utf8'),
    );
    expect(version.out.stdout).toBe(`${expected}\n`);
  });

  it('exits 2 on bad usage, with the problem on stderr', async () => {
    const unknown = start([BIN, 'frobnicate']);
    expect(await unknown.exit).toBe(2);
    expect(unknown.out.stderr).toContain('Unknown command frobnicate.');
    const badFlag = start([BIN, 'predict', 'revertrisk', '--rev-id', 'x', '--lang', 'en']);
    expect(await badFlag.exit).toBe(2);
    expect(badFlag.out.stderr).toBe('liftwing: --rev-id must be an integer, not "x".\n');
  });

  it('names the package to install for a model whose package is missing, exit 1', async () => {
    // The built `run` with a registry that names a package nobody installed.
    const script = `
      import { run, coreDeps } from ${JSON.stringify(join(CLI_ROOT, 'dist', 'index.js'))};
      const deps = { ...coreDeps(process.env), listModels: async () => [{ name: 'ghost-model', package: '@liftwing/ghost' }] };
      process.exitCode = await run(['predict', 'ghost-model', '--input', '{}'], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, deps);
    `;
    const missing = start(['--input-type=module', '-e', script]);
    expect(await missing.exit).toBe(1);
    expect(missing.out.stderr).toBe(
      'liftwing: The model ghost-model needs the package @liftwing/ghost, which is not installed. ' +
        'Install it next to liftwing: npm install @liftwing/ghost (with -g if liftwing is installed globally).\n',
    );
  });
});

describe('liftwing serve in a child process', () => {
  it('on SIGTERM finishes the request in flight, logs it, and exits 0', async () => {
    const server = startFake(['serve', '--port', '0', '--models', 'fake']);
    const [, url] = await server.until('stderr', /listening on (http:\/\/\S+)/);
    const pending = fetch(`${url}/v1/models/fake-model:predict`, {
      method: 'POST',
      body: '{"wait": 300}',
    });
    await server.until('stdout', /handling/);
    server.proc.kill('SIGTERM');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ model_name: 'fake-model', echo: { wait: 300 } });
    expect(await server.exit).toBe(0);
    const log = server.out.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(log).toContainEqual(
      expect.objectContaining({
        method: 'POST',
        path: '/v1/models/fake-model:predict',
        status: 200,
        model: 'fake-model',
      }),
    );
    expect(server.out.stderr).toContain('SIGTERM, finishing requests in flight');
  });
});

describe('a closed stderr', () => {
  it('does not stop liftwing serve, which goes on answering', async () => {
    const server = startFake(['serve', '--port', '0', '--models', 'fake']);
    const [, url] = await server.until('stderr', /listening on (http:\/\/\S+)/);
    // Whoever read the log went away: every access-log line from now on meets EPIPE.
    server.proc.stderr!.destroy();
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${url}/v1/models/fake-model:predict`, {
        method: 'POST',
        body: JSON.stringify({ i }),
      });
      expect(await response.json()).toEqual({ model_name: 'fake-model', echo: { i } });
      // Let the failed log write of this request come back before the next one.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.proc.exitCode).toBeNull();
    server.proc.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('does not lose a result of a batch', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    const count = 50;
    await writeFile(input, Array.from({ length: count }, (_, i) => `{"i": ${i}}`).join('\n'));
    const batch = startFake(['predict', 'fake', '--input-file', input, '--output-file', output]);
    // Closed from the start: the summary at the end is the batch's first write to stderr.
    batch.proc.stderr!.destroy();
    expect(await batch.exit).toBe(0);
    const lines = (await readFile(output, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line).echo.i)).toEqual([...Array(count).keys()]);
  });
});

describe('a batch killed mid-run', () => {
  it('is finished by --resume with every line exactly once, in order', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    const count = 200;
    await writeFile(
      input,
      Array.from({ length: count }, (_, i) => JSON.stringify({ i, wait: 10 })).join('\n'),
    );
    const batch = startFake([
      'predict',
      'fake',
      '--input-file',
      input,
      '--output-file',
      output,
      '--concurrency',
      '4',
      '--batch-size',
      '1',
    ]);
    // Kill it without warning once some results are out.
    await batch.until('stdout', /(handling\n){24}/);
    batch.proc.kill('SIGKILL');
    await batch.exit;
    const written = (await readFile(output, 'utf8')).split('\n').length - 1;
    expect(written).toBeLessThan(count);
    // As if the kill had cut a write short.
    await appendFile(output, '{"model_name":"fake-mo');

    const { io, stderr } = fakeIo();
    expect(
      await run(
        ['predict', 'fake', '--input-file', input, '--output-file', output, '--resume'],
        io,
        fakeDeps().deps,
      ),
    ).toBe(0);
    expect(stderr.text).toContain(`Resuming: ${written} line(s) already in`);
    expect(stderr.text).toMatch(/removed \d{2,} byte\(s\) of an incomplete last line/);
    const lines = (await readFile(output, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line).echo.i)).toEqual([...Array(count).keys()]);
  });
});
