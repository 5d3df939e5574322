/**
 * Benchmark on a model of Lift Wing langid's size class (OpenLID lid201: dim 256, character
 * n-grams 2 to 5 in 1 M buckets, 201 labels, softmax; see generate.ts for where each figure
 * comes from): this package next to python3-fasttext 0.9.2 (Debian's, /usr/bin/python3) and
 * next to `fasttext.wasm`, the most downloaded fastText package on npm, on the same generated
 * model and texts of at most 100 characters, `predict(text)` with k = 1 as langid calls it.
 * Each implementation runs in its own process (load time and peak memory are its own), rounds
 * alternate, and every round is printed as well as the best.
 *
 *   pnpm --filter @liftwing/fasttext bench                      # 170,000 words, 1.2 GB
 *   pnpm --filter @liftwing/fasttext bench -- --words 20000 --bucket 100000   # a quick run
 *
 * Files go to packages/fasttext/.bench/ (not committed). Set PYTHON to use another interpreter.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { float32Bits, peakRssMb } from '@liftwing/test-utils';
import { FastTextPool, loadFastText } from '../src/index.js';
import { generate, LID201 } from './generate.js';

interface Result {
  baselineRssMb: number;
  /** From the call of the load function until it returns the model. */
  loadSeconds: number;
  peakRssMb: number;
  textsPerSecond: number;
  /** This package only: throughput of a FastTextPool of 2 threads, after the other figures. */
  poolTextsPerSecond?: number;
  /** The top 3 labels and float32 bits of their probabilities, for the first SAMPLE texts. */
  sample: string[];
  error?: string;
}

const SAMPLE = 500;
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

const readTexts = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);

async function ours(model: string, textsPath: string): Promise<Result> {
  const baselineRssMb = peakRssMb();
  const texts = readTexts(textsPath);
  const started = performance.now();
  const ft = await loadFastText(model);
  const loadSeconds = (performance.now() - started) / 1000;
  const scoring = performance.now();
  ft.predictBatch(texts, { k: 1 });
  const textsPerSecond = texts.length / ((performance.now() - scoring) / 1000);
  const sample = texts.slice(0, SAMPLE).map((t) =>
    ft
      .predict(t, 3)
      .map(([l, p]) => `${l}:${float32Bits(p)}`)
      .join(' '),
  );
  const peak = peakRssMb();
  // Every core, with the one shared copy of the model (this machine has 2).
  const pool = new FastTextPool(ft, { workers: 2 });
  await pool.predictBatch(texts.slice(0, 2000), { k: 1 });
  const pooled = performance.now();
  await pool.predictBatch(texts, { k: 1 });
  const poolTextsPerSecond = texts.length / ((performance.now() - pooled) / 1000);
  await pool.close();
  return {
    baselineRssMb,
    loadSeconds,
    peakRssMb: peak,
    textsPerSecond,
    poolTextsPerSecond,
    sample,
  };
}

async function wasm(model: string, textsPath: string): Promise<Result> {
  const baselineRssMb = peakRssMb();
  const texts = readTexts(textsPath);
  const { FastText } = await import('fasttext.wasm');
  const started = performance.now();
  const ft = await FastText.create();
  await ft.loadModel(pathToFileURL(model).href);
  const loadSeconds = (performance.now() - started) / 1000;
  const scoring = performance.now();
  for (const text of texts) ft.predict(text, 1, 0);
  const textsPerSecond = texts.length / ((performance.now() - scoring) / 1000);
  const sample = texts
    .slice(0, SAMPLE)
    .map((t) => [...ft.predict(t, 3, 0)].map(([l, p]) => `${l}:${float32Bits(p)}`).join(' '));
  return { baselineRssMb, loadSeconds, peakRssMb: peakRssMb(), textsPerSecond, sample };
}

const PYTHON_WORKER = `
import json, re, struct, sys, time
import fasttext
model, texts_path, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)) / 1024
base = hwm()
texts = open(texts_path, encoding='utf-8').read().split('\\n')[:-1]
t = time.perf_counter()
ft = fasttext.load_model(model)
load = time.perf_counter() - t
t = time.perf_counter()
for text in texts:
    ft.predict(text)
rate = len(texts) / (time.perf_counter() - t)
peak = hwm()
bits = lambda p: '%08x' % struct.unpack('<I', struct.pack('<f', p))[0]
out = [ft.predict(text, k=3) for text in texts[:sample]]
print(json.dumps({'baselineRssMb': base, 'loadSeconds': load, 'peakRssMb': peak, 'textsPerSecond': rate,
                  'sample': [' '.join(l + ':' + bits(p) for l, p in zip(*o)) for o in out]}))
`;

function run(command: string, args: string[]): Result {
  const child = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    // The error line itself: a minified module's stack would bury it.
    const lines = child.stderr.trim().split('\n');
    const message =
      lines.filter((l) => /Error|Abort/.test(l) && l.length < 400).pop() ?? lines.pop();
    const reason = `${message} (exit ${child.status ?? child.signal})`;
    return {
      baselineRssMb: 0,
      loadSeconds: 0,
      peakRssMb: 0,
      textsPerSecond: 0,
      sample: [],
      error: reason,
    };
  }
  return JSON.parse(last) as Result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    // pnpm passes the `--` of `pnpm bench -- --words N` through.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      worker: { type: 'string' },
      words: { type: 'string', default: String(LID201.nwords) },
      bucket: { type: 'string', default: String(LID201.bucket) },
      texts: { type: 'string', default: '20000' },
      model: { type: 'string' },
      'texts-file': { type: 'string' },
      rounds: { type: 'string', default: '3' },
      wasm: { type: 'boolean', default: true },
    },
  });
  if (values.worker !== undefined) {
    const work = values.worker === 'wasm' ? wasm : ours;
    console.log(JSON.stringify(await work(values.model!, values['texts-file']!)));
    return;
  }
  const shape = { ...LID201, nwords: Number(values.words), bucket: Number(values.bucket) };
  const files = await generate(join(PACKAGE, '.bench'), shape, Number(values.texts));
  const size = statSync(files.model).size;
  console.log(
    `model: ${shape.nwords.toLocaleString('en')} words, dim ${shape.dim}, minn ${shape.minn}, maxn ${shape.maxn}, ${shape.bucket.toLocaleString('en')} buckets, ${shape.labels} labels, softmax, ${(size / 1e9).toFixed(2)} GB; ${values.texts} texts of at most 100 characters, k = 1`,
  );
  const self = fileURLToPath(import.meta.url);
  const node = (kind: string) =>
    run(process.execPath, [
      ...process.execArgv,
      self,
      '--worker',
      kind,
      '--model',
      files.model,
      '--texts-file',
      files.texts,
    ]);
  const implementations: [string, () => Result][] = [
    ['@liftwing/fasttext', () => node('ours')],
    [
      'python3-fasttext 0.9.2',
      () =>
        run(process.env.PYTHON ?? '/usr/bin/python3', [
          '-c',
          PYTHON_WORKER,
          files.model,
          files.texts,
          String(SAMPLE),
        ]),
    ],
  ];
  if (values.wasm) implementations.push(['fasttext.wasm 1.0.1', () => node('wasm')]);
  const runs = new Map<string, Result[]>(implementations.map(([name]) => [name, []]));
  // The machine may be shared: alternate the implementations round by round.
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, start] of implementations) runs.get(name)!.push(start());
  }
  console.log(`${values.rounds} alternating rounds; load average now ${loadavg()[0]!.toFixed(1)}`);
  const spread = (xs: number[], digits: number) =>
    `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
  const best = new Map<string, Result>();
  console.log(
    `${''.padEnd(24)}${'ready (best)'.padStart(14)}${'peak RSS'.padStart(12)}${'texts/s (best)'.padStart(16)}   per round: ready s; texts/s`,
  );
  for (const [name, rs] of runs) {
    const ok = rs.filter((r) => r.error === undefined);
    if (ok.length === 0) {
      console.log(`${name.padEnd(24)}failed: ${rs[0]!.error}`);
      continue;
    }
    const b: Result = {
      ...ok[0]!,
      loadSeconds: Math.min(...ok.map((r) => r.loadSeconds)),
      peakRssMb: Math.min(...ok.map((r) => r.peakRssMb)),
      textsPerSecond: Math.max(...ok.map((r) => r.textsPerSecond)),
    };
    best.set(name, b);
    console.log(
      `${name.padEnd(24)}${b.loadSeconds.toFixed(2).padStart(12)} s${b.peakRssMb.toFixed(0).padStart(8)} MiB${b.textsPerSecond.toFixed(0).padStart(16)}   ${ok.map((r) => r.loadSeconds.toFixed(2)).join(' ')}; ${ok.map((r) => r.textsPerSecond.toFixed(0)).join(' ')}`,
    );
  }
  const pooled = runs.get('@liftwing/fasttext')!.map((r) => r.poolTextsPerSecond ?? 0);
  console.log(
    `@liftwing/fasttext on a FastTextPool of 2 threads (one shared model): ${Math.max(...pooled).toFixed(0)} texts/s best, per round ${pooled.map((x) => x.toFixed(0)).join(' ')}`,
  );
  const ts = best.get('@liftwing/fasttext');
  const py = best.get('python3-fasttext 0.9.2');
  if (ts === undefined || py === undefined) {
    process.exitCode = 1;
    return;
  }
  // Ratios per round pair too: the spread says how much to trust the best-of figures.
  const pairs = runs
    .get('@liftwing/fasttext')!
    .map((r, i) => [r, runs.get('python3-fasttext 0.9.2')![i]!] as const);
  const ratio = (key: 'loadSeconds' | 'peakRssMb' | 'textsPerSecond') =>
    `${(ts[key] / py[key]).toFixed(2)}x (rounds ${spread(
      pairs.map(([a, b]) => a[key] / b[key]),
      2,
    )})`;
  console.log(
    `@liftwing/fasttext / python3-fasttext: ready ${ratio('loadSeconds')}, peak RSS ${ratio('peakRssMb')}, throughput ${ratio('textsPerSecond')}`,
  );
  for (const [name, other] of best) {
    if (name === '@liftwing/fasttext') continue;
    const same = ts.sample.filter((s, i) => s === other.sample[i]).length;
    console.log(
      `identical top-3 predictions (labels, order, float32 bits) with ${name} on the first ${SAMPLE} texts: ${same}/${other.sample.length}`,
    );
    if (name.startsWith('python') && same !== other.sample.length) process.exitCode = 1;
  }
}

await main();
