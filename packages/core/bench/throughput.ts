/**
 * Download and verify throughput of the artifact cache, next to curl and sha256sum on the same
 * file. Run with `pnpm --filter @liftwing/core bench` (builds nothing; uses src via tsx).
 * Size: BENCH_MB (default 400) MiB of random bytes in a temporary directory, deleted afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCache, ensureModel } from '../src/index.js';

const MB = 1024 * 1024;
const size = Number(process.env.BENCH_MB ?? 400) * MB;
const RUNS = 3;

async function best(run: () => Promise<void> | void): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return fastest;
}

// The server runs in its own process so that it does not share an event loop with the client.
const SERVER = `
const http = require('node:http'), fs = require('node:fs');
const file = process.argv[1], size = fs.statSync(file).size;
http.createServer((req, res) => {
  res.writeHead(200, { 'content-length': size, etag: '"bench"' });
  fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

const dir = await mkdtemp(join(tmpdir(), 'liftwing-bench-'));
try {
  const file = join(dir, 'model.bin');
  const out = createWriteStream(file);
  for (let done = 0; done < size; done += 16 * MB) {
    if (!out.write(randomBytes(Math.min(16 * MB, size - done)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  const server = spawn(process.execPath, ['-e', SERVER, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [port] = (await once(server.stdout!, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${String(port).trim()}/`;
  const registry = join(dir, 'registry.json');
  await writeFile(
    registry,
    JSON.stringify({
      schemaVersion: 1,
      modelsUrl: url,
      models: [
        {
          name: 'outlink-topic-model',
          versions: [
            {
              id: 'bench',
              modelVersion: null,
              status: 'staging',
              pin: null,
              artifacts: [
                {
                  name: 'model.bin',
                  path: 'model.bin',
                  format: 'fasttext-bin',
                  size,
                  sha256: null,
                },
              ],
            },
          ],
        },
      ],
    }),
  );

  try {
    const curl = await best(() => {
      execFileSync('/usr/bin/curl', ['-sSf', '-o', join(dir, 'curl.bin'), `${url}model.bin`]);
    });
    let run = 0;
    let cacheDir = '';
    const liftwing = await best(async () => {
      cacheDir = join(dir, `cache-${run++}`);
      await ensureModel('outlink@bench', {
        cacheDir,
        registry,
        userAgent: 'liftwing-bench',
        env: {},
      });
    });
    const sha256sum = await best(() => {
      execFileSync('sha256sum', [file]);
    });
    const cache = new ArtifactCache({ cacheDir, env: {} });
    const verify = await best(async () => {
      if (!(await cache.verify()).ok) throw new Error('verify failed');
    });

    const rate = (seconds: number) => `${(size / MB / seconds).toFixed(0).padStart(6)} MiB/s`;
    const row = (what: string, ours: number, reference: string, theirs: number) =>
      `${what.padEnd(10)} liftwing ${rate(ours)} (${ours.toFixed(3)} s)   ${reference.padEnd(9)} ${rate(theirs)} (${theirs.toFixed(3)} s)   ratio ${(ours / theirs).toFixed(2)}x ${ours / theirs <= 1.5 ? 'ok' : 'SLOWER THAN 1.5x'}`;
    console.log(`file: ${size / MB} MiB, best of ${RUNS} runs, loopback server in a child process`);
    console.log(row('download', liftwing, 'curl', curl));
    console.log(row('verify', verify, 'sha256sum', sha256sum));
  } finally {
    server.kill();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
