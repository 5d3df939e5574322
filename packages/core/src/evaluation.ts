/**
 * Evaluating a model on your own data, comparing two versions of it and watching its inputs
 * drift, for any model whose definition says how (its {@link EvaluationSpec}): what in its
 * response is a score, what a label is, and which numeric features of a request its package
 * computes without the model. Core reads the spec and never names a model; the CLI's `evaluate`,
 * `compare` and `drift` and `liftwing serve`'s `:evaluate` and `:drift` routes call these.
 *
 * @packageDocumentation
 */
import type { PredictManyOptions, RawRequest } from './batch.js';
import {
  KS_ALPHA,
  type KsResult,
  ks2samp,
  PSI_THRESHOLDS,
  type PsiResult,
  psi,
} from './drift-stats.js';
import { InputError, type LiftWingError, ModelFormatError } from './errors.js';
import {
  averagePrecision,
  type BinaryReport,
  binaryReport,
  type PrCurve,
  precisionRecallCurve,
  type RocCurve,
  rocAuc,
  rocCurve,
} from './metrics.js';
import { type MultilabelReport, multilabelReport } from './metrics-multilabel.js';
import type { LiftWingModel } from './model.js';

/** Numeric features of requests that a model package computes on its own, for drift. */
export interface FeatureSpec {
  /** Every feature name, in the order reports list them. */
  readonly names: readonly string[];
  /** What the features are computed from, in words (which request form carries them). */
  readonly description: string;
  /**
   * The features of each request: name → value (NaN for a missing value), or null for a request
   * that does not carry what they are computed from (a request by revision id, whose text only
   * the wiki has). Asynchronous so that a package imports its feature code only when asked.
   */
  compute(
    requests: readonly Readonly<Record<string, unknown>>[],
  ): Promise<(Record<string, number> | null)[]>;
}

interface EvaluationBase {
  /** What a line's `label` is, in words, for help and error messages. */
  readonly labelDescription: string;
  /**
   * The threshold at which the model's own response decides (its `prediction`, or the topics it
   * lists): the default of `compare`'s agreement.
   */
  readonly threshold: number;
  /**
   * The request to send for a labelled line, when scoring needs more than the line asks (every
   * topic's score, not only those above the server's threshold). Default: the line as it is.
   */
  prepare?(request: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** The features the package computes without the model, for `drift`. */
  readonly features?: FeatureSpec;
}

/** A model that answers yes or no with a probability (revert risk). */
export interface BinaryEvaluation extends EvaluationBase {
  readonly kind: 'binary';
  /**
   * The probability of the positive class in a response.
   *
   * @throws {ModelFormatError} when the response holds none.
   */
  score(response: unknown): number;
}

/** A model that gives an item any of a set of labels, each with a score (article topics). */
export interface MultilabelEvaluation extends EvaluationBase {
  readonly kind: 'multilabel';
  /** Every label the model can give. */
  readonly labels: readonly string[];
  /**
   * The score of each label in a response; a label it does not list scores 0.
   *
   * @throws {ModelFormatError} when the response holds no scores.
   */
  scores(response: unknown): Record<string, number>;
}

/** How a model is evaluated: an optional part of its {@link ModelDefinition}. */
export type EvaluationSpec = BinaryEvaluation | MultilabelEvaluation;

/** A label as a line gives it: true/false for a binary model, a list of labels for a multilabel one. */
export type Label = boolean | readonly string[];

/** What is wrong with a spec, for `defineModel`: empty when nothing is. */
export function evaluationProblems(spec: EvaluationSpec): string[] {
  const problems: string[] = [];
  const { kind } = spec as { kind: unknown };
  if (kind !== 'binary' && kind !== 'multilabel') {
    return [`evaluation.kind must be "binary" or "multilabel", not ${JSON.stringify(kind)}`];
  }
  if (!(spec.threshold >= 0 && spec.threshold <= 1)) {
    problems.push(`evaluation.threshold must be between 0 and 1, not ${spec.threshold}`);
  }
  if (typeof spec.labelDescription !== 'string' || spec.labelDescription.trim() === '') {
    problems.push('evaluation.labelDescription must say what a label is');
  }
  if (spec.kind === 'binary' && typeof spec.score !== 'function') {
    problems.push('a binary evaluation needs score(response)');
  }
  if (spec.kind === 'multilabel') {
    if (typeof spec.scores !== 'function')
      problems.push('a multilabel evaluation needs scores(response)');
    if (spec.labels.length === 0) problems.push('a multilabel evaluation needs its labels');
    if (new Set(spec.labels).size !== spec.labels.length) {
      problems.push('evaluation.labels has a label twice');
    }
  }
  const names = spec.features?.names ?? [];
  if (new Set(names).size !== names.length) problems.push('evaluation.features has a name twice');
  return problems;
}

/** The spec of a definition, or an error saying the model cannot be evaluated. */
export function evaluationOf(definition: {
  name: string;
  package: string;
  evaluation?: EvaluationSpec;
}): EvaluationSpec {
  if (definition.evaluation === undefined) {
    throw new InputError(
      `${definition.name} cannot be evaluated: ${definition.package} does not say what its scores ` +
        'and labels are (its definition has no `evaluation`). Update the package, or ask its ' +
        'maintainers to describe them.',
    );
  }
  return definition.evaluation;
}

/** One labelled line: the request to send and its label. */
export interface LabelledRequest {
  request: Record<string, unknown>;
  label: Label;
}

/**
 * A labelled line (`{...request, "label": ...}`) as the request to send (prepared as the spec
 * asks) and its label, checked.
 *
 * @throws {InputError} naming the line (`where`, e.g. `line 3`) and what is wrong.
 */
export function splitLabelled(
  spec: EvaluationSpec,
  record: unknown,
  where: string,
): LabelledRequest {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new InputError(`${where}: a labelled line is a JSON object, a request with its "label".`);
  }
  const { label, ...rest } = record as Record<string, unknown>;
  if (label === undefined) {
    throw new InputError(`${where} has no "label"; add it: ${spec.labelDescription}.`);
  }
  return { request: prepared(spec, rest), label: checkLabel(spec, label, where) };
}

/** The request a line asks for, prepared as the spec asks. */
export function prepared(spec: EvaluationSpec, request: Record<string, unknown>) {
  return spec.prepare === undefined ? request : spec.prepare(request);
}

function checkLabel(spec: EvaluationSpec, label: unknown, where: string): Label {
  if (spec.kind === 'binary') {
    if (typeof label !== 'boolean') {
      throw new InputError(
        `${where}: "label" is ${JSON.stringify(label)}; give true or false (${spec.labelDescription}).`,
      );
    }
    return label;
  }
  if (!Array.isArray(label) || label.some((item) => typeof item !== 'string')) {
    throw new InputError(
      `${where}: "label" is ${JSON.stringify(label)}; give a list of labels (${spec.labelDescription}).`,
    );
  }
  const known = new Set(spec.labels);
  const unknown = label.filter((item) => !known.has(item));
  if (unknown.length > 0) {
    throw new InputError(
      `${where}: ${unknown.map((item) => JSON.stringify(item)).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} ` +
        `not among the model's ${spec.labels.length} labels (${spec.labels.slice(0, 3).join(', ')}, ...).`,
    );
  }
  return label as string[];
}

/** One request that failed: where it was and why. */
export interface FailedItem {
  index: number;
  code: string;
  message: string;
}

/** Failures of a run: how many, and the first few. */
export interface Failures {
  count: number;
  /** At most {@link MAX_LISTED_FAILURES}. */
  first: FailedItem[];
}

/** Failures listed in a report; the rest are counted. */
export const MAX_LISTED_FAILURES = 20;

/** Requests sent to a model per `handleMany` call. */
const CHUNK = 500;

/** The scores a model gives `requests`, in order; a failed request is its error. */
export async function scoreRequests(
  model: LiftWingModel<unknown, unknown>,
  spec: EvaluationSpec,
  requests: readonly Record<string, unknown>[],
  options: PredictManyOptions = {},
): Promise<(number | Record<string, number> | LiftWingError)[]> {
  const out: (number | Record<string, number> | LiftWingError)[] = [];
  // Progress is reported per chunk, over the whole run, not per handleMany call.
  const { onProgress, ...rest } = options;
  let failed = 0;
  for (let start = 0; start < requests.length; start += CHUNK) {
    const bodies: RawRequest[] = requests.slice(start, start + CHUNK).map((body) => ({ body }));
    const results = await model.handleMany(bodies, rest);
    for (const result of results) {
      if (!result.ok) {
        failed++;
        out.push(result.error);
      } else
        out.push(spec.kind === 'binary' ? spec.score(result.value) : spec.scores(result.value));
    }
    onProgress?.({ done: out.length, failed, total: requests.length });
  }
  return out;
}

function failures(outcomes: readonly unknown[]): Failures {
  const first: FailedItem[] = [];
  let count = 0;
  outcomes.forEach((outcome, index) => {
    if (!isError(outcome)) return;
    count++;
    if (first.length < MAX_LISTED_FAILURES) {
      first.push({ index, code: outcome.code, message: outcome.message });
    }
  });
  return { count, first };
}

const isError = (value: unknown): value is LiftWingError => value instanceof Error;

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions extends PredictManyOptions {
  /** Binary: the thresholds of the table (default 0.5 to 0.99). */
  thresholds?: readonly number[];
  /** Binary: calibration bins (default 10). */
  bins?: number;
  /** Multilabel: the threshold at which a label counts as given (default: the spec's). */
  threshold?: number;
}

/** What {@link evaluateModel} gives. */
export interface EvaluationReport {
  model: string;
  version: string | null;
  mode: string;
  kind: EvaluationSpec['kind'];
  /** Labelled requests given. */
  count: number;
  /** Of which scored; the metrics are over these. */
  scored: number;
  failed: Failures;
  binary?: BinaryReport;
  multilabel?: MultilabelReport;
  /**
   * Multilabel: the curves of every (item, label) pair taken as one binary problem, scikit-learn's
   * micro-average (`roc_auc_score(..., average="micro")`).
   */
  multilabelCurves?: {
    rocAuc: number | null;
    averagePrecision: number | null;
    roc: RocCurve;
    pr: PrCurve;
  };
}

/** Scores `items` with `model` and measures the scores against their labels. */
export async function evaluateModel(
  model: LiftWingModel<unknown, unknown>,
  spec: EvaluationSpec,
  items: readonly LabelledRequest[],
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const outcomes = await scoreRequests(
    model,
    spec,
    items.map((item) => item.request),
    options,
  );
  const kept = outcomes.flatMap((outcome, i) =>
    isError(outcome) ? [] : [{ score: outcome, label: items[i]!.label }],
  );
  const base = {
    model: model.name,
    version: model.version ?? null,
    mode: model.mode,
    kind: spec.kind,
    count: items.length,
    scored: kept.length,
    failed: failures(outcomes),
  };
  if (spec.kind === 'binary') {
    return {
      ...base,
      binary: binaryReport(
        kept.map((k) => k.label as boolean),
        kept.map((k) => k.score as number),
        options,
      ),
    };
  }
  const truth = kept.map((k) => k.label as string[]);
  const scores = kept.map((k) => k.score as Record<string, number>);
  const flatLabels: boolean[] = [];
  const flatScores: number[] = [];
  truth.forEach((set, i) => {
    for (const label of spec.labels) {
      flatLabels.push(set.includes(label));
      flatScores.push(scores[i]![label] ?? 0);
    }
  });
  return {
    ...base,
    multilabel: multilabelReport(truth, scores, {
      labels: spec.labels,
      threshold: options.threshold ?? spec.threshold,
    }),
    multilabelCurves: {
      rocAuc: rocAuc(flatLabels, flatScores),
      averagePrecision: averagePrecision(flatLabels, flatScores),
      roc: rocCurve(flatLabels, flatScores),
      pr: precisionRecallCurve(flatLabels, flatScores),
    },
  };
}

/** Summary of score differences (B − A). */
export interface DifferenceSummary {
  /** Mean of B − A. */
  mean: number | null;
  /** Mean of |B − A|. */
  meanAbsolute: number | null;
  /** Largest |B − A|. */
  maxAbsolute: number | null;
  /** Quantiles of |B − A| (numpy's linear interpolation), keyed `p50`, `p90`, `p99`. */
  quantiles: Record<string, number | null>;
}

/** A request whose score moved the most. */
export interface ChangedItem {
  index: number;
  request: Record<string, unknown>;
  /** Binary: the two scores. Multilabel: the label that moved most, and its two scores. */
  a: number;
  b: number;
  difference: number;
  label?: string;
  /** Whether the decision at the threshold differs. */
  decisionChanged: boolean;
}

/** What {@link compareModels} gives. */
export interface ComparisonReport {
  model: string;
  a: { version: string | null; mode: string };
  b: { version: string | null; mode: string };
  kind: EvaluationSpec['kind'];
  threshold: number;
  count: number;
  /** Requests both versions scored. */
  compared: number;
  failed: { a: Failures; b: Failures };
  /**
   * Share of compared requests whose decision at the threshold is the same (multilabel: the same
   * set of labels given).
   */
  agreement: number | null;
  /** Multilabel: share of (request, label) decisions that are the same. */
  labelAgreement?: number | null;
  /** Binary: B − A of each request's score; multilabel: of every label's score of every request. */
  difference: DifferenceSummary;
  /** The requests that changed most, largest |B − A| first. */
  changed: ChangedItem[];
}

const QUANTILES: ReadonlyArray<[string, number]> = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
];

function summarize(differences: readonly number[]): DifferenceSummary {
  if (differences.length === 0) {
    return {
      mean: null,
      meanAbsolute: null,
      maxAbsolute: null,
      quantiles: Object.fromEntries(QUANTILES.map(([key]) => [key, null])),
    };
  }
  const absolute = differences.map(Math.abs).sort((x, y) => x - y);
  const at = (q: number) => {
    const position = (absolute.length - 1) * q;
    const below = Math.floor(position);
    const above = Math.min(below + 1, absolute.length - 1);
    return absolute[below]! + (absolute[above]! - absolute[below]!) * (position - below);
  };
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  return {
    mean: sum(differences) / differences.length,
    meanAbsolute: sum(absolute) / absolute.length,
    maxAbsolute: absolute.at(-1)!,
    quantiles: Object.fromEntries(QUANTILES.map(([key, q]) => [key, at(q)])),
  };
}

/** Options of {@link compareModels}. */
export interface CompareOptions extends PredictManyOptions {
  /** The decision threshold of the agreement; default the spec's. */
  threshold?: number;
  /** How many of the most changed requests to list. Default 10. */
  top?: number;
}

/** Scores `requests` with both versions and says how far they differ. */
export async function compareModels(
  a: LiftWingModel<unknown, unknown>,
  b: LiftWingModel<unknown, unknown>,
  spec: EvaluationSpec,
  requests: readonly Record<string, unknown>[],
  options: CompareOptions = {},
): Promise<ComparisonReport> {
  const threshold = options.threshold ?? spec.threshold;
  const top = options.top ?? 10;
  const sent = requests.map((request) => prepared(spec, request));
  const scoresA = await scoreRequests(a, spec, sent, options);
  const scoresB = await scoreRequests(b, spec, sent, options);
  const differences: number[] = [];
  const changed: ChangedItem[] = [];
  let agreeing = 0;
  let labelDecisions = 0;
  let labelAgreeing = 0;
  let compared = 0;
  scoresA.forEach((scoreA, index) => {
    const scoreB = scoresB[index]!;
    if (isError(scoreA) || isError(scoreB)) return;
    compared++;
    if (typeof scoreA === 'number' && typeof scoreB === 'number') {
      const same = scoreA >= threshold === scoreB >= threshold;
      if (same) agreeing++;
      differences.push(scoreB - scoreA);
      changed.push({
        index,
        request: requests[index]!,
        a: scoreA,
        b: scoreB,
        difference: scoreB - scoreA,
        decisionChanged: !same,
      });
      return;
    }
    const recordA = scoreA as Record<string, number>;
    const recordB = scoreB as Record<string, number>;
    let most: ChangedItem | undefined;
    let sameSet = true;
    for (const label of (spec as MultilabelEvaluation).labels) {
      const x = recordA[label] ?? 0;
      const y = recordB[label] ?? 0;
      const same = x >= threshold === y >= threshold;
      labelDecisions++;
      if (same) labelAgreeing++;
      else sameSet = false;
      differences.push(y - x);
      if (most === undefined || Math.abs(y - x) > Math.abs(most.difference)) {
        most = {
          index,
          request: requests[index]!,
          a: x,
          b: y,
          difference: y - x,
          label,
          decisionChanged: !same,
        };
      }
    }
    if (sameSet) agreeing++;
    if (most !== undefined) changed.push({ ...most, decisionChanged: !sameSet });
  });
  changed.sort((x, y) => Math.abs(y.difference) - Math.abs(x.difference) || x.index - y.index);
  return {
    model: a.name,
    a: { version: a.version ?? null, mode: a.mode },
    b: { version: b.version ?? null, mode: b.mode },
    kind: spec.kind,
    threshold,
    count: requests.length,
    compared,
    failed: { a: failures(scoresA), b: failures(scoresB) },
    agreement: compared === 0 ? null : agreeing / compared,
    ...(spec.kind === 'multilabel'
      ? { labelAgreement: labelDecisions === 0 ? null : labelAgreeing / labelDecisions }
      : {}),
    difference: summarize(differences),
    changed: changed.slice(0, top),
  };
}

/** How much a distribution moved, by the rule of {@link PSI_THRESHOLDS}. */
export type DriftLevel = 'none' | 'moderate' | 'major';

/** One feature's (or score's) drift. */
export interface DriftSeries {
  /** The feature name, `score`, or `score:<label>`. */
  name: string;
  source: 'feature' | 'score';
  reference: { count: number; mean: number | null };
  current: { count: number; mean: number | null };
  psi: number;
  level: DriftLevel;
  ks: KsResult | null;
  /**
   * Whether KS says the samples differ: p below {@link KS_ALPHA} divided by the number of series
   * tested (Bonferroni), so that forty features at 5% each do not raise two false alarms.
   */
  ksDiffers: boolean;
  missing: PsiResult['missing'];
}

/** What {@link driftReport} gives. */
export interface DriftReport {
  model: string;
  version: string | null;
  reference: { count: number; scored: number; withFeatures: number };
  current: { count: number; scored: number; withFeatures: number };
  /** The thresholds the levels and `ksDiffers` come from, and where they come from. */
  rule: { psi: typeof PSI_THRESHOLDS; ksAlpha: number; ksAlphaPerSeries: number; source: string };
  series: DriftSeries[];
  /** Names of the series whose level is not `none`. */
  flagged: string[];
  failed: { reference: Failures; current: Failures };
}

/** Where the thresholds of drift come from, as reports say it. */
export const DRIFT_RULE_SOURCE =
  'PSI below 0.1: no significant change, 0.1 to 0.25: moderate, 0.25 and above: major (the rule of ' +
  'thumb of credit scoring, N. Siddiqi, Credit Risk Scorecards, 2006); KS two-sided at 5%, ' +
  'Bonferroni-corrected over the series.';

/** Options of {@link driftReport}. */
export interface DriftOptions extends PredictManyOptions {
  /** Score the requests with this model (its scores are series too); features only without it. */
  model?: LiftWingModel<unknown, unknown>;
}

/** The reference and current values of every feature and score, measured against each other. */
export async function driftReport(
  definition: { name: string; evaluation?: EvaluationSpec; package: string },
  reference: readonly Record<string, unknown>[],
  current: readonly Record<string, unknown>[],
  options: DriftOptions = {},
): Promise<DriftReport> {
  const spec = evaluationOf(definition);
  const { model, ...predict } = options;
  if (reference.length === 0 || current.length === 0) {
    throw new InputError(
      `Drift needs requests in both samples; the ${reference.length === 0 ? 'reference' : 'current'} sample has none.`,
    );
  }
  const sample = async (requests: readonly Record<string, unknown>[]) => {
    const features = spec.features === undefined ? [] : await spec.features.compute(requests);
    const scores =
      model === undefined
        ? []
        : await scoreRequests(
            model,
            spec,
            requests.map((r) => prepared(spec, r)),
            predict,
          );
    return { features, scores };
  };
  const ref = await sample(reference);
  const cur = await sample(current);
  const pairs: Array<{
    name: string;
    source: DriftSeries['source'];
    ref: number[];
    cur: number[];
  }> = [];
  for (const name of spec.features?.names ?? []) {
    const pick = (rows: readonly (Record<string, number> | null)[]) =>
      rows.flatMap((row) => (row === null ? [] : [row[name] ?? Number.NaN]));
    pairs.push({ name, source: 'feature', ref: pick(ref.features), cur: pick(cur.features) });
  }
  const scoreNames = spec.kind === 'binary' ? [undefined] : spec.labels;
  if (model !== undefined) {
    for (const label of scoreNames) {
      const pick = (outcomes: readonly unknown[]) =>
        outcomes.flatMap((outcome) =>
          isError(outcome)
            ? []
            : [
                label === undefined
                  ? (outcome as number)
                  : ((outcome as Record<string, number>)[label] ?? 0),
              ],
        );
      pairs.push({
        name: label === undefined ? 'score' : `score:${label}`,
        source: 'score',
        ref: pick(ref.scores),
        cur: pick(cur.scores),
      });
    }
  }
  const measured = pairs.filter((pair) => pair.ref.length > 0 && pair.cur.length > 0);
  const perSeries = KS_ALPHA / Math.max(1, measured.length);
  const mean = (values: readonly number[]) => {
    const present = values.filter((v) => !Number.isNaN(v));
    return present.length === 0 ? null : present.reduce((s, v) => s + v, 0) / present.length;
  };
  const series = measured.map((pair): DriftSeries => {
    const result = psi(pair.ref, pair.cur);
    const hasValues = (values: readonly number[]) => values.some((v) => !Number.isNaN(v));
    const ks = hasValues(pair.ref) && hasValues(pair.cur) ? ks2samp(pair.ref, pair.cur) : null;
    return {
      name: pair.name,
      source: pair.source,
      reference: { count: pair.ref.length, mean: mean(pair.ref) },
      current: { count: pair.cur.length, mean: mean(pair.cur) },
      psi: result.value,
      level:
        result.value >= PSI_THRESHOLDS.major
          ? 'major'
          : result.value >= PSI_THRESHOLDS.moderate
            ? 'moderate'
            : 'none',
      ks,
      ksDiffers: ks !== null && ks.pValue < perSeries,
      missing: result.missing,
    };
  });
  const withFeatures = (rows: readonly unknown[]) => rows.filter((row) => row !== null).length;
  const scored = (outcomes: readonly unknown[]) => outcomes.filter((o) => !isError(o)).length;
  return {
    model: definition.name,
    version: model?.version ?? null,
    reference: {
      count: reference.length,
      scored: scored(ref.scores),
      withFeatures: withFeatures(ref.features),
    },
    current: {
      count: current.length,
      scored: scored(cur.scores),
      withFeatures: withFeatures(cur.features),
    },
    rule: {
      psi: PSI_THRESHOLDS,
      ksAlpha: KS_ALPHA,
      ksAlphaPerSeries: perSeries,
      source: DRIFT_RULE_SOURCE,
    },
    series,
    flagged: series.filter((s) => s.level !== 'none').map((s) => s.name),
    failed: { reference: failures(ref.scores), current: failures(cur.scores) },
  };
}

/** Guards a response reader: the error when a response lacks what the spec reads. */
export function responseShapeError(
  model: string,
  what: string,
  response: unknown,
): ModelFormatError {
  const text = JSON.stringify(response) ?? String(response);
  return new ModelFormatError(
    `A response of ${model} has no ${what} where its package reads it: ` +
      `${text.length > 200 ? `${text.slice(0, 200)}...` : text}. Update the model package.`,
  );
}
