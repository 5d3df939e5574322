/**
 * Gateway client benchmark, against a loopback server in a child process:
 *
 * 1. overhead: time per request of LiftWingClient.predict() next to raw undici request() with
 *    the same JSON body and parsing, one request at a time and 16 at a time;
 * 2. rate limiter: requests the server saw per second over 30 s at configured rates.
 *
 *   pnpm --filter @liftwing/core bench:gateway   (BENCH_SECONDS=10: shorter rate run; 0: none)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { LiftWingClient } from '../src/index.js';

const RESPONSE = JSON.stringify({
  model_name: 'revertrisk-language-agnostic',
  model_version: '3',
  wiki_db: 'enwiki',
  revision_id: 12345,
  output: { prediction: false, probabilities: { true: 0.2551, false: 0.7449 } },
});

if (process.argv[2] === '--server') {
  // The child: answers every POST at once and records arrival times of /rate requests.
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/stats') {
      res.end(JSON.stringify(arrivals.splice(0)));
      return;
    }
    if (req.url?.includes('rate')) arrivals.push(performance.timeOrigin + performance.now());
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(RESPONSE);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.((server.address() as AddressInfo).port);
  });
  process.on('disconnect', () => server.close());
} else {
  await main();
}

async function startChild(): Promise<{ child: ChildProcess; base: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: ['--import', 'tsx'],
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve(m as number)),
  );
  return { child, base: `http://127.0.0.1:${port}` };
}

async function timeRun(n: number, inFlight: number, one: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < n) await one();
    }),
  );
  return ((performance.now() - started) * 1000) / n;
}

async function overhead(base: string, dispatcher: Agent): Promise<void> {
  const body = { lang: 'en', rev_id: 12345 };
  const url = `${base}/v1/models/revertrisk-language-agnostic:predict`;
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'bench/1.0 (bench@example.org)',
  };
  const raw = async () => {
    const response = await request(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      dispatcher,
    });
    return response.body.json();
  };
  const client = new LiftWingClient({
    apiUrl: `${base}/v1/models/`,
    userAgent: 'bench/1.0 (bench@example.org)',
    rateLimit: false,
    concurrency: 64,
    env: {},
    dispatcher,
  });
  const lw = () => client.predict('revertrisk-language-agnostic', body);

  console.log(
    '\n1. Overhead per request (µs; loopback server in a child process; best of 5 rounds)',
  );
  console.log('   in flight   raw undici request()   LiftWingClient.predict()   ratio');
  for (const inFlight of [1, 16]) {
    const n = inFlight === 1 ? 2000 : 10000;
    await timeRun(1000, inFlight, raw);
    await timeRun(1000, inFlight, lw);
    const rawTimes: number[] = [];
    const lwTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      rawTimes.push(await timeRun(n, inFlight, raw));
      lwTimes.push(await timeRun(n, inFlight, lw));
    }
    const r = Math.min(...rawTimes);
    const c = Math.min(...lwTimes);
    console.log(
      `   ${String(inFlight).padStart(9)}   ${r.toFixed(1).padStart(20)}   ${c.toFixed(1).padStart(24)}   ${(c / r).toFixed(3)}x`,
    );
  }
}

async function rate(base: string, dispatcher: Agent, perSecond: number, seconds: number) {
  const client = new LiftWingClient({
    apiUrl: `${base}/v1/models/`,
    userAgent: 'bench/1.0 (bench@example.org)',
    rateLimit: { perSecond },
    concurrency: 16,
    env: {},
    dispatcher,
  });
  const stopAt = performance.now() + seconds * 1000 + 200;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < stopAt) await client.predict('rate', {});
    }),
  );
  const response = await request(`${base}/stats`, { dispatcher });
  const arrivals = (await response.body.json()) as number[];
  const first = arrivals[0] as number;
  const inWindow = arrivals.filter((t) => t < first + seconds * 1000).length;
  const expected = perSecond * seconds;
  const deviation = ((inWindow - expected) / expected) * 100;
  console.log(
    `   ${String(perSecond).padStart(8)}/s   ${String(seconds).padStart(4)} s   ${String(expected).padStart(8)}   ${String(inWindow).padStart(8)}   ${(inWindow / seconds).toFixed(2).padStart(9)}/s   ${deviation >= 0 ? '+' : ''}${deviation.toFixed(2)}%`,
  );
}

async function main(): Promise<void> {
  const { child, base } = await startChild();
  const dispatcher = new Agent({ connections: 64 });
  try {
    console.log(`Node ${process.version}; the CPU may be shared with other work.`);
    await overhead(base, dispatcher);
    const seconds = Number(process.env.BENCH_SECONDS ?? 30);
    if (seconds > 0) {
      console.log(`\n2. Rate limiter: requests the server received in the first ${seconds} s`);
      console.log('   configured   time   expected   received        rate   deviation');
      for (const perSecond of [15, 100]) await rate(base, dispatcher, perSecond, seconds);
    }
  } finally {
    await dispatcher.close();
    child.disconnect();
  }
}
