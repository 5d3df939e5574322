/**
 * The built `liftwing` evaluating and comparing offline fixture models, asking no server: outlink
 * on two fastText fixtures of `tools/fasttext-fixtures.sh` (ova.bin and ns.bin), revertrisk on
 * two ONNX bundles of @liftwing/revertrisk's generator (`tools/onnx-trees.ts`: the committed
 * classifier-zipmap fixture and one of another seed), each added to the cache as a version. The
 * metrics are checked against core's on the scores the model packages give in this process.
 */
import type { ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  binaryReport,
  type EvaluationSpec,
  type MultilabelEvaluation,
  multilabelReport,
} from '@liftwing/core';
import { definition as outlinkDefinition } from '@liftwing/outlink/definition';
import { definition as revertriskDefinition } from '@liftwing/revertrisk/definition';
import { type LoopbackServer, startLoopbackServer } from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ROOT, runCli, startServe } from './helpers/run-cli.js';

const PACKAGES = join(CLI_ROOT, '..');
const FASTTEXT = join(PACKAGES, 'fasttext', 'test', 'fixtures');
const RR = join(PACKAGES, 'revertrisk');
const USER_AGENT = 'liftwing-tests/1.0 (test@example.org)';

const texts = (
  JSON.parse(await readFile(join(FASTTEXT, 'expected.json'), 'utf8')) as { texts: string[] }
).texts;

let dir: string;
let servers: LoopbackServer[];
let env: Record<string, string>;

/** An anonymous pre-save edit whose sizes and summary vary with `i`. */
function edit(i: number, options: { commentLength?: number } = {}) {
  const parent = `'''Page ${i}''' text.${'<ref>r</ref>'.repeat(i % 4)}\n${'[[Link]] '.repeat(i % 9)}\n`;
  const added = `${' more'.repeat((i * 7) % 40)}${i % 3 === 0 ? ' {{citation needed}}' : ''}`;
  const text = `${parent}${added}${'[[Category:C]]'.repeat(i % 2)}\n`;
  const day = String(1 + (i % 27)).padStart(2, '0');
  return {
    revision_data: {
      id: -1,
      lang: 'en',
      text,
      timestamp: `2024-03-${day}T${String(i % 24).padStart(2, '0')}:30:00Z`,
      bytes: text.length + (i % 5),
      comment: 'x'.repeat(options.commentLength ?? (i * 13) % 30),
      tags: i % 4 === 0 ? ['mobile edit'] : [],
      parent: {
        id: 100 + i,
        lang: 'en',
        text: parent,
        timestamp: `2024-02-${day}T10:00:00Z`,
        bytes: parent.length,
      },
      user: { id: 0 },
      page: { id: i, title: `Page ${i}`, first_edit_timestamp: '2004-03-10T15:30:00Z' },
    },
  };
}

/** The scores a model package gives `requests` in this process, as the spec reads them. */
async function scores(
  spec: EvaluationSpec,
  create: () => Promise<{ handle(body: unknown): Promise<unknown>; close(): Promise<void> }>,
  requests: readonly Record<string, unknown>[],
) {
  const model = await create();
  try {
    const out = [];
    for (const request of requests) {
      const response = await model.handle(spec.prepare?.(request) ?? request);
      out.push(spec.kind === 'binary' ? spec.score(response) : spec.scores(response));
    }
    return out;
  } finally {
    await model.close();
  }
}

const writeJsonl = (path: string, records: readonly unknown[]) =>
  writeFile(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');

// Outlink: 120 articles, the fixture's 57 texts of 10 to 1000 QIDs and pairs of them joined;
// their topics are the two that ova scores highest, with one topic added to every third and every fifth
// left without topics, so that the metrics are neither perfect nor trivial.
const BASE = texts.filter((text) => text.split(' ').length >= 10 && text.split(' ').length < 1000);
const outlinkRequests = Array.from({ length: 120 }, (_, i) => ({
  lang: 'en',
  page_title: `Article_${i}`,
  features_str:
    i < BASE.length ? BASE[i]! : `${BASE[i % BASE.length]} ${BASE[(i * 7) % BASE.length]}`,
}));
const outlinkSpec = outlinkDefinition.evaluation as MultilabelEvaluation;
let outlinkTruth: string[][];
let outlinkScores: { ova: Record<string, number>[]; ns: Record<string, number>[] };

const revertRequests = Array.from({ length: 150 }, (_, i) => edit(i));
let revertScores: { a: number[]; b: number[] };
let revertLabels: boolean[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-e2e-evaluate-'));
  // Every server liftwing could ask: none may see a request.
  servers = await Promise.all([0, 1, 2].map(() => startLoopbackServer(() => ({ status: 500 }))));
  env = {
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_MODELS_URL: `${servers[0]!.url}/`,
    LIFTWING_API_URL: `${servers[1]!.url}/v1/models/`,
    LIFTWING_MW_API_URL: `${servers[2]!.url}/w/api.php`,
    LIFTWING_USER_AGENT: USER_AGENT,
    LIFTWING_WORKERS: '0',
  };
  for (const [version, file] of [
    ['fixture-ova', 'ova.bin'],
    ['fixture-ns', 'ns.bin'],
  ] as const) {
    const copy = join(dir, file);
    await cp(join(FASTTEXT, file), copy);
    expect((await runCli(['cache', 'add', `outlink@${version}`, copy], env)).code).toBe(0);
  }
  // The second revertrisk version: the generator of the committed fixtures, another seed.
  const trees = (await import(pathToFileURL(join(RR, 'tools', 'onnx-trees.ts')).href)) as {
    randomEnsemble(options: object): unknown;
    writeBundle(dir: string, ensemble: unknown, variant: string): Promise<unknown>;
  };
  const { FIXTURE_FEATURES } = (await import(
    pathToFileURL(join(RR, 'tools', 'onnx-fixtures.ts')).href
  )) as { FIXTURE_FEATURES: unknown };
  const bundles = { a: join(dir, 'rr-a'), b: join(dir, 'rr-b') };
  for (const name of ['model.onnx', 'manifest.json']) {
    await cp(join(RR, 'test', 'fixtures', 'classifier-zipmap', name), join(bundles.a, name));
  }
  await trees.writeBundle(
    bundles.b,
    trees.randomEnsemble({ seed: 20240601, features: FIXTURE_FEATURES, trees: 30, depth: 4 }),
    'classifier-zipmap',
  );
  await rm(join(bundles.b, 'trees.json'));
  for (const [version, bundle] of Object.entries(bundles)) {
    expect(
      (await runCli(['cache', 'add', `revertrisk@fixture-${version}`, bundle], env)).code,
    ).toBe(0);
  }

  const outlink = await import('@liftwing/outlink');
  const revertrisk = await import('@liftwing/revertrisk');
  const ovaScores = await scores(
    outlinkSpec,
    () =>
      outlink.createModel({ mode: 'offline', modelPath: join(FASTTEXT, 'ova.bin'), workers: 0 }),
    outlinkRequests,
  );
  const nsScores = await scores(
    outlinkSpec,
    () => outlink.createModel({ mode: 'offline', modelPath: join(FASTTEXT, 'ns.bin'), workers: 0 }),
    outlinkRequests,
  );
  outlinkScores = {
    ova: ovaScores as Record<string, number>[],
    ns: nsScores as Record<string, number>[],
  };
  outlinkTruth = outlinkScores.ova.map((record, i) => {
    if (i % 5 === 0) return [];
    // The two topics ova scores highest.
    const topics = Object.keys(record)
      .sort((x, y) => record[y]! - record[x]!)
      .slice(0, 2);
    return i % 3 === 0
      ? [...topics, outlinkSpec.labels[i % 64]!].filter((t, k, all) => all.indexOf(t) === k)
      : topics;
  });
  const spec = revertriskDefinition.evaluation!;
  const open = (bundle: string) => () =>
    revertrisk.createModel({ mode: 'offline', bundle, userAgent: USER_AGENT });
  revertScores = {
    a: (await scores(spec, open(bundles.a), revertRequests)) as number[],
    b: (await scores(spec, open(bundles.b), revertRequests)) as number[],
  };
  // Reverted: the riskier edits by version a, and every seventh whatever its score.
  revertLabels = revertScores.a.map((score, i) => score > 0.5 || i % 7 === 0);
}, 120_000);

const running: ChildProcess[] = [];

afterEach(() => {
  for (const proc of running.splice(0)) if (proc.exitCode === null) proc.kill('SIGKILL');
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(dir, { recursive: true, force: true });
});

const seen = () => servers.map((server) => server.requests.length);

describe('liftwing evaluate', () => {
  it('measures outlink offline against the labels: micro, macro and per topic', async () => {
    const file = join(dir, 'outlink-labelled.jsonl');
    await writeJsonl(
      file,
      outlinkRequests.map((request, i) => ({ ...request, label: outlinkTruth[i] })),
    );
    const report = join(dir, 'outlink.html');
    const run = await runCli(
      // The fixture model's scores are low: a threshold of its own.
      [
        'evaluate',
        'outlink@fixture-ova',
        '--offline',
        '--input',
        file,
        '--threshold',
        '0.05',
        '--report',
        report,
      ],
      env,
    );
    expect(run.stderr).toBe(`Report written to ${report}\n`);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      model: 'outlink-topic-model',
      version: 'fixture-ova',
      mode: 'offline',
      kind: 'multilabel',
      count: 120,
      scored: 120,
      failed: { count: 0, first: [] },
    });
    expect(result.multilabel).toEqual(
      multilabelReport(outlinkTruth, outlinkScores.ova, {
        labels: outlinkSpec.labels,
        threshold: 0.05,
      }),
    );
    expect(result.multilabel.micro.f1).toBeGreaterThan(0.1);
    expect(result.multilabelCurves.rocAuc).toBeGreaterThan(0.7);
    expect(result.multilabelCurves.roc).toBeUndefined();

    const html = await readFile(report, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<h1>Evaluation of outlink-topic-model@fixture-ova (offline)</h1>');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('<polyline');
    // Self-contained: no script, nothing fetched.
    expect(html).not.toMatch(/<script|<link|src=|href=|url\(/i);
    expect(seen()).toEqual([0, 0, 0]);
  });

  it('measures revertrisk offline: AUCs, thresholds, calibration, with the curves', async () => {
    const file = join(dir, 'revertrisk-labelled.jsonl');
    await writeJsonl(
      file,
      revertRequests.map((request, i) => ({ ...request, label: revertLabels[i] })),
    );
    const report = join(dir, 'revertrisk.html');
    const run = await runCli(
      [
        'evaluate',
        'revertrisk@fixture-b',
        '--offline',
        '--input',
        file,
        '--report',
        report,
        '--curves',
        '--json',
      ],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ kind: 'binary', version: 'fixture-b', count: 150, scored: 150 });
    const expected = JSON.parse(JSON.stringify(binaryReport(revertLabels, revertScores.b)));
    expect(result.binary).toEqual(expected);
    expect(result.binary.thresholds.map((row: { threshold: number }) => row.threshold)).toEqual([
      0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.98, 0.985, 0.99,
    ]);
    const html = await readFile(report, 'utf8');
    expect(html).toContain('ROC curve (AUC');
    expect(html).toContain('<h2>At thresholds (flagged: score ≥ threshold)</h2>');
    expect(html).toContain('<h2>Calibration</h2>');
    expect(seen()).toEqual([0, 0, 0]);
  });

  it('says which line is wrong, before loading the model', async () => {
    const file = join(dir, 'bad.jsonl');
    await writeJsonl(file, [
      { ...revertRequests[0], label: true },
      { ...revertRequests[1], label: 'yes' },
    ]);
    const run = await runCli(
      ['evaluate', 'revertrisk@fixture-a', '--offline', '--input', file],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `liftwing: ${file} line 2: "label" is "yes"; give true or false (true when the edit was reverted, false when it was not).\n`,
    );
    const unlabelled = await runCli(['evaluate', 'revertrisk', '--offline'], env);
    expect(unlabelled.stderr).toMatch(/evaluate needs --input, a JSONL file of requests/);
    expect(unlabelled.code).toBe(2);
  });
});

describe('liftwing compare', () => {
  it('compares two outlink versions on the same requests', async () => {
    const file = join(dir, 'outlink-requests.jsonl');
    await writeJsonl(file, outlinkRequests);
    const run = await runCli(
      ['compare', 'outlink@fixture-ova', 'outlink@fixture-ns', '--input', file, '--top', '5'],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const { ova, ns } = outlinkScores;
    const differences = ova.flatMap((a, i) =>
      outlinkSpec.labels.map((label) => (ns[i]![label] ?? 0) - (a[label] ?? 0)),
    );
    const same = ova.filter((a, i) =>
      outlinkSpec.labels.every((l) => (a[l] ?? 0) >= 0.5 === (ns[i]![l] ?? 0) >= 0.5),
    ).length;
    expect(result).toMatchObject({
      model: 'outlink-topic-model',
      a: { version: 'fixture-ova', mode: 'offline' },
      b: { version: 'fixture-ns', mode: 'offline' },
      kind: 'multilabel',
      threshold: 0.5,
      count: 120,
      compared: 120,
    });
    expect(result.agreement).toBeCloseTo(same / 120, 12);
    expect(result.difference.maxAbsolute).toBeCloseTo(Math.max(...differences.map(Math.abs)), 12);
    expect(result.difference.mean).toBeCloseTo(
      differences.reduce((s, d) => s + d, 0) / differences.length,
      12,
    );
    expect(result.changed).toHaveLength(5);
    expect(Math.abs(result.changed[0].difference)).toBeCloseTo(result.difference.maxAbsolute, 12);
    expect(result.changed[0].request).toEqual(outlinkRequests[result.changed[0].index]);
    expect(seen()).toEqual([0, 0, 0]);
  });

  it('compares two revertrisk versions, labelled lines accepted', async () => {
    const file = join(dir, 'revertrisk-labelled.jsonl');
    const run = await runCli(
      [
        'compare',
        'revertrisk@fixture-a',
        'revertrisk@fixture-b',
        '--input',
        file,
        '--threshold',
        '0.6',
      ],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const { a, b } = revertScores;
    const agree = a.filter((x, i) => x >= 0.6 === b[i]! >= 0.6).length;
    expect(result).toMatchObject({ kind: 'binary', threshold: 0.6, compared: 150 });
    expect(result.agreement).toBeCloseTo(agree / 150, 12);
    const top = result.changed[0];
    expect(top.a).toBe(a[top.index]);
    expect(top.b).toBe(b[top.index]);
    expect(Math.abs(top.difference)).toBe(Math.max(...a.map((x, i) => Math.abs(b[i]! - x))));
    expect(result.difference.maxAbsolute).toBeGreaterThan(0);
    expect(seen()).toEqual([0, 0, 0]);
  });

  it('needs two versions of one model', async () => {
    const file = join(dir, 'revertrisk-labelled.jsonl');
    const one = await runCli(['compare', 'revertrisk@fixture-a', '--input', file], env);
    expect(one.stderr).toMatch(/Name two versions of one model/);
    const two = await runCli(
      ['compare', 'revertrisk@fixture-a', 'outlink@fixture-ova', '--input', file],
      env,
    );
    expect(two.stderr).toMatch(/two versions of one model; revertrisk and outlink are two models/);
    expect([one.code, two.code]).toEqual([2, 2]);
  });
});

describe('liftwing drift', () => {
  // The same edits' distribution in both samples (every feature of edit(i) cycles with i), but
  // for the edit summaries of now, 30 characters longer.
  const reference = Array.from({ length: 400 }, (_, i) => edit(i));
  const current = Array.from({ length: 400 }, (_, i) =>
    edit(400 + i, { commentLength: 30 + (((400 + i) * 13) % 30) }),
  );

  it('flags the shifted feature of revertrisk, and not the others', async () => {
    const files = { reference: join(dir, 'reference.jsonl'), current: join(dir, 'current.jsonl') };
    await writeJsonl(files.reference, reference);
    await writeJsonl(files.current, current);
    const run = await runCli(
      [
        'drift',
        'revertrisk@fixture-a',
        '--offline',
        '--reference',
        files.reference,
        '--current',
        files.current,
        '--fail-on',
        'major',
      ],
      env,
    );
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    const features = result.series.filter((s: { source: string }) => s.source === 'feature');
    expect(features.map((s: { name: string }) => s.name)).toEqual(
      revertriskDefinition.evaluation!.features!.names,
    );
    // Anonymous editors have no edit count: missing in both samples, nothing for KS to test.
    expect(features.find((s: { name: string }) => s.name === 'user_edit_count')).toMatchObject({
      psi: 0,
      ks: null,
      missing: { reference: 1, current: 1 },
    });
    const flagged = features.filter((s: { level: string }) => s.level !== 'none');
    expect(flagged.map((s: { name: string }) => s.name)).toEqual(['comment_length']);
    expect(flagged[0]).toMatchObject({ level: 'major', ksDiffers: true });
    expect(
      features
        .filter((s: { ksDiffers: boolean }) => s.ksDiffers)
        .map((s: { name: string }) => s.name),
    ).toEqual(['comment_length']);
    expect(result.series.at(-1)).toMatchObject({ name: 'score', source: 'score' });
    expect(result).toMatchObject({
      model: 'revertrisk-language-agnostic',
      version: 'fixture-a',
      reference: { count: 400, scored: 400, withFeatures: 400 },
      current: { count: 400, scored: 400, withFeatures: 400 },
      rule: { psi: { moderate: 0.1, major: 0.25 }, ksAlpha: 0.05 },
      referenceSource: files.reference,
    });
    expect(run.stderr).toMatch(/^Drift: comment_length \(major, PSI \d+\.\d{3}\)/);
    expect(seen()).toEqual([0, 0, 0]);
  });

  it('measures against the reference sample the registry records for the version', async () => {
    const bundle = join(dir, 'rr-with-reference');
    for (const name of ['model.onnx', 'manifest.json']) {
      await cp(join(RR, 'test', 'fixtures', 'classifier-zipmap', name), join(bundle, name));
    }
    await writeJsonl(join(bundle, 'reference-sample.jsonl'), reference);
    expect((await runCli(['cache', 'add', 'revertrisk@fixture-ref', bundle], env)).code).toBe(0);
    const run = await runCli(
      [
        'drift',
        'revertrisk@fixture-ref',
        '--features-only',
        '--current',
        join(dir, 'current.jsonl'),
      ],
      env,
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.referenceSource).toBe('revertrisk@fixture-ref (reference-sample.jsonl)');
    expect(result.flagged).toEqual(['comment_length']);
    expect(result.series.some((s: { source: string }) => s.source === 'score')).toBe(false);

    const none = await runCli(
      ['drift', 'revertrisk@fixture-a', '--features-only', '--current', join(dir, 'current.jsonl')],
      env,
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /Give --reference, a JSONL file of requests to measure against: the registry records no reference sample \(reference-sample\.jsonl\) for revertrisk@fixture-a\./,
    );
    expect(seen()).toEqual([0, 0, 0]);
  });

  it('measures outlink features and every topic score, flagging nothing that did not move', async () => {
    const file = join(dir, 'outlink-requests.jsonl');
    const run = await runCli(
      ['drift', 'outlink@fixture-ova', '--offline', '--reference', file, '--current', file],
      env,
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.series).toHaveLength(2 + 64);
    expect(result.series.slice(0, 2).map((s: { name: string }) => s.name)).toEqual([
      'outlink_count',
      'distinct_outlink_count',
    ]);
    expect(result.series[2].name).toBe(`score:${outlinkSpec.labels[0]}`);
    expect(result.flagged).toEqual([]);
    expect(run.stderr).toBe('No drift: every PSI is below 0.1.\n');
  });
});

describe('liftwing serve: :evaluate and :drift', () => {
  it('answers what evaluate and drift print, for the models it serves', async () => {
    const server = await startServe(
      ['--offline', '--models', 'revertrisk@fixture-ref,outlink@fixture-ova'],
      env,
      running,
    );
    const labelled = revertRequests.map((request, i) => ({ ...request, label: revertLabels[i] }));
    const evaluated = await server.post(
      'revertrisk-language-agnostic',
      { instances: labelled, thresholds: [0.5, 0.9] },
      'evaluate',
    );
    expect(evaluated.status).toBe(200);
    const report = JSON.parse(evaluated.text);
    // fixture-ref is fixture-a's bundle.
    const expected = JSON.parse(
      JSON.stringify(binaryReport(revertLabels, revertScores.a, { thresholds: [0.5, 0.9] })),
    );
    expect(report.binary).toEqual(expected);

    const current = Array.from({ length: 400 }, (_, i) =>
      edit(400 + i, { commentLength: 30 + (((400 + i) * 13) % 30) }),
    );
    // No "reference": the sample recorded for the version served.
    const drift = await server.post('revertrisk-language-agnostic', { current }, 'drift');
    expect(drift.status).toBe(200);
    const driftReport = JSON.parse(drift.text);
    expect(driftReport.flagged[0]).toBe('comment_length');
    expect(
      driftReport.series.filter(
        (s: { source: string; level: string }) => s.source === 'feature' && s.level !== 'none',
      ),
    ).toHaveLength(1);

    const outlinkDrift = await server.post(
      'outlink-topic-model',
      { current: outlinkRequests.slice(0, 20) },
      'drift',
    );
    expect(outlinkDrift.status).toBe(400);
    expect(JSON.parse(outlinkDrift.text)).toEqual({
      error:
        'Give "reference", the requests to measure against: no reference sample is recorded for outlink-topic-model@fixture-ova.',
    });
    const wrong = await server.post(
      'revertrisk-language-agnostic',
      { instances: [{ ...revertRequests[0], label: 'yes' }] },
      'evaluate',
    );
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.text).error).toMatch(
      /^instances\[0\]: "label" is "yes"; give true or false/,
    );
    expect(await server.stop()).toBe(0);
    expect(seen()).toEqual([0, 0, 0]);
  });
});
