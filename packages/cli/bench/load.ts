/**
 * Load test of `liftwing serve --offline` on loopback with wrk: the outlink model (the fastText
 * fixture model of @liftwing/outlink, added to a temporary cache with `liftwing cache add`)
 * answering a request with `features_str` of ~300 QIDs, so no MediaWiki lookup takes part.
 * Prints requests/s, latency percentiles, errors, and the server's RSS before and after.
 *
 * Run: `pnpm --filter liftwing bench` (after `pnpm build`). BENCH_SECONDS (default 60),
 * BENCH_CONNECTIONS (default 16), BENCH_THREADS (default 2). Exits 1 on any error.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'bin.js');
const fixtures = join(root, '..', 'outlink', 'test', 'fixtures', 'fasttext');
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const run = promisify(execFile);

const dir = await mkdtemp(join(tmpdir(), 'liftwing-bench-'));
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
  await mkdir(join(dir, 'bundle'));
  await copyFile(join(fixtures, 'ova.bin'), join(dir, 'bundle', 'model.bin'));
  await run(
    process.execPath,
    [bin, 'cache', 'add', 'outlink@bench-ova', join(dir, 'bundle', 'model.bin')],
    { env },
  );

  // ~300 distinct QIDs from the fixture's test documents (most are in the model's vocabulary).
  const expected = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')) as {
    texts: string[];
  };
  const qids = [...new Set(expected.texts.join(' ').match(/\bQ\d+\b/g))].slice(0, 300);
  const body = JSON.stringify({
    lang: 'en',
    page_title: 'Load_test',
    threshold: 0.1,
    features_str: qids.join(' '),
  });
  const bodyFile = join(dir, 'body.json');
  await writeFile(bodyFile, body);

  const server = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--offline',
      '--models',
      'outlink@bench-ova',
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
      const line = stderr.split('\n').find((text) => text.includes('"listening"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    server.on('close', () => reject(new Error(`liftwing serve exited:\n${stderr}`)));
  });
  const endpoint = `${url}/v1/models/outlink-topic-model:predict`;
  try {
    const first = await fetch(endpoint, { method: 'POST', body });
    const answer = await first.text();
    if (first.status !== 200) throw new Error(`warm-up answered ${first.status}: ${answer}`);
    // Warm up the JIT before measuring the baseline memory.
    await run('wrk', ['-t1', '-c4', '-d3s', '-s', join(root, 'bench', 'predict.lua'), endpoint], {
      env: { ...process.env, BODY_FILE: bodyFile },
    });
    const rssBefore = await rssKiB(server.pid!);
    const { stdout } = await run(
      'wrk',
      [
        `-t${threads}`,
        `-c${connections}`,
        `-d${seconds}s`,
        '--timeout',
        '10s',
        '-s',
        join(root, 'bench', 'predict.lua'),
        endpoint,
      ],
      { env: { ...process.env, BODY_FILE: bodyFile }, maxBuffer: 1 << 20 },
    );
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
        `liftwing serve --offline, outlink (fastText fixture ova.bin), features_str of ${qids.length} QIDs, ${body.length} B body`,
        `wrk -t${threads} -c${connections} -d${seconds}s on loopback; answer: ${answer.length} B`,
        `requests:     ${figures.requests} in ${(figures.durationUs / 1e6).toFixed(1)} s = ${((figures.requests * 1e6) / figures.durationUs).toFixed(0)} requests/s`,
        `latency:      p50 ${ms(figures.latencyUs.p50!)}, p90 ${ms(figures.latencyUs.p90!)}, p99 ${ms(figures.latencyUs.p99!)}, max ${ms(figures.latencyUs.max!)}`,
        `errors:       ${errors} ${JSON.stringify(figures.errors)}`,
        `server RSS:   ${(rssBefore / 1024).toFixed(1)} MiB before, ${(rssAfter / 1024).toFixed(1)} MiB after (${rssAfter >= rssBefore ? '+' : ''}${((rssAfter - rssBefore) / 1024).toFixed(1)} MiB)`,
      ].join('\n'),
    );
    if (errors > 0) process.exitCode = 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('close', resolve));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
