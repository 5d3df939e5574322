/**
 * Metrics of a multilabel classifier (each item has a set of labels; the model scores every
 * label): micro and macro precision, recall and F1 at a threshold, and a table per label.
 * scikit-learn's definitions (`precision_recall_fscore_support` on indicator matrices), tested
 * against its values (`tools/metrics-fixtures.py`).
 *
 * @packageDocumentation
 */
import { InputError } from './errors.js';
import { averagePrecision, precisionRecallF1, rocAuc } from './metrics.js';

/** Precision, recall and F1; null where undefined (0/0). */
export interface PrecisionRecallF1 {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/** One label's row of a {@link MultilabelReport}. */
export interface LabelRow extends PrecisionRecallF1 {
  label: string;
  /** Items that have the label. */
  support: number;
  /** Items the model gives the label (score >= threshold). */
  predicted: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** Of the label's scores over every item; null when all items have it or none does. */
  rocAuc: number | null;
  /** Average precision of the label's scores; null when no item has it. */
  averagePrecision: number | null;
}

/** What {@link multilabelReport} gives. */
export interface MultilabelReport {
  count: number;
  threshold: number;
  /** From the counts summed over labels (scikit-learn's `average="micro"`). */
  micro: PrecisionRecallF1;
  /**
   * The mean of the per-label values (scikit-learn's `average="macro"`) over the labels that
   * some item has or is given, an undefined value counting 0 (scikit-learn's `zero_division=0`);
   * a label that is neither had nor given is left out, having nothing to measure. Null when no
   * label is.
   */
  macro: PrecisionRecallF1;
  /** Labels averaged in `macro`. */
  macroLabels: number;
  /** Every label, in the order of `labels` (or sorted). */
  labels: LabelRow[];
}

/** Options of {@link multilabelReport}. */
export interface MultilabelOptions {
  /** Every label the model can give; default: those in `truth` or `scores`, sorted. */
  labels?: readonly string[];
  /** A label is given when its score is at least this. Default 0.5. */
  threshold?: number;
}

/**
 * Micro, macro and per-label metrics of the label sets `truth` against the model's `scores`
 * (one record of label → score per item; a label absent from an item's record scores 0).
 *
 * @throws {InputError} when the lengths differ, a label set is not a list of strings, or a score
 *   is not a finite number.
 */
export function multilabelReport(
  truth: readonly (readonly string[])[],
  scores: readonly Readonly<Record<string, number>>[],
  options: MultilabelOptions = {},
): MultilabelReport {
  const threshold = options.threshold ?? 0.5;
  if (truth.length !== scores.length) {
    throw new InputError(
      `There are ${truth.length} label set(s) and ${scores.length} score record(s); give one of each per item.`,
    );
  }
  truth.forEach((set, i) => {
    if (!Array.isArray(set) || set.some((label) => typeof label !== 'string')) {
      throw new InputError(`Label set ${i} is ${JSON.stringify(set)}, not a list of strings.`);
    }
    for (const [label, score] of Object.entries(scores[i]!)) {
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        throw new InputError(`Item ${i} scores ${label} ${String(score)}, not a finite number.`);
      }
    }
  });
  const names =
    options.labels ??
    [...new Set([...truth.flat(), ...scores.flatMap((record) => Object.keys(record))])].sort();
  const sets = truth.map((set) => new Set(set));
  let tpSum = 0;
  let fpSum = 0;
  let fnSum = 0;
  const macroSum = { precision: 0, recall: 0, f1: 0 };
  let macroLabels = 0;
  const rows = names.map((label): LabelRow => {
    const has = sets.map((set) => set.has(label));
    const scored = scores.map((record) => (Object.hasOwn(record, label) ? record[label]! : 0));
    let tp = 0;
    let fp = 0;
    let fn = 0;
    has.forEach((yes, i) => {
      const given = scored[i]! >= threshold;
      if (yes && given) tp++;
      else if (given) fp++;
      else if (yes) fn++;
    });
    tpSum += tp;
    fpSum += fp;
    fnSum += fn;
    const rates = precisionRecallF1(tp, fp, fn);
    if (tp + fp + fn > 0) {
      macroLabels++;
      macroSum.precision += rates.precision ?? 0;
      macroSum.recall += rates.recall ?? 0;
      macroSum.f1 += rates.f1 ?? 0;
    }
    return {
      label,
      support: tp + fn,
      predicted: tp + fp,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      ...rates,
      rocAuc: rocAuc(has, scored),
      averagePrecision: averagePrecision(has, scored),
    };
  });
  const mean = (sum: number) => (macroLabels === 0 ? null : sum / macroLabels);
  return {
    count: truth.length,
    threshold,
    micro: precisionRecallF1(tpSum, fpSum, fnSum),
    macro: {
      precision: mean(macroSum.precision),
      recall: mean(macroSum.recall),
      f1: mean(macroSum.f1),
    },
    macroLabels,
    labels: rows,
  };
}
