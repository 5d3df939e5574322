/**
 * Metrics of a binary classifier over any score/label pairs: ROC and precision-recall curves and
 * their areas, a table of precision, recall, F1 and the share flagged at chosen thresholds, and
 * calibration in bins. Each follows scikit-learn's definition (named on each function) and is
 * tested against scikit-learn 1.2's values on generated cases (`tools/metrics-fixtures.py`).
 *
 * A metric that is not defined on the data (ROC AUC with one class only, precision when nothing
 * is flagged) is `null`, where scikit-learn raises, warns or substitutes 0: a report must not show
 * 0 for "cannot tell".
 *
 * @packageDocumentation
 */
import { InputError } from './errors.js';

/** Points of a ROC curve, as scikit-learn's `roc_curve(..., drop_intermediate=False)`. */
export interface RocCurve {
  /** False positive rate at each threshold; null everywhere when there are no negatives. */
  fpr: (number | null)[];
  /** True positive rate at each threshold; null everywhere when there are no positives. */
  tpr: (number | null)[];
  /**
   * Decreasing thresholds: each distinct score, after a first `Infinity` (nothing flagged;
   * scikit-learn 1.2 writes `max + 1` there, 1.3 and later `inf`).
   */
  thresholds: number[];
}

/** Points of a precision-recall curve, as scikit-learn's `precision_recall_curve`. */
export interface PrCurve {
  /** Precision at each threshold, then 1 (the curve's end at recall 0). */
  precision: number[];
  /**
   * Recall at each threshold, then 0; null everywhere when there are no positives (scikit-learn
   * warns and writes 1).
   */
  recall: (number | null)[];
  /** Increasing thresholds: the distinct scores (scikit-learn 1.2; 1.0 stopped at recall 1). */
  thresholds: number[];
}

/** The counts and rates of a classifier that flags `score >= threshold`. */
export interface ThresholdRow {
  threshold: number;
  /** Share of all items flagged. */
  flaggedShare: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** tp / (tp + fp); null when nothing is flagged. */
  precision: number | null;
  /** tp / (tp + fn); null when there are no positives. */
  recall: number | null;
  /** 2tp / (2tp + fp + fn); null when there are neither positives nor flagged items. */
  f1: number | null;
}

/** One bin of a calibration curve: items whose score falls in `(lower, upper]` (the first from 0). */
export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean score of the bin's items (scikit-learn's `prob_pred`); null for an empty bin. */
  meanScore: number | null;
  /** Share of positives among them (scikit-learn's `prob_true`); null for an empty bin. */
  positiveShare: number | null;
}

/** Calibration of scores that are probabilities. */
export interface Calibration {
  bins: CalibrationBin[];
  /** Expected calibration error: Σ count/n · |positiveShare − meanScore| over non-empty bins. */
  expectedCalibrationError: number;
  /** Mean squared difference of score and label (scikit-learn's `brier_score_loss`). */
  brierScore: number;
}

/**
 * The thresholds a report shows by default: 0.5 to 0.99, with the high ones that tools acting on
 * scores choose (AutoModerator's revert-risk thresholds are 0.975–0.990, the ORES extension's 0.95).
 */
export const DEFAULT_THRESHOLDS: readonly number[] = [
  0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.98, 0.985, 0.99,
];

/**
 * Checks that `labels` and `scores` pair up and that every score is a finite number.
 *
 * @throws {InputError} saying which item is wrong.
 */
export function checkScored(labels: readonly boolean[], scores: readonly number[]): void {
  if (labels.length !== scores.length) {
    throw new InputError(
      `There are ${labels.length} label(s) and ${scores.length} score(s); give one score per label.`,
    );
  }
  for (let i = 0; i < scores.length; i++) {
    if (typeof labels[i] !== 'boolean') {
      throw new InputError(`Label ${i} is ${JSON.stringify(labels[i])}, not true or false.`);
    }
    if (typeof scores[i] !== 'number' || !Number.isFinite(scores[i])) {
      throw new InputError(`Score ${i} is ${String(scores[i])}, not a finite number.`);
    }
  }
}

/**
 * Cumulative true and false positives at each distinct score, highest first: scikit-learn's
 * `_binary_clf_curve`. Equal scores form one point (ties are never split).
 */
function clfCurve(labels: readonly boolean[], scores: readonly number[]) {
  checkScored(labels, scores);
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(scores[i]!);
    }
  }
  return { tps, fps, thresholds, positives: tp, negatives: fp };
}

/** The ROC curve with every distinct score as a threshold (scikit-learn's `roc_curve`). */
export function rocCurve(labels: readonly boolean[], scores: readonly number[]): RocCurve {
  const { tps, fps, thresholds, positives, negatives } = clfCurve(labels, scores);
  const rate = (count: number, total: number) => (total === 0 ? null : count / total);
  return {
    fpr: [0, ...fps].map((fp) => rate(fp, negatives)),
    tpr: [0, ...tps].map((tp) => rate(tp, positives)),
    thresholds: [Number.POSITIVE_INFINITY, ...thresholds],
  };
}

/**
 * Area under the ROC curve by the trapezoidal rule (scikit-learn's `roc_auc_score`): tied scores
 * of a positive and a negative count one half. Null when the labels hold one class only.
 */
export function rocAuc(labels: readonly boolean[], scores: readonly number[]): number | null {
  const { tps, fps, positives, negatives } = clfCurve(labels, scores);
  if (positives === 0 || negatives === 0) return null;
  let area = 0;
  let lastTp = 0;
  let lastFp = 0;
  for (let k = 0; k < tps.length; k++) {
    area += ((fps[k]! - lastFp) * (tps[k]! + lastTp)) / 2;
    lastTp = tps[k]!;
    lastFp = fps[k]!;
  }
  return area / (positives * negatives);
}

/** The precision-recall curve (scikit-learn's `precision_recall_curve`). */
export function precisionRecallCurve(
  labels: readonly boolean[],
  scores: readonly number[],
): PrCurve {
  const { tps, fps, thresholds, positives } = clfCurve(labels, scores);
  const precision: number[] = [];
  const recall: (number | null)[] = [];
  // Reversed, as scikit-learn gives it: recall decreasing.
  for (let k = tps.length - 1; k >= 0; k--) {
    precision.push(tps[k]! / (tps[k]! + fps[k]!));
    recall.push(positives === 0 ? null : tps[k]! / positives);
  }
  return {
    precision: [...precision, 1],
    recall: [...recall, positives === 0 ? null : 0],
    thresholds: [...thresholds].reverse(),
  };
}

/**
 * Average precision, the area under the precision-recall curve as scikit-learn's
 * `average_precision_score` defines it: Σ (Rₙ − Rₙ₋₁) Pₙ over the thresholds, a step function
 * with no interpolation (not the trapezoidal `auc(recall, precision)`, which is optimistic).
 * Null when there are no positives (scikit-learn warns and answers 0).
 */
export function averagePrecision(
  labels: readonly boolean[],
  scores: readonly number[],
): number | null {
  const { tps, fps, positives } = clfCurve(labels, scores);
  if (positives === 0) return null;
  let sum = 0;
  let lastRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const recall = tps[k]! / positives;
    sum += (recall - lastRecall) * (tps[k]! / (tps[k]! + fps[k]!));
    lastRecall = recall;
  }
  return sum;
}

/** The area under the precision-recall curve: {@link averagePrecision}. */
export const prAuc = averagePrecision;

/** Counts and rates of flagging `score >= threshold`, for each of `thresholds`. */
export function thresholdTable(
  labels: readonly boolean[],
  scores: readonly number[],
  thresholds: readonly number[] = DEFAULT_THRESHOLDS,
): ThresholdRow[] {
  checkScored(labels, scores);
  return thresholds.map((threshold) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    for (let i = 0; i < scores.length; i++) {
      const flagged = scores[i]! >= threshold;
      if (labels[i]) flagged ? tp++ : fn++;
      else flagged ? fp++ : tn++;
    }
    return {
      threshold,
      flaggedShare: scores.length === 0 ? 0 : (tp + fp) / scores.length,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      trueNegatives: tn,
      ...precisionRecallF1(tp, fp, fn),
    };
  });
}

/** Precision, recall and F1 of counts, each null where its denominator is 0. */
export function precisionRecallF1(tp: number, fp: number, fn: number) {
  return {
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: tp + fn === 0 ? null : tp / (tp + fn),
    f1: 2 * tp + fp + fn === 0 ? null : (2 * tp) / (2 * tp + fp + fn),
  };
}

/**
 * Calibration in `bins` equal-width bins over [0, 1] (scikit-learn's
 * `calibration_curve(strategy="uniform")`: a score on an edge falls in the lower bin), with the
 * expected calibration error and the Brier score. Empty bins are listed with null means.
 *
 * @throws {InputError} for a score outside [0, 1] or fewer than one bin.
 */
export function calibrationBins(
  labels: readonly boolean[],
  scores: readonly number[],
  bins = 10,
): Calibration {
  checkScored(labels, scores);
  if (!Number.isSafeInteger(bins) || bins < 1) {
    throw new InputError(`Calibration needs a whole number of bins, 1 or more; got ${bins}.`);
  }
  const bad = scores.findIndex((s) => s < 0 || s > 1);
  if (bad >= 0) {
    throw new InputError(
      `Score ${bad} is ${scores[bad]}: calibration needs probabilities, between 0 and 1.`,
    );
  }
  // The edges as numpy's linspace computes them (i · (1 / bins), the last exactly 1), so that a
  // score on an edge lands where scikit-learn puts it: 3 · 0.1 is 0.30000000000000004, not 0.3.
  const step = 1 / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? 1 : i * step));
  const count = new Array<number>(bins).fill(0);
  const sum = new Array<number>(bins).fill(0);
  const positive = new Array<number>(bins).fill(0);
  let brier = 0;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    // searchsorted(edges[1:-1], score, side="left"): the first inner edge >= score.
    let bin = 0;
    while (bin < bins - 1 && edges[bin + 1]! < score) bin++;
    count[bin]!++;
    sum[bin]! += score;
    if (labels[i]) positive[bin]!++;
    brier += (score - (labels[i] ? 1 : 0)) ** 2;
  }
  let ece = 0;
  const rows = count.map((n, b): CalibrationBin => {
    const row = {
      lower: edges[b]!,
      upper: edges[b + 1]!,
      count: n,
      meanScore: n === 0 ? null : sum[b]! / n,
      positiveShare: n === 0 ? null : positive[b]! / n,
    };
    if (n > 0) ece += (n / scores.length) * Math.abs(row.positiveShare! - row.meanScore!);
    return row;
  });
  return {
    bins: rows,
    expectedCalibrationError: ece,
    brierScore: scores.length === 0 ? 0 : brier / scores.length,
  };
}

/** What {@link binaryReport} gives: every binary metric of one evaluation. */
export interface BinaryReport {
  count: number;
  positives: number;
  rocAuc: number | null;
  /** {@link averagePrecision}. */
  prAuc: number | null;
  thresholds: ThresholdRow[];
  calibration: Calibration;
  roc: RocCurve;
  pr: PrCurve;
}

/** Every binary metric of `labels` and `scores` at once, for reports. */
export function binaryReport(
  labels: readonly boolean[],
  scores: readonly number[],
  options: { thresholds?: readonly number[]; bins?: number } = {},
): BinaryReport {
  return {
    count: labels.length,
    positives: labels.filter(Boolean).length,
    rocAuc: rocAuc(labels, scores),
    prAuc: averagePrecision(labels, scores),
    thresholds: thresholdTable(labels, scores, options.thresholds),
    calibration: calibrationBins(labels, scores, options.bins),
    roc: rocCurve(labels, scores),
    pr: precisionRecallCurve(labels, scores),
  };
}
