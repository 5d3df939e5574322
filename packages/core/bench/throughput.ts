/**
 * Download and verify throughput of the artifact cache, next to curl and sha256sum on the same
 * file. Run with `pnpm --filter @liftwing/core bench:cache` (builds nothing; uses src via tsx).
 * Size: BENCH_MB (default 400) MiB of random bytes in a temporary directory, deleted afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCache, ensureModel } from '../src/index.js';

const MB = 1024 * 1024;
const size = Number(process.env.BENCH_MB ?? 400) * MB;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function timed(run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function best(run: () => unknown): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) fastest = Math.min(fastest, await timed(run));
  return fastest;
}

const rate = (seconds: number) => `${(size / MB / seconds).toFixed(0).padStart(6)} MiB/s`;

/** The device and file system type holding `path`, as `df` reports them. */
function diskOf(path: string): string {
  const lines = execFileSync('df', ['--output=source,fstype', path], { encoding: 'utf8' })
    .trim()
    .split('\n');
  return lines.at(-1)?.trim().replace(/\s+/, ' ') ?? 'unknown disk';
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
  const digest = createHash('sha256');
  for (let done = 0; done < size; done += 16 * MB) {
    const chunk = randomBytes(Math.min(16 * MB, size - done));
    digest.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
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
                  // Published, as for the real models: the download's streamed digest is checked
                  // against it (and random bytes would fail the fastText format check).
                  sha256: digest.digest('hex'),
                },
              ],
            },
          ],
        },
      ],
    }),
  );

  try {
    // Rounds alternate between curl and liftwing, and each starts with its output deleted and the
    // dirty pages of the previous round written back (untimed), so that neither side pays for the
    // other's writeback. Both write into the same directory, on the same disk.
    const curlFile = join(dir, 'curl.bin');
    const curlTimes: number[] = [];
    const liftwingTimes: number[] = [];
    let cacheDir = '';
    for (let round = 0; round < RUNS; round++) {
      await rm(curlFile, { force: true });
      if (cacheDir !== '') await rm(cacheDir, { recursive: true, force: true });
      execFileSync('sync');
      curlTimes.push(
        await timed(() => {
          execFileSync('/usr/bin/curl', ['-sSf', '-o', curlFile, `${url}model.bin`]);
        }),
      );
      await rm(curlFile, { force: true });
      execFileSync('sync');
      cacheDir = join(dir, `cache-${round}`);
      liftwingTimes.push(
        await timed(() =>
          ensureModel('outlink@bench', {
            cacheDir,
            registry,
            userAgent: 'liftwing-bench',
            env: {},
          }),
        ),
      );
      console.log(
        `round ${round + 1}: curl ${rate(curlTimes[round]!)} (${curlTimes[round]!.toFixed(3)} s)   liftwing ${rate(liftwingTimes[round]!)} (${liftwingTimes[round]!.toFixed(3)} s)   ratio ${(liftwingTimes[round]! / curlTimes[round]!).toFixed(2)}x`,
      );
    }
    const curl = Math.min(...curlTimes);
    const liftwing = Math.min(...liftwingTimes);
    // Each round's ratio pairs two runs a few seconds apart, so the spread of those ratios shows
    // how much of a difference is noise from the other work sharing the machine.
    const paired = liftwingTimes.map((t, i) => t / curlTimes[i]!).sort((a, b) => a - b);
    const sha256sum = await best(() => {
      execFileSync('sha256sum', [file]);
    });
    const cache = new ArtifactCache({ cacheDir, env: {} });
    const verify = await best(async () => {
      if (!(await cache.verify()).ok) throw new Error('verify failed');
    });

    const row = (what: string, ours: number, reference: string, theirs: number, limit: number) =>
      `${what.padEnd(10)} liftwing ${rate(ours)} (${ours.toFixed(3)} s)   ${reference.padEnd(9)} ${rate(theirs)} (${theirs.toFixed(3)} s)   ratio ${(ours / theirs).toFixed(2)}x ${ours / theirs <= limit ? 'ok' : `SLOWER THAN ${limit}x`}`;
    console.log(
      `file: ${size / MB} MiB, best of ${RUNS} alternating runs, loopback server in a child process, both writing to ${dir} (${diskOf(dir)})`,
    );
    console.log(row('download', liftwing, 'curl', curl, 1.2));
    console.log(
      `           paired rounds: ratio min ${paired[0]!.toFixed(2)}x, median ${paired[Math.floor(paired.length / 2)]!.toFixed(2)}x, max ${paired.at(-1)!.toFixed(2)}x`,
    );
    console.log(row('verify', verify, 'sha256sum', sha256sum, 1.5));
  } finally {
    server.kill();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
