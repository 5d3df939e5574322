/**
 * The metrics against scikit-learn 1.2 and scipy 1.10 (Debian), recorded for generated cases by
 * `tools/metrics-fixtures.py` in `fixtures/metrics.json`; no python runs here.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryReport,
  calibrationBins,
  InputError,
  KS_ALPHA,
  kolmogorovSf,
  ks2samp,
  multilabelReport,
  PSI_THRESHOLDS,
  prAuc,
  precisionRecallCurve,
  psi,
  rocAuc,
  rocCurve,
  thresholdTable,
} from '../src/index.js';

type Num = number | null;
interface BinaryCase {
  name: string;
  labels: boolean[];
  scores: number[];
  roc_auc: Num;
  average_precision: Num;
  roc: { fpr: Num[]; tpr: Num[]; thresholds: number[] };
  pr: { precision: number[]; recall: Num[]; thresholds: number[] };
  thresholds: Array<{
    threshold: number;
    precision: Num;
    recall: Num;
    f1: Num;
    tp: number;
    fp: number;
    fn: number;
    tn: number;
    flagged: number;
  }>;
  calibration: Record<string, { prob_true: number[]; prob_pred: number[] }>;
  brier: number;
}
interface Rates {
  precision: Num;
  recall: Num;
  f1: Num;
}
interface MultilabelCase {
  name: string;
  labels: string[];
  truth: string[][];
  scores: Record<string, number>[];
  threshold: number;
  per_label: Array<
    Rates & {
      label: string;
      support: number;
      predicted: number;
      roc_auc: Num;
      average_precision: Num;
    }
  >;
  macro_labels: number;
  micro: Rates;
  macro: Rates;
}
interface DriftCase {
  name: string;
  reference: Num[];
  current: Num[];
  psi: { value: number; edges: number[]; reference: number[]; current: number[] };
  ks: { statistic: number; pvalue: number };
}
const fixture = JSON.parse(
  await readFile(new URL('./fixtures/metrics.json', import.meta.url), 'utf8'),
) as {
  binary: BinaryCase[];
  multilabel: MultilabelCase[];
  drift: DriftCase[];
  ks_large: {
    reference: number[];
    current: number[];
    statistic: number;
    scipy_pvalue: number;
    kstwobign_pvalue: number;
  };
  kolmogorov_sf: Array<{ x: number; sf: number }>;
};

/** Equal up to the rounding of sums taken in another order; nulls where the fixture has them. */
function expectClose(actual: readonly Num[], expected: readonly Num[], tolerance = 1e-12) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => {
    const want = expected[i]!;
    if (want === null) expect(value, `item ${i}`).toBeNull();
    else
      expect(
        Math.abs((value as number) - want),
        `item ${i}: ${value} vs ${want}`,
      ).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(want)));
  });
}
const nanToNull = (values: readonly Num[]) => values.map((v) => (v === null ? Number.NaN : v));

describe('binary metrics against scikit-learn', () => {
  it.each(fixture.binary.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expectClose([rocAuc(c.labels, c.scores)], [c.roc_auc]);
    expectClose([averagePrecision(c.labels, c.scores)], [c.average_precision]);
    expect(prAuc).toBe(averagePrecision);

    const roc = rocCurve(c.labels, c.scores);
    expectClose(roc.fpr, c.roc.fpr);
    expectClose(roc.tpr, c.roc.tpr);
    expect(roc.thresholds[0]).toBe(Number.POSITIVE_INFINITY);
    expectClose(roc.thresholds.slice(1), c.roc.thresholds);

    const pr = precisionRecallCurve(c.labels, c.scores);
    expectClose(pr.precision, c.pr.precision);
    expectClose(pr.recall, c.pr.recall);
    expectClose(pr.thresholds, c.pr.thresholds);

    const table = thresholdTable(
      c.labels,
      c.scores,
      c.thresholds.map((row) => row.threshold),
    );
    table.forEach((row, i) => {
      const want = c.thresholds[i]!;
      expect([
        row.truePositives,
        row.falsePositives,
        row.falseNegatives,
        row.trueNegatives,
      ]).toEqual([want.tp, want.fp, want.fn, want.tn]);
      expectClose(
        [row.precision, row.recall, row.f1, row.flaggedShare],
        [want.precision, want.recall, want.f1, want.flagged],
      );
    });

    for (const [bins, want] of Object.entries(c.calibration)) {
      const calibration = calibrationBins(c.labels, c.scores, Number(bins));
      const filled = calibration.bins.filter((bin) => bin.count > 0);
      expectClose(
        filled.map((bin) => bin.positiveShare),
        want.prob_true,
      );
      expectClose(
        filled.map((bin) => bin.meanScore),
        want.prob_pred,
      );
      expect(calibration.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(c.scores.length);
      expectClose([calibration.brierScore], [c.brier]);
    }
  });

  it('says what is undefined as null, not as 0', () => {
    const equal = fixture.binary.find((c) => c.name === 'all scores equal')!;
    expect(rocAuc(equal.labels, equal.scores)).toBe(0.5);
    expect(rocAuc([true, true], [0.1, 0.9])).toBeNull();
    expect(averagePrecision([false, false], [0.1, 0.9])).toBeNull();
    const [row] = thresholdTable([false, true], [0.1, 0.2], [0.5]);
    expect(row).toMatchObject({ flaggedShare: 0, precision: null, recall: 0, f1: 0 });
    expect(thresholdTable([], [], [0.5])[0]).toMatchObject({ precision: null, f1: null });
  });

  it('the expected calibration error weighs each bin by its items', () => {
    const calibration = calibrationBins([true, false, true, true], [0.05, 0.05, 0.95, 0.95], 10);
    // Bin 0: mean 0.05, positives 0.5; bin 9: mean 0.95, positives 1.
    expect(calibration.expectedCalibrationError).toBeCloseTo(0.5 * 0.45 + 0.5 * 0.05, 15);
    expect(calibration.bins).toHaveLength(10);
    expect(calibration.bins[3]).toEqual({
      lower: 0.30000000000000004,
      upper: 0.4,
      count: 0,
      meanScore: null,
      positiveShare: null,
    });
  });

  it('refuses what it cannot measure, saying what is wrong', () => {
    expect(() => rocAuc([true], [0.1, 0.2])).toThrow(/1 label\(s\) and 2 score\(s\)/);
    expect(() => rocAuc([true, false], [0.1, Number.NaN])).toThrow(
      /Score 1 is NaN, not a finite number/,
    );
    expect(() => calibrationBins([true], [1.5])).toThrow(InputError);
    expect(() => calibrationBins([true], [0.5], 0)).toThrow(/whole number of bins/);
  });

  it('binaryReport gathers them', () => {
    const c = fixture.binary[0]!;
    const report = binaryReport(c.labels, c.scores);
    expect(report.count).toBe(c.labels.length);
    expect(report.positives).toBe(c.labels.filter(Boolean).length);
    expect(report.thresholds.map((row) => row.threshold)).toEqual([
      0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.98, 0.985, 0.99,
    ]);
    expect(report.rocAuc).toBe(rocAuc(c.labels, c.scores));
  });
});

describe('multilabel metrics against scikit-learn', () => {
  it.each(fixture.multilabel.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const report = multilabelReport(c.truth, c.scores, {
      labels: c.labels,
      threshold: c.threshold,
    });
    expect(report.macroLabels).toBe(c.macro_labels);
    for (const average of ['micro', 'macro'] as const) {
      const want = c[average];
      const got = report[average];
      if (c.macro_labels === 0) {
        expect(got).toEqual({ precision: null, recall: null, f1: null });
        continue;
      }
      // scikit-learn's averages count 0/0 as 0 (zero_division=0); liftwing's micro says null.
      expectClose(
        [got.precision ?? 0, got.recall ?? 0, got.f1 ?? 0],
        [want.precision, want.recall, want.f1],
      );
    }
    report.labels.forEach((row, k) => {
      const want = c.per_label[k]!;
      expect([row.label, row.support, row.predicted]).toEqual([
        want.label,
        want.support,
        want.predicted,
      ]);
      expectClose(
        [row.precision, row.recall, row.f1, row.rocAuc, row.averagePrecision],
        [want.precision, want.recall, want.f1, want.roc_auc, want.average_precision],
      );
    });
  });

  it('takes the labels it finds when none are given, and checks its input', () => {
    const report = multilabelReport([['b'], []], [{ a: 0.9 }, { b: 0.2 }]);
    expect(report.labels.map((row) => row.label)).toEqual(['a', 'b']);
    expect(() => multilabelReport([['a']], [])).toThrow(/1 label set\(s\) and 0 score record/);
    expect(() => multilabelReport(['a' as never], [{}])).toThrow(/not a list of strings/);
    expect(() => multilabelReport([['a']], [{ a: Number.NaN }])).toThrow(/scores a NaN/);
  });
});

describe('drift statistics', () => {
  it.each(fixture.drift.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const reference = nanToNull(c.reference);
    const current = nanToNull(c.current);
    const result = psi(reference, current);
    expectClose(result.edges, c.psi.edges);
    expectClose(result.reference, c.psi.reference);
    expectClose(result.current, c.psi.current);
    expectClose([result.value], [c.psi.value], 1e-10);

    const ks = ks2samp(reference, current);
    expect(ks.method).toBe('exact');
    expectClose([ks.statistic], [c.ks.statistic]);
    expectClose([ks.pValue], [c.ks.pvalue], 1e-10);
  });

  it('above 10,000 values, the p-value is the asymptotic one', () => {
    const c = fixture.ks_large;
    const ks = ks2samp(c.reference, c.current);
    expect(ks.method).toBe('asymptotic');
    expectClose([ks.statistic], [c.statistic]);
    expectClose([ks.pValue], [c.kstwobign_pvalue], 1e-10);
    // scipy's finite-n kstwo is close to the limit at this size.
    expect(Math.abs(ks.pValue - c.scipy_pvalue)).toBeLessThan(2e-3);
  });

  it("Kolmogorov's survival function is scipy's kstwobign.sf", () => {
    for (const { x, sf } of fixture.kolmogorov_sf) expectClose([kolmogorovSf(x)], [sf], 1e-12);
    expect(kolmogorovSf(0)).toBe(1);
  });

  it('flags by the documented rule', () => {
    expect(PSI_THRESHOLDS).toEqual({ moderate: 0.1, major: 0.25 });
    expect(KS_ALPHA).toBe(0.05);
    const shifted = fixture.drift.find((c) => c.name === 'shifted by 0.5')!;
    const same = fixture.drift.find((c) => c.name === 'same distribution')!;
    expect(shifted.psi.value).toBeGreaterThan(PSI_THRESHOLDS.moderate);
    expect(same.psi.value).toBeLessThan(PSI_THRESHOLDS.moderate);
  });

  it('refuses empty samples and infinities', () => {
    expect(() => psi([], [1])).toThrow(/reference sample is empty/);
    expect(() => psi([1], [Number.POSITIVE_INFINITY])).toThrow(/current sample holds Infinity/);
    expect(() => ks2samp([Number.NaN], [1])).toThrow(/at least one value in each sample/);
  });
});
