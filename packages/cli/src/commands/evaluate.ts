import { writeFile } from 'node:fs/promises';
import {
  type EvaluationReport,
  evaluateModel,
  evaluationOf,
  fileSystemError,
  splitLabelled,
} from '@liftwing/core';
import { type OptionSpec, parseOptions, UsageError } from '../args.js';
import {
  type Context,
  downloadPolicy,
  MODE_OPTIONS,
  modeOf,
  openModel,
  positiveInteger,
  withSignals,
  workersOption,
  write,
} from '../context.js';
import { readJsonl } from '../jsonl.js';
import { definitionOf, findModel, parseModelRef } from '../models.js';
import { createStatusLine, scoringProgress } from '../output.js';
import { evaluationHtml } from '../report-html.js';

/** The options of `evaluate`; `compare` and `drift` share the mode options. */
const EVALUATE_OPTIONS: OptionSpec = {
  ...MODE_OPTIONS,
  input: { type: 'string' },
  report: { type: 'string' },
  thresholds: { type: 'string' },
  threshold: { type: 'string' },
  bins: { type: 'string' },
  curves: { type: 'boolean' },
};

/** A number between 0 and 1 that `--flag` gave. */
export function unitNumber(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !(value >= 0 && value <= 1)) {
    throw new UsageError(`--${flag} takes numbers between 0 and 1; got ${JSON.stringify(raw)}.`);
  }
  return value;
}

/** The report as JSON: the curves (hundreds of points) only when asked for, they are for plots. */
function withoutCurves(report: EvaluationReport): unknown {
  const { multilabelCurves, binary, ...rest } = report;
  return {
    ...rest,
    ...(binary === undefined ? {} : { binary: { ...binary, roc: undefined, pr: undefined } }),
    ...(multilabelCurves === undefined
      ? {}
      : {
          multilabelCurves: {
            rocAuc: multilabelCurves.rocAuc,
            averagePrecision: multilabelCurves.averagePrecision,
          },
        }),
  };
}

/** Writes `text` to `path`, a file the user named. */
export async function writeReport(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw fileSystemError(error, 'write the report', path);
  }
}

/** The one model named among `positionals`, or a usage error showing `usage`. */
export function oneModel(positionals: readonly string[], usage: string) {
  if (positionals.length !== 1) {
    throw new UsageError(
      `${positionals.length === 0 ? 'Name a model' : `Name one model (got ${positionals.join(' ')})`}: ${usage}`,
    );
  }
  return parseModelRef(positionals[0]!);
}

/**
 * `liftwing evaluate <model>[@<version>] --input labelled.jsonl [--report out.html]`: the model's
 * metrics on the user's labelled requests, as JSON on stdout.
 */
export async function evaluateCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('evaluate', args, EVALUATE_OPTIONS);
  const ref = oneModel(positionals, 'liftwing evaluate <model>[@<version>] --input labelled.jsonl');
  const input = values.input as string | undefined;
  if (input === undefined) {
    throw new UsageError(
      'evaluate needs --input, a JSONL file of requests, each with its "label" (- reads stdin).',
    );
  }
  const info = findModel(await context.deps.listModels(), ref.model);
  const definition = definitionOf(info);
  const spec = evaluationOf(definition);
  const thresholds =
    values.thresholds === undefined
      ? undefined
      : (values.thresholds as string).split(',').map((t) => unitNumber('thresholds', t));
  const threshold =
    values.threshold === undefined
      ? undefined
      : unitNumber('threshold', values.threshold as string);
  if (spec.kind === 'binary' && threshold !== undefined) {
    throw new UsageError(
      `${definition.alias} is a yes/no model: give its thresholds with --thresholds 0.5,0.9 (--threshold is for models of many labels).`,
    );
  }
  if (spec.kind === 'multilabel' && (thresholds !== undefined || values.bins !== undefined)) {
    throw new UsageError(
      `${definition.alias} gives many labels: --thresholds and --bins are for yes/no models; give one --threshold.`,
    );
  }
  const bins = positiveInteger('bins', values.bins, 10);
  const mode = modeOf(values, context.io.env);
  const download = downloadPolicy(values, context.io.env, mode);
  const workers = workersOption(values.workers);
  // The file is read and checked before the model loads, which may take long.
  const name = input === '-' ? 'stdin' : input;
  const records = await readJsonl(input, 'input', context.io.stdin);
  const items = records.map((record) =>
    splitLabelled(spec, record.value, `${name} line ${record.line}`),
  );
  const model = await openModel(context, info, mode, ref.version, { workers, download });
  let report: EvaluationReport;
  const status = createStatusLine(context.io.stderr, { quiet: context.json });
  try {
    const onProgress = scoringProgress(status, [positionals[0]!]);
    report = await withSignals(context.io, (signal) =>
      evaluateModel(model, spec, items, { thresholds, threshold, bins, signal, onProgress }),
    );
  } finally {
    status.clear();
    await model.close();
  }
  const reportFile = values.report as string | undefined;
  if (reportFile !== undefined) {
    await writeReport(reportFile, evaluationHtml(report, new Date()));
    if (!context.json) write(context.io.stderr, `Report written to ${reportFile}`);
  }
  const pretty = context.io.stdout.isTTY === true;
  const json = values.curves === true ? report : withoutCurves(report);
  write(context.io.stdout, JSON.stringify(json, null, pretty ? 2 : undefined));
  if (report.scored > 0) return 0;
  if (!context.json) {
    write(context.io.stderr, `liftwing: no request could be scored; "failed" says why.`);
  }
  return 1;
}
