/**
 * The user's whole job, end to end: `liftwing predict outlink --offline --input-file docs.jsonl
 * --output-file out.jsonl` (start, load the model, score every line, write JSONL) next to
 * python3-fasttext 0.9.2's load + predict of the same model and documents, each a process of its
 * own, in alternating rounds. Prints every round, the ratio of each pair (liftwing / fastText)
 * with its median and range, and peak memory; checks that liftwing's topics are fastText's to the
 * bit on the first documents.
 *
 *   pnpm --filter @liftwing/outlink bench:job                      # 1 M words (218 MB), 10,000 docs
 *   pnpm --filter @liftwing/outlink bench:job -- --words 5240000   # the real model's size class
 *   pnpm --filter @liftwing/outlink bench:job -- --workers 0,1,2 --rounds 5
 *
 * Needs Debian's python3-fasttext (`apt-get install python3-fasttext`); PYTHON picks another
 * interpreter. The model and documents are generated into packages/outlink/.bench/ (not
 * committed) by this package's benchmark generator.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from './generate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The CLI as a user runs it: the built `liftwing` of this repository (`pnpm build` first).
const bin = join(root, '..', 'cli', 'dist', 'bin.js');
const python = process.env.PYTHON ?? '/usr/bin/python3';
/** Documents whose topics are compared with fastText's, label and float32 bits. */
const CHECKED = 300;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    words: { type: 'string', default: '1000000' },
    docs: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1,2' },
  },
});
const workerCounts = values.workers.split(',').map(Number);
const rounds = Number(values.rounds);

/**
 * Runs a command and returns its wall time and peak RSS, as Python's `resource` reports the
 * child's own maximum resident set (both tools measured the same way, from the same parent).
 */
const MEASURE = `
import resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
if code.returncode != 0:
    sys.stderr.write(code.stderr.decode()); sys.exit(code.returncode)
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
`;

/** fastText's side of the job: load, predict every line with k=-1, keep Lift Wing's topics. */
const FASTTEXT = `
import json, sys, fasttext
fasttext.FastText.eprint = lambda *a, **k: None
model = fasttext.load_model(sys.argv[1])
checked = int(sys.argv[4])
out = []
with open(sys.argv[2], encoding='utf-8') as docs:
    for i, line in enumerate(docs):
        labels, probs = model.predict(line.rstrip('\\n'), k=-1)
        if i < checked:
            kept = [[l.replace('__label__', ''), float(p)] for l, p in zip(labels, probs) if p >= 0.5]
            out.append(sorted(kept, key=lambda topic: -topic[1]))
with open(sys.argv[3], 'w') as f:
    json.dump(out, f)
`;

interface Run {
  seconds: number;
  peakMiB: number;
}

function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawnSync(python, ['-c', MEASURE, command, ...args], { env, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${child.stderr}`);
  const [seconds, kib] = child.stdout.trim().split(' ').map(Number) as [number, number];
  return { seconds, peakMiB: kib / 1024 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// Next to the generated model, so that the cache gets a hard link of it rather than a copy.
await mkdir(join(root, '.bench'), { recursive: true });
const dir = await mkdtemp(join(root, '.bench', 'job-'));
try {
  const files = await generate(join(root, '.bench'), Number(values.words), Number(values.docs));
  const texts = (await readFile(files.docs, 'utf8')).split('\n').filter(Boolean);
  const jsonl = join(dir, 'docs.jsonl');
  await writeFile(
    jsonl,
    texts
      .map(
        (text, i) =>
          `${JSON.stringify({ lang: 'en', page_title: `Doc_${i}`, features_str: text })}\n`,
      )
      .join(''),
  );
  const env = {
    PATH: process.env.PATH ?? '',
    NO_COLOR: '1',
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_USER_AGENT: 'liftwing-bench/1.0 (bench@example.org)',
  };
  await mkdir(join(dir, 'bundle'));
  await link(files.model, join(dir, 'bundle', 'model.bin'));
  execFileSync(process.execPath, [bin, 'cache', 'add', 'outlink@bench', join(dir, 'bundle')], {
    env,
  });

  const reference = join(dir, 'fasttext.json');
  const fastText: Run[] = [];
  const liftwing = new Map<number, Run[]>(workerCounts.map((w) => [w, []]));
  const output = (w: number) => join(dir, `out-${w}.jsonl`);
  // Round after round, fastText then each worker count, so that a change in the machine's speed
  // hits both sides of every ratio alike.
  for (let round = 1; round <= rounds; round++) {
    const line: string[] = [];
    fastText.push(
      measure(python, ['-c', FASTTEXT, files.model, files.docs, reference, String(CHECKED)], env),
    );
    line.push(`fastText ${fastText.at(-1)!.seconds.toFixed(2)} s`);
    for (const w of workerCounts) {
      await rm(output(w), { force: true });
      const args = [bin, 'predict', 'outlink@bench', '--offline', '--workers', String(w)];
      const run = measure(
        process.execPath,
        [...args, '--input-file', jsonl, '--output-file', output(w)],
        env,
      );
      liftwing.get(w)!.push(run);
      line.push(`liftwing --workers ${w} ${run.seconds.toFixed(2)} s`);
    }
    console.log(`round ${round}: ${line.join(', ')}`);
  }

  const want = JSON.parse(await readFile(reference, 'utf8')) as [string, number][][];
  const bits = (p: number) => new Uint32Array(Float32Array.of(p).buffer)[0]!;
  console.log(
    `\nmodel: ${Number(values.words).toLocaleString('en')} words, dim 50, 64 labels; ${texts.length.toLocaleString('en')} documents of ~300 QIDs; ` +
      `${cpus().length} cores; load average ${loadavg()[0]!.toFixed(1)}; ${rounds} alternating rounds`,
  );
  const fastTextMedian = median(fastText.map((r) => r.seconds));
  const fastTextPeak = median(fastText.map((r) => r.peakMiB));
  console.log(
    `python3-fasttext 0.9.2 load + predict:  median ${fastTextMedian.toFixed(2)} s (${(texts.length / fastTextMedian).toFixed(0)} docs/s), peak RSS ${fastTextPeak.toFixed(0)} MiB`,
  );
  for (const w of workerCounts) {
    const runs = liftwing.get(w)!;
    const ratios = runs.map((run, i) => run.seconds / fastText[i]!.seconds);
    const seconds = median(runs.map((r) => r.seconds));
    const peak = median(runs.map((r) => r.peakMiB));
    const results = (await readFile(output(w), 'utf8')).split('\n').slice(0, want.length);
    const same = results.filter((line, i) => {
      const got = (
        JSON.parse(line) as { prediction: { results: { topic: string; score: number }[] } }
      ).prediction.results;
      const expected = want[i]!;
      return (
        got.length === expected.length &&
        got.every((t, j) => t.topic === expected[j]![0] && bits(t.score) === bits(expected[j]![1]))
      );
    }).length;
    console.log(
      `liftwing --workers ${w}:  median ${seconds.toFixed(2)} s (${(texts.length / seconds).toFixed(0)} docs/s), ` +
        `time ratio ${median(ratios).toFixed(2)}x fastText (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}), ` +
        `peak RSS ${peak.toFixed(0)} MiB = ${(peak / fastTextPeak).toFixed(2)}x; ` +
        `topics identical on ${same}/${want.length} documents`,
    );
    if (same !== want.length) process.exitCode = 1;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
