/**
 * The evaluation API over a model that answers with the score its request asks for, so that the
 * expected metrics are those of core's metrics on the same numbers.
 */
import { describe, expect, it } from 'vitest';
import {
  binaryReport,
  compareModels,
  driftReport,
  type EvaluationSpec,
  evaluateModel,
  evaluationOf,
  InputError,
  type LiftWingModel,
  multilabelReport,
  splitLabelled,
} from '../src/index.js';
import { bodyOf, defineModel, handleEach } from '../src/model-kit.js';

/** Answers `{"p": x}` with `{"probability": x + shift}`; `{"fail": true}` with an InputError. */
function scoringModel(version: string, shift = 0): LiftWingModel<unknown, unknown> {
  const handle = async (body: unknown) => {
    const request = body as { p: number; fail?: boolean; topics?: Record<string, number> };
    if (request.fail) throw new InputError('The parameter p is required.');
    if (request.topics) return { topics: request.topics };
    return { probability: Math.min(1, request.p + shift) };
  };
  return {
    name: 'scores',
    mode: 'offline',
    version,
    handle,
    predict: handle,
    predictMany: async () => [],
    handleMany: (bodies, options) => handleEach((r) => handle(bodyOf(r)), bodies, options),
    close: async () => {},
  };
}

const binary: EvaluationSpec = {
  kind: 'binary',
  labelDescription: 'true when it happened',
  threshold: 0.5,
  score: (response) => (response as { probability: number }).probability,
  features: {
    names: ['p', 'constant'],
    description: 'p itself, and a constant',
    compute: async (requests) =>
      requests.map((r) => (typeof r.p === 'number' ? { p: r.p, constant: 1 } : null)),
  },
};
const multilabel: EvaluationSpec = {
  kind: 'multilabel',
  labels: ['a', 'b', 'c'],
  labelDescription: 'a list of a, b and c',
  threshold: 0.5,
  prepare: (request) => ({ ...request, all: true }),
  scores: (response) => (response as { topics: Record<string, number> }).topics,
};
const definition = (evaluation?: EvaluationSpec) =>
  defineModel({
    name: 'scores',
    alias: 'scores',
    package: '@test/scores',
    description: 'Scores.',
    pin: null,
    modes: ['online'],
    request: { type: 'object', properties: {}, examples: [{}] },
    ...(evaluation ? { evaluation } : {}),
    create: async () => scoringModel('1'),
  });

const ps = Array.from({ length: 60 }, (_, i) => ((i * 37) % 60) / 60);
const labels = ps.map((p, i) => p > 0.4 || i % 7 === 0);

describe('the evaluation contract', () => {
  it('defineModel checks a definition’s evaluation', () => {
    expect(evaluationOf(definition(binary))).toBe(binary);
    expect(() => definition({ ...binary, threshold: 2 })).toThrow(
      /threshold must be between 0 and 1/,
    );
    expect(() => definition({ ...multilabel, labels: ['a', 'a'] })).toThrow(/a label twice/);
    expect(() => evaluationOf(definition())).toThrow(
      /scores cannot be evaluated: @test\/scores does not say what its scores/,
    );
  });

  it('splits a labelled line and checks its label', () => {
    expect(splitLabelled(multilabel, { x: 1, label: ['a'] }, 'line 1')).toEqual({
      request: { x: 1, all: true },
      label: ['a'],
    });
    expect(() => splitLabelled(binary, { p: 1 }, 'line 2')).toThrow(
      'line 2 has no "label"; add it: true when it happened.',
    );
    expect(() => splitLabelled(binary, { label: 'yes' }, 'line 3')).toThrow(
      'line 3: "label" is "yes"; give true or false (true when it happened).',
    );
    expect(() => splitLabelled(multilabel, { label: ['a', 'z'] }, 'line 4')).toThrow(
      `line 4: "z" is not among the model's 3 labels (a, b, c, ...).`,
    );
    expect(() => splitLabelled(binary, [1], 'line 5')).toThrow(/a JSON object/);
  });
});

describe('evaluateModel', () => {
  it('gives the binary metrics of the scored lines, and counts the failed ones', async () => {
    const items = ps.map((p, i) => ({ request: { p }, label: labels[i]! }));
    items.push({ request: { p: 0, fail: true } as never, label: true });
    const report = await evaluateModel(scoringModel('1'), binary, items, { thresholds: [0.5] });
    expect(report).toMatchObject({ model: 'scores', version: '1', count: 61, scored: 60 });
    expect(report.failed).toEqual({
      count: 1,
      first: [{ index: 60, code: 'invalid_input', message: 'The parameter p is required.' }],
    });
    expect(report.binary).toEqual(binaryReport(labels, ps, { thresholds: [0.5] }));
  });

  it('gives the multilabel metrics at the spec’s threshold', async () => {
    const topics = ps.map((p) => ({ a: p, b: 1 - p, c: 0.5 }));
    const truth = ps.map((p) => (p > 0.5 ? ['a'] : ['b', 'c']));
    const report = await evaluateModel(
      scoringModel('1'),
      multilabel,
      topics.map((t, i) => ({ request: { topics: t }, label: truth[i]! })),
    );
    expect(report.multilabel).toEqual(multilabelReport(truth, topics, { labels: ['a', 'b', 'c'] }));
  });
});

describe('compareModels', () => {
  it('says how far two versions differ and which requests moved most', async () => {
    const requests = ps.map((p) => ({ p }));
    const report = await compareModels(
      scoringModel('1'),
      scoringModel('2', 0.1),
      binary,
      requests,
      {
        top: 3,
      },
    );
    // Scores in [0.4, 0.5) cross the threshold: 6 of 60.
    expect(report.agreement).toBeCloseTo(54 / 60, 12);
    expect(report.compared).toBe(60);
    expect(report.difference.maxAbsolute).toBeCloseTo(0.1, 12);
    expect(report.difference.quantiles.p50).toBeCloseTo(0.1, 12);
    expect(report.changed).toHaveLength(3);
    expect(report.changed[0]!.difference).toBeCloseTo(0.1, 12);
    expect(report.a.version).toBe('1');
    expect(report.b.version).toBe('2');
  });

  it('compares multilabel answers label by label', async () => {
    const requests = [{ topics: { a: 0.9, b: 0.2 } }, { topics: { a: 0.45, b: 0.1 } }];
    const report = await compareModels(scoringModel('1'), scoringModel('2'), multilabel, requests);
    expect(report).toMatchObject({ agreement: 1, labelAgreement: 1, compared: 2 });
    expect(report.difference.maxAbsolute).toBe(0);
  });
});

describe('driftReport', () => {
  it('flags a shifted feature and its score, not the constant', async () => {
    const reference = ps.map((p) => ({ p: p * 0.5 }));
    const current = ps.map((p) => ({ p: 0.5 + p * 0.5 }));
    const report = await driftReport(definition(binary), reference, current, {
      model: scoringModel('1'),
    });
    expect(report.series.map((s) => s.name)).toEqual(['p', 'constant', 'score']);
    expect(report.flagged).toEqual(['p', 'score']);
    const [p, constant] = report.series;
    expect(p).toMatchObject({ level: 'major', ksDiffers: true });
    expect(constant).toMatchObject({ level: 'none', psi: 0, ksDiffers: false });
    expect(report.rule.ksAlphaPerSeries).toBeCloseTo(0.05 / 3, 15);
  });

  it('needs requests in both samples', async () => {
    await expect(driftReport(definition(binary), [], [{ p: 1 }])).rejects.toThrow(
      /the reference sample has none/,
    );
  });
});
