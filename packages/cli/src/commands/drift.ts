import {
  type DriftLevel,
  driftReport,
  evaluationOf,
  type LiftWingModel,
  REFERENCE_SAMPLE_ARTIFACT,
} from '@liftwing/core';
import { parseOptions, UsageError } from '../args.js';
import {
  type Context,
  downloadPolicy,
  MODE_OPTIONS,
  modeOf,
  openModel,
  withSignals,
  workersOption,
  write,
} from '../context.js';
import { readJsonl } from '../jsonl.js';
import { definitionOf, findModel } from '../models.js';
import { createStatusLine, scoringProgress } from '../output.js';
import { oneModel } from './evaluate.js';

const DRIFT_OPTIONS = {
  ...MODE_OPTIONS,
  reference: { type: 'string' as const },
  current: { type: 'string' as const },
  'features-only': { type: 'boolean' as const },
  'fail-on': { type: 'string' as const },
};

const LEVELS: readonly DriftLevel[] = ['moderate', 'major'];

/**
 * `liftwing drift <model>[@<version>] [--reference ref.jsonl] --current cur.jsonl`: PSI and KS of
 * each feature the model's package computes and of its scores, reference against current.
 */
export async function driftCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('drift', args, DRIFT_OPTIONS);
  const ref = oneModel(
    positionals,
    'liftwing drift <model>[@<version>] --reference ref.jsonl --current cur.jsonl',
  );
  const current = values.current as string | undefined;
  if (current === undefined) {
    throw new UsageError('drift needs --current, a JSONL file of the requests of now.');
  }
  const failOn = values['fail-on'] as string | undefined;
  if (failOn !== undefined && !LEVELS.includes(failOn as DriftLevel)) {
    throw new UsageError(`--fail-on takes moderate or major, not ${JSON.stringify(failOn)}.`);
  }
  if (values.reference === '-' && current === '-') {
    throw new UsageError('Only one of --reference and --current can be stdin (-).');
  }
  const info = findModel(await context.deps.listModels(), ref.model);
  const definition = definitionOf(info);
  const spec = evaluationOf(definition);
  const featuresOnly = values['features-only'] === true;
  if (featuresOnly && spec.features === undefined) {
    throw new UsageError(
      `${info.package} computes no features of ${definition.alias} requests; drop --features-only to measure its scores.`,
    );
  }
  let reference = values.reference as string | undefined;
  let referenceSource = reference;
  if (reference === undefined) {
    const recorded = await context.deps.referenceSample(info, ref.version);
    if (recorded === undefined) {
      throw new UsageError(
        `Give --reference, a JSONL file of requests to measure against: the registry records no ` +
          `reference sample (${REFERENCE_SAMPLE_ARTIFACT}) for ${definition.alias}` +
          `${ref.version === undefined ? '' : `@${ref.version}`}.`,
      );
    }
    reference = recorded.path;
    referenceSource = `${recorded.ref} (${REFERENCE_SAMPLE_ARTIFACT})`;
  }
  const requests = async (path: string, flag: string) =>
    (await readJsonl(path, flag, context.io.stdin)).map(({ value }) => {
      const { label: _label, ...request } = value;
      return request;
    });
  const referenceRequests = await requests(reference, 'reference');
  const currentRequests = await requests(current, 'current');
  let model: LiftWingModel<unknown, unknown> | undefined;
  if (!featuresOnly) {
    const mode = modeOf(values, context.io.env);
    model = await openModel(context, info, mode, ref.version, {
      workers: workersOption(values.workers),
      download: downloadPolicy(values, context.io.env, mode),
    });
  }
  try {
    const status = createStatusLine(context.io.stderr, { quiet: context.json });
    const onProgress = scoringProgress(status, ['reference sample', 'current sample']);
    const report = await withSignals(context.io, (signal) =>
      driftReport(definition, referenceRequests, currentRequests, { model, signal, onProgress }),
    ).finally(() => status.clear());
    const pretty = context.io.stdout.isTTY === true;
    write(
      context.io.stdout,
      JSON.stringify({ ...report, referenceSource }, null, pretty ? 2 : undefined),
    );
    if (!context.json) {
      const flagged = report.series.filter((series) => series.level !== 'none');
      write(
        context.io.stderr,
        flagged.length === 0
          ? `No drift: every PSI is below ${report.rule.psi.moderate}.`
          : `Drift: ${flagged.map((s) => `${s.name} (${s.level}, PSI ${s.psi.toFixed(3)})`).join(', ')}.`,
      );
    }
    const threshold = failOn === undefined ? undefined : LEVELS.indexOf(failOn as DriftLevel);
    const failed =
      threshold !== undefined &&
      report.series.some((series) => LEVELS.indexOf(series.level) >= threshold);
    return failed ? 1 : 0;
  } finally {
    await model?.close();
  }
}
