/**
 * Load test of `liftwing serve --offline` on loopback with wrk, once per worker count: the outlink
 * model (this package's generated benchmark model, 1 M words and 218 MB by default, added to a
 * temporary cache with `liftwing cache add`) answering requests with a `features_str` of ~300
 * QIDs drawn from its vocabulary, so no MediaWiki lookup takes part. Prints requests/s, latency
 * percentiles, errors, and the server's RSS before and after each run.
 *
 * Run: `pnpm --filter @liftwing/outlink bench:serve` (after `pnpm build`; needs Debian's wrk).
 * BENCH_WORKERS (default 1,2), BENCH_SECONDS (default 60), BENCH_CONNECTIONS (default 16),
 * BENCH_THREADS (wrk's, default 1), BENCH_WORDS (default 1000000). Exits 1 on any error.
 */
import { execFile, spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate } from './generate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, '..', 'cli', 'dist', 'bin.js');
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const threads = Number(process.env.BENCH_THREADS ?? 1);
const words = Number(process.env.BENCH_WORDS ?? 1_000_000);
const workerCounts = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const run = promisify(execFile);

// Next to the generated model, so that the cache gets a hard link of it rather than a copy.
await mkdir(join(root, '.bench'), { recursive: true });
const dir = await mkdtemp(join(root, '.bench', 'serve-'));
const env = {
  PATH: process.env.PATH ?? '',
  NO_COLOR: '1',
  LIFTWING_CACHE_DIR: join(dir, 'cache'),
  LIFTWING_MW_API_URL: 'http://127.0.0.1:9/w/api.php',
  LIFTWING_USER_AGENT: 'liftwing-bench/1.0 (bench@example.org)',
};

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
}

try {
  const files = await generate(join(root, '.bench'), words, 100);
  await mkdir(join(dir, 'bundle'));
  await link(files.model, join(dir, 'bundle', 'model.bin'));
  await run(process.execPath, [bin, 'cache', 'add', 'outlink@bench', join(dir, 'bundle')], { env });
  // The generated document closest to 300 QIDs.
  const text = (await readFile(files.docs, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .reduce((best, doc) =>
      Math.abs(doc.split(' ').length - 300) < Math.abs(best.split(' ').length - 300) ? doc : best,
    );
  const qids = text.split(' ');
  const body = JSON.stringify({
    lang: 'en',
    page_title: 'Load_test',
    threshold: 0.1,
    features_str: text,
  });
  const bodyFile = join(dir, 'body.json');
  await writeFile(bodyFile, body);

  let failed = false;
  for (const workers of workerCounts) failed = (await serveAndLoad(workers)) || failed;
  if (failed) process.exitCode = 1;

  /** One server with `workers` threads under wrk; true when any request failed. */
  async function serveAndLoad(workers: number): Promise<boolean> {
    const server = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--offline',
        '--models',
        'outlink@bench',
        '--workers',
        String(workers),
        '--port',
        '0',
        '--quiet',
        '--json',
      ],
      { env, stdio: ['ignore', 'inherit', 'pipe'] },
    );
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      server.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const line = stderr.split('\n').find((entry) => entry.includes('"listening"'));
        if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
      });
      server.on('close', () => reject(new Error(`liftwing serve exited:\n${stderr}`)));
    });
    const endpoint = `${url}/v1/models/outlink-topic-model:predict`;
    const wrk = (args: string[]) =>
      run('wrk', [...args, '-s', join(root, 'bench', 'predict.lua'), endpoint], {
        env: { ...process.env, BODY_FILE: bodyFile },
        maxBuffer: 1 << 20,
      });
    try {
      const first = await fetch(endpoint, { method: 'POST', body });
      const answer = await first.text();
      if (first.status !== 200) throw new Error(`warm-up answered ${first.status}: ${answer}`);
      // Warm up the JIT and start the threads before measuring the baseline memory.
      await wrk(['-t1', `-c${connections}`, '-d5s']);
      const rssBefore = await rssKiB(server.pid!);
      // RSS every 10 s under load: a leak keeps climbing, a heap settling in flattens out.
      const samples: number[] = [];
      const sampler = setInterval(() => {
        rssKiB(server.pid!).then(
          (kib) => samples.push(kib),
          () => {},
        );
      }, 10_000);
      const { stdout } = await wrk([
        `-t${threads}`,
        `-c${connections}`,
        `-d${seconds}s`,
        '--timeout',
        '10s',
      ]);
      clearInterval(sampler);
      const rssAfter = await rssKiB(server.pid!);
      const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        requests: number;
        durationUs: number;
        errors: Record<string, number>;
        latencyUs: Record<string, number>;
      };
      const errors = Object.values(figures.errors).reduce((sum, count) => sum + count, 0);
      const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
      console.log(
        [
          `\nliftwing serve --offline --workers ${workers}: outlink (generated model, ${words.toLocaleString('en')} words), features_str of ${qids.length} QIDs, ${body.length} B body`,
          `wrk -t${threads} -c${connections} -d${seconds}s on loopback; answer: ${answer.length} B`,
          `requests:     ${figures.requests} in ${(figures.durationUs / 1e6).toFixed(1)} s = ${((figures.requests * 1e6) / figures.durationUs).toFixed(0)} requests/s`,
          `latency:      p50 ${ms(figures.latencyUs.p50!)}, p90 ${ms(figures.latencyUs.p90!)}, p99 ${ms(figures.latencyUs.p99!)}, max ${ms(figures.latencyUs.max!)}`,
          `errors:       ${errors} ${JSON.stringify(figures.errors)}`,
          `server RSS:   ${(rssBefore / 1024).toFixed(1)} MiB before, ${(rssAfter / 1024).toFixed(1)} MiB after (${rssAfter >= rssBefore ? '+' : ''}${((rssAfter - rssBefore) / 1024).toFixed(1)} MiB)`,
          `RSS every 10 s: ${samples.map((kib) => (kib / 1024).toFixed(1)).join(', ')} MiB`,
        ].join('\n'),
      );
      return errors > 0;
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('close', resolve));
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
