/**
 * The built `liftwing` binary run as a child process, against the loopback fakes of
 * `@liftwing/test-utils`, and the registry that points it at them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@liftwing/test-utils';

export const CLI_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(CLI_ROOT, 'dist', 'bin.js');

/**
 * Writes a user registry (for `LIFTWING_REGISTRY`) at `path` that declares one version of
 * outlink-topic-model, whose one fastText artifact `body` the model tree at `modelsUrl` serves at
 * `artifactPath`.
 */
export function writeOutlinkRegistry(
  path: string,
  options: {
    modelsUrl: string;
    id: string;
    modelVersion: string;
    status: 'production' | 'staging';
    artifactPath: string;
    body: Buffer;
  },
): Promise<void> {
  const { modelsUrl, id, modelVersion, status, artifactPath, body } = options;
  return writeFile(
    path,
    JSON.stringify({
      schemaVersion: 1,
      modelsUrl,
      models: [
        {
          name: 'outlink-topic-model',
          versions: [
            {
              id,
              modelVersion,
              status,
              pin: null,
              artifacts: [
                {
                  name: 'model.bin',
                  path: artifactPath,
                  format: 'fasttext-bin',
                  size: body.length,
                  sha256: sha256(body),
                },
              ],
            },
          ],
        },
      ],
    }),
  );
}

/** A child process of node and the output it has given so far. */
export interface CliRun {
  proc: ChildProcess;
  out: { stdout: string; stderr: string };
  /** Resolves with the exit code. */
  exit: Promise<number | null>;
  /** Resolves when `stream` has matched `pattern`. */
  until(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray>;
}

/** How a child process is started: its stdin (null: left open, for the test to write to). */
export interface StartOptions {
  stdin?: string | null;
  /** Receives the process, for the test to kill it if it outlives the test. */
  running?: ChildProcess[];
}

/** Starts `node <args>` with exactly `env`, collecting its output. */
export function startNode(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: StartOptions = {},
): CliRun {
  const proc = spawn(process.execPath, args, { cwd: CLI_ROOT, env });
  options.running?.push(proc);
  const out = { stdout: '', stderr: '' };
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk;
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr += chunk;
  });
  if (options.stdin !== null) proc.stdin!.end(options.stdin ?? '');
  const exit = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const until = (stream: 'stdout' | 'stderr', pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = out[stream].match(pattern);
        if (match) {
          proc[stream]!.off('data', check);
          resolve(match);
        }
      };
      proc[stream]!.on('data', check);
      proc.on('close', () => reject(new Error(`exited without ${pattern}:\n${out.stderr}`)));
      check();
    });
  return { proc, out, exit, until };
}

/**
 * Starts `liftwing <args>` with exactly `env` (plus PATH and NO_COLOR): no `LIFTWING_*` or proxy
 * variable of the machine leaks in.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string>,
  options: StartOptions = {},
): CliRun {
  return startNode(
    [BIN, ...args],
    { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    options,
  );
}

/**
 * Starts `liftwing <args>` from its sources with the fake models of `helpers/child.ts` (each
 * prints `handling` per request and takes `CHILD_HANDLE_MS` to answer), in the tests'
 * environment plus `env`.
 */
export function startChild(
  args: readonly string[],
  env: Record<string, string> = {},
  options: StartOptions = {},
): CliRun {
  return startNode(
    ['--import', 'tsx', join(CLI_ROOT, 'test', 'helpers', 'child.ts'), ...args],
    { ...process.env, NO_COLOR: '1', ...env },
    options,
  );
}

/** Runs `liftwing <args>` to the end. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { stdin?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args, env, options);
  const code = await run.exit;
  return { code, ...run.out };
}

/** A `liftwing serve --json` that listens, and how to talk to it. */
export interface ServeRun {
  url: string;
  /** POSTs `body` (JSON unless a string) to `<model>:predict` (or `:<action>`). */
  post(model: string, body: unknown, action?: string): Promise<{ status: number; text: string }>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  out: CliRun['out'];
}

/** Starts `liftwing serve --port 0 --json <args>`; resolves with its URL once it listens. */
export async function startServe(
  args: readonly string[],
  env: Record<string, string>,
  running: ChildProcess[],
): Promise<ServeRun> {
  const server = startCli(['serve', '--port', '0', '--json', ...args], env, { running });
  const [line] = await server.until('stderr', /\{"event":"listening".*\}\n/);
  const { url } = JSON.parse(line) as { url: string };
  const post = async (model: string, body: unknown, action = 'predict') => {
    const response = await fetch(`${url}/v1/models/${model}:${action}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  };
  const stop = async () => {
    server.proc.kill('SIGTERM');
    return server.exit;
  };
  return { url, post, stop, out: server.out };
}
