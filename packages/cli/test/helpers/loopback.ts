/**
 * Loopback stand-ins for the services the CLI talks to (the published model tree, the Lift Wing
 * gateway, the MediaWiki API), and the built `liftwing` binary run as a child process against
 * them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(CLI_ROOT, 'dist', 'bin.js');

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A request as a loopback server saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that records every request and answers with `handle`. */
export async function startServer(
  handle: (request: SeenRequest, response: ServerResponse) => void,
): Promise<LoopbackServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      handle(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The published model tree: `files` by path below the root. */
export function startArtifactServer(files: Map<string, Buffer>): Promise<LoopbackServer> {
  return startServer((request, response) => {
    const body = files.get(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    if (body === undefined) response.writeHead(404).end('not found');
    else response.writeHead(200, { 'content-length': body.length }).end(body);
  });
}

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

/** Sends `body` as JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
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

/**
 * Starts `node <args>` with exactly `env`, collecting its output; `running` receives the process,
 * for the test to kill it if it outlives the test.
 */
export function startNode(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { stdin?: string; running?: ChildProcess[] } = {},
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
  proc.stdin!.end(options.stdin ?? '');
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
  options: { stdin?: string; running?: ChildProcess[] } = {},
): CliRun {
  return startNode(
    [BIN, ...args],
    { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
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
