/**
 * Events per second through `liftwing stream` with offline outlink, from a local JSONL source and
 * from Kafka, next to the same work as a plain batch (`liftwing predict --input-file`): the same
 * requests (what outlink's `requestFromEvent` makes of each event), the same model, the same
 * MediaWiki answers. Each run is a process of its own (start, model load, scoring, output), in
 * alternating rounds; prints every round and the median events/s of each, with its ratio to the
 * batch.
 *
 *   pnpm --filter @liftwing/stream bench                         # 2000 events, 3 rounds
 *   pnpm --filter @liftwing/stream bench -- --events 5000 --rounds 5 --words 200000
 *
 * The model is a generated fastText model of outlink's shape (outlink's benchmark generator:
 * random weights, QID vocabulary), written to packages/stream/.bench/ (not committed). Outlink
 * offline reads each article's outlinks from MediaWiki: a loopback fake MediaWiki in this process
 * answers for both sides alike. The Kafka run needs librdkafka's mock cluster (tools/kafka-mock);
 * without it, that row says why it is missing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { changeEventOf } from '@liftwing/core';
import { definition as outlink } from '@liftwing/outlink/definition';
import {
  FakeWiki,
  kafkaMockUnavailable,
  pageChangeEvent,
  startFakeMediaWiki,
  startKafkaMock,
  xorshift,
} from '@liftwing/test-utils';
import kafkajs from 'kafkajs';
import { generate } from '../../outlink/bench/generate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, '..', 'cli', 'dist', 'bin.js');

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    events: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    words: { type: 'string', default: '200000' },
    links: { type: 'string', default: '100' },
  },
});
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);
const LINKS = Number(values.links);

await mkdir(join(root, '.bench'), { recursive: true });
const dir = await mkdtemp(join(root, '.bench', 'stream-'));
const files = await generate(join(root, '.bench'), Number(values.words), 1, 1);

// The wiki: link targets with Wikidata items of the model's vocabulary, and one revision per
// event whose parse lists LINKS of them.
const wiki = new FakeWiki();
const next = xorshift(17);
const TARGETS = 5000;
for (let i = 0; i < TARGETS; i++) {
  wiki.addPage({ title: `Target ${i}`, pageid: 1_000_000 + i, qid: `Q${(i % 1000) * 7 + 8}` });
}
const events: Record<string, unknown>[] = [];
for (let i = 0; i < EVENTS; i++) {
  const revId = 10_000 + i;
  const pageId = 100 + i;
  wiki.addPage({ title: `Article ${i}`, pageid: pageId });
  wiki.addParse(
    revId,
    Array.from({ length: LINKS }, () => ({
      ns: 0,
      title: `Target ${Math.floor(next() * TARGETS)}`,
      exists: true,
    })),
  );
  events.push(pageChangeEvent({ revId, pageId, title: `Article_${i}` }));
}
const mediawiki = await startFakeMediaWiki({ 'en.wikipedia.org': wiki });
const requests = events.map((event) => outlink.requestFromEvent!(changeEventOf(event)!));

const eventsFile = join(dir, 'events.jsonl');
const requestsFile = join(dir, 'requests.jsonl');
await writeFile(eventsFile, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
await writeFile(requestsFile, requests.map((r) => `${JSON.stringify(r)}\n`).join(''));

const env = {
  PATH: process.env.PATH ?? '',
  NO_COLOR: '1',
  LIFTWING_CACHE_DIR: join(dir, 'cache'),
  LIFTWING_USER_AGENT: 'liftwing-bench/1.0 (bench@example.org)',
  LIFTWING_MW_API_URL: mediawiki.apiUrlTemplate,
  LIFTWING_NO_WARNINGS: '1',
};
await mkdir(join(dir, 'bundle'));
await link(files.model, join(dir, 'bundle', 'model.bin'));
execFileSync(process.execPath, [bin, 'cache', 'add', 'outlink@bench', join(dir, 'bundle')], {
  env,
});

/** Runs `liftwing <args>` to its end; resolves with its wall time in seconds. */
function timed(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) =>
      code === 0
        ? resolve((performance.now() - started) / 1000)
        : reject(new Error(`liftwing ${args.join(' ')} exited ${code}:\n${stderr}`)),
    );
  });
}

const unavailable = kafkaMockUnavailable();
const mock =
  unavailable === undefined ? await startKafkaMock({ events: 4, predictions: 4 }) : undefined;
let topicRound = 0;

/** Produces the events to a fresh topic of the mock, and scores them from there. */
async function kafkaRun(): Promise<number> {
  const kafka = new kafkajs.Kafka({
    brokers: mock!.brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const topic = `events-${++topicRound}`;
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < events.length; i += 500) {
    await producer.send({
      topic,
      messages: events.slice(i, i + 500).map((event) => ({ value: JSON.stringify(event) })),
    });
  }
  await producer.disconnect();
  return timed([
    'stream',
    'outlink@bench',
    '--offline',
    '--from',
    `kafka://${mock!.brokers}/${topic}?group=bench-${topicRound}`,
    '--to',
    `kafka://${mock!.brokers}/predictions`,
    '--limit',
    String(EVENTS),
  ]);
}

const runs: Record<string, number[]> = { batch: [], jsonl: [], kafka: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const out = (name: string) => join(dir, `${name}-${round}.jsonl`);
    runs.batch!.push(
      await timed([
        'predict',
        'outlink@bench',
        '--offline',
        '--input-file',
        requestsFile,
        '--output-file',
        out('batch'),
      ]),
    );
    runs.jsonl!.push(
      await timed([
        'stream',
        'outlink@bench',
        '--offline',
        '--from',
        eventsFile,
        '--to',
        out('stream'),
      ]),
    );
    if (mock !== undefined) runs.kafka!.push(await kafkaRun());
    const rate = (name: string) => {
      const seconds = runs[name]!.at(-1);
      return seconds === undefined ? '-' : `${(EVENTS / seconds).toFixed(0)}/s`;
    };
    console.log(
      `round ${round}: batch ${rate('batch')}, stream jsonl ${rate('jsonl')}, stream kafka ${rate('kafka')}`,
    );
  }
} finally {
  await mock?.close();
  await mediawiki.close();
  await rm(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const batchRate = EVENTS / median(runs.batch!);
console.log(
  `\n${EVENTS} events (${LINKS} outlinks each, fake MediaWiki on loopback), offline outlink ` +
    `(${values.words} words), ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}; median of ${ROUNDS}, ` +
    'each a whole process (start, load, score, write):',
);
console.log(`${'run'.padEnd(34)}${'events/s'.padStart(10)}${'vs batch'.padStart(10)}`);
const row = (label: string, xs: number[], why?: string) => {
  if (xs.length === 0) return console.log(`${label.padEnd(34)}${'-'.padStart(10)}  (${why})`);
  const rate = EVENTS / median(xs);
  console.log(
    `${label.padEnd(34)}${rate.toFixed(0).padStart(10)}${(rate / batchRate).toFixed(2).padStart(10)}`,
  );
};
row('liftwing predict --input-file', runs.batch!);
row('liftwing stream --from <jsonl>', runs.jsonl!);
row('liftwing stream --from kafka://', runs.kafka!, unavailable);
