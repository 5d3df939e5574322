/**
 * fastText scorer benchmark: this package's TypeScript reader/scorer next to python3-fasttext
 * 0.9.2 (Debian's, run with /usr/bin/python3) on the same generated model and documents, each in
 * its own process so load time and peak memory are each implementation's own.
 *
 *   pnpm --filter @liftwing/outlink bench            # 1 M words, dim 50, 64 labels
 *   pnpm --filter @liftwing/outlink bench -- --words 5240000   # the real model's size class
 *
 * Files go to packages/outlink/.bench/ (not committed). Set PYTHON to use another interpreter.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadFastText } from '@liftwing/fasttext';
import { float32Bits, peakRssMb } from '@liftwing/test-utils';
import { generate } from './generate.js';

interface Result {
  baselineRssMb: number;
  /** From the call of the load function until it returns the model. */
  loadSeconds: number;
  /** From the call of the load function until the first document's prediction is returned. */
  firstSeconds: number;
  peakRssMb: number;
  docsPerSecond: number;
  /** float32 bits of every probability of the first SAMPLE documents, labels included. */
  sample: string[];
}

const SAMPLE = 300;
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

async function worker(model: string, docsPath: string): Promise<Result> {
  const baselineRssMb = peakRssMb();
  const docs = readFileSync(docsPath, 'utf8').split('\n').filter(Boolean);
  const started = performance.now();
  const ft = await loadFastText(model);
  const loadSeconds = (performance.now() - started) / 1000;
  ft.predict(docs[0]!);
  const firstSeconds = (performance.now() - started) / 1000;
  const scoring = performance.now();
  const results = ft.predictBatch(docs);
  const docsPerSecond = docs.length / ((performance.now() - scoring) / 1000);
  return {
    baselineRssMb,
    loadSeconds,
    firstSeconds,
    peakRssMb: peakRssMb(),
    docsPerSecond,
    sample: results
      .slice(0, SAMPLE)
      .map((r) => r.map(([l, p]) => `${l}:${float32Bits(p)}`).join(' ')),
  };
}

const PYTHON_WORKER = `
import re, struct, sys, time
import fasttext
model, docs_path, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)) / 1024
base = hwm()
docs = [line.rstrip('\\n') for line in open(docs_path, encoding='utf-8') if line.strip()]
t = time.perf_counter()
ft = fasttext.load_model(model)
load = time.perf_counter() - t
ft.predict(docs[0], k=-1)
first = time.perf_counter() - t
t = time.perf_counter()
out = [ft.predict(doc, k=-1) for doc in docs]
rate = len(docs) / (time.perf_counter() - t)
peak = hwm()
bits = lambda p: '%08x' % struct.unpack('<I', struct.pack('<f', p))[0]
import json
print(json.dumps({'baselineRssMb': base, 'loadSeconds': load, 'firstSeconds': first, 'peakRssMb': peak, 'docsPerSecond': rate,
                  'sample': [' '.join(l + ':' + bits(p) for l, p in zip(*o)) for o in out[:sample]]}))
`;

function run(command: string, args: string[]): Result {
  const child = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (child.status !== 0) throw new Error(`${command} failed: ${child.stderr}`);
  const last = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    // pnpm passes the `--` of `pnpm bench -- --words N` through.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      worker: { type: 'boolean' },
      words: { type: 'string', default: '1000000' },
      docs: { type: 'string', default: '10000' },
      model: { type: 'string' },
      'docs-file': { type: 'string' },
      rounds: { type: 'string', default: '3' },
    },
  });
  if (values.worker) {
    console.log(JSON.stringify(await worker(values.model!, values['docs-file']!)));
    return;
  }
  const nwords = Number(values.words);
  const files = await generate(join(PACKAGE, '.bench'), nwords, Number(values.docs));
  const size = readFileSync(files.model).byteLength;
  console.log(
    `model: ${nwords.toLocaleString('en')} words, dim 50, 64 labels, ova, ${(size / 2 ** 20).toFixed(0)} MiB; ${values.docs} documents of ~300 QIDs`,
  );
  const self = fileURLToPath(import.meta.url);
  // The machine may be shared: alternate the two and keep each one's best round.
  const runs: { ts: Result[]; py: Result[] } = { ts: [], py: [] };
  for (let round = 0; round < Number(values.rounds); round++) {
    runs.ts.push(
      run(process.execPath, [
        ...process.execArgv,
        self,
        '--worker',
        '--model',
        files.model,
        '--docs-file',
        files.docs,
      ]),
    );
    runs.py.push(
      run(process.env.PYTHON ?? '/usr/bin/python3', [
        '-c',
        PYTHON_WORKER,
        files.model,
        files.docs,
        String(SAMPLE),
      ]),
    );
  }
  const best = (rs: Result[]): Result => ({
    ...rs[0]!,
    loadSeconds: Math.min(...rs.map((r) => r.loadSeconds)),
    firstSeconds: Math.min(...rs.map((r) => r.firstSeconds)),
    peakRssMb: Math.min(...rs.map((r) => r.peakRssMb)),
    baselineRssMb: Math.min(...rs.map((r) => r.baselineRssMb)),
    docsPerSecond: Math.max(...rs.map((r) => r.docsPerSecond)),
  });
  const ts = best(runs.ts);
  const py = best(runs.py);
  console.log(
    `best of ${values.rounds} alternating rounds; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const row = (name: string, r: Result) =>
    `${name.padEnd(22)}${r.loadSeconds.toFixed(2).padStart(10)} s${r.firstSeconds.toFixed(2).padStart(10)} s${r.peakRssMb.toFixed(0).padStart(10)} MiB${(r.peakRssMb - r.baselineRssMb).toFixed(0).padStart(10)} MiB${r.docsPerSecond.toFixed(0).padStart(12)} docs/s`;
  console.log(
    `${''.padEnd(22)}${'ready'.padStart(12)}${'1st predict'.padStart(12)}${'peak RSS'.padStart(14)}${'(over base)'.padStart(14)}${'predict k=-1'.padStart(19)}`,
  );
  console.log(row('@liftwing/outlink', ts));
  console.log(row('python3-fasttext 0.9.2', py));
  // Every round, since a shared machine makes single figures unreliable.
  const seconds = (rs: Result[], key: 'loadSeconds' | 'firstSeconds') =>
    rs.map((r) => r[key].toFixed(2)).join(' ');
  for (const [name, rs] of [
    ['@liftwing/outlink', runs.ts],
    ['python3-fasttext 0.9.2', runs.py],
  ] as const) {
    console.log(
      `${name.padEnd(22)}  ready per round: ${seconds(rs, 'loadSeconds')} s; first prediction: ${seconds(rs, 'firstSeconds')} s`,
    );
  }
  console.log(
    `"ready" is the load call returning the model; "1st predict" adds predicting the first document (k=-1). Ratios: ready ${(ts.loadSeconds / py.loadSeconds).toFixed(2)}x, 1st predict ${(ts.firstSeconds / py.firstSeconds).toFixed(2)}x, peak RSS ${(ts.peakRssMb / py.peakRssMb).toFixed(2)}x, throughput ${(ts.docsPerSecond / py.docsPerSecond).toFixed(2)}x (TS / fastText)`,
  );
  const same = ts.sample.filter((s, i) => s === py.sample[i]).length;
  console.log(
    `identical predictions (labels, order, float32 bits) on the first ${SAMPLE} documents: ${same}/${py.sample.length}`,
  );
  if (same !== py.sample.length) process.exitCode = 1;
}

await main();
