import { compareModels, evaluationOf, type LiftWingModel } from '@liftwing/core';
import { parseOptions, UsageError } from '../args.js';
import {
  type Context,
  downloadPolicy,
  MODE_OPTIONS,
  openModel,
  positiveInteger,
  withSignals,
  workersOption,
  write,
} from '../context.js';
import { readJsonl } from '../jsonl.js';
import { definitionOf, findModel, parseModelRef } from '../models.js';
import { createStatusLine, scoringProgress } from '../output.js';
import { unitNumber } from './evaluate.js';

/** The version that means "what the Lift Wing gateway serves", for a side of a comparison. */
export const ONLINE_VERSION = 'online';

const COMPARE_OPTIONS = {
  'no-download': MODE_OPTIONS['no-download']!,
  workers: MODE_OPTIONS.workers!,
  input: { type: 'string' as const },
  threshold: { type: 'string' as const },
  top: { type: 'string' as const },
};

const USAGE = 'liftwing compare <model>@<A> <model>@<B> --input requests.jsonl';

/**
 * `liftwing compare <model>@<A> <model>@<B> --input requests.jsonl`: both versions on the same
 * requests (each offline, or `@online` for the gateway's), for deciding a pin bump.
 */
export async function compareCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('compare', args, COMPARE_OPTIONS);
  if (positionals.length !== 2) {
    throw new UsageError(`Name two versions of one model: ${USAGE}`);
  }
  const [refA, refB] = positionals.map(parseModelRef) as [
    ReturnType<typeof parseModelRef>,
    ReturnType<typeof parseModelRef>,
  ];
  const models = await context.deps.listModels();
  const info = findModel(models, refA.model);
  if (findModel(models, refB.model) !== info) {
    throw new UsageError(
      `compare takes two versions of one model; ${refA.model} and ${refB.model} are two models.`,
    );
  }
  if (refA.version === undefined || refB.version === undefined) {
    throw new UsageError(
      `Give both versions (${USAGE}): a registry version, production, staging, or ${ONLINE_VERSION} for the Lift Wing gateway.`,
    );
  }
  if (refA.version === refB.version) {
    throw new UsageError(`Both sides are ${refA.model}@${refA.version}; name two versions.`);
  }
  const input = values.input as string | undefined;
  if (input === undefined) {
    throw new UsageError(
      `compare needs --input, a JSONL file of requests (- reads stdin): ${USAGE}`,
    );
  }
  const definition = definitionOf(info);
  const spec = evaluationOf(definition);
  const threshold =
    values.threshold === undefined
      ? undefined
      : unitNumber('threshold', values.threshold as string);
  const top = positiveInteger('top', values.top, 10);
  const workers = workersOption(values.workers);
  // A labelled file for evaluate serves here too: its labels are not sent.
  const requests = (await readJsonl(input, 'input', context.io.stdin)).map(({ value }) => {
    const { label: _label, ...request } = value;
    return request;
  });
  const open = (version: string) => {
    const mode = version === ONLINE_VERSION ? 'online' : 'offline';
    return openModel(context, info, mode, mode === 'online' ? undefined : version, {
      workers,
      download: downloadPolicy(mode === 'online' ? {} : values, context.io.env, mode),
    });
  };
  const opened: LiftWingModel<unknown, unknown>[] = [];
  try {
    opened.push(await open(refA.version));
    opened.push(await open(refB.version));
    const status = createStatusLine(context.io.stderr, { quiet: context.json });
    const onProgress = scoringProgress(status, positionals);
    const report = await withSignals(context.io, (signal) =>
      compareModels(opened[0]!, opened[1]!, spec, requests, { threshold, top, signal, onProgress }),
    ).finally(() => status.clear());
    const pretty = context.io.stdout.isTTY === true;
    write(context.io.stdout, JSON.stringify(report, null, pretty ? 2 : undefined));
    return report.compared > 0 ? 0 : 1;
  } finally {
    await Promise.all(opened.map((model) => model.close()));
  }
}
