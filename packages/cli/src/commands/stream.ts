import type { Writable } from 'node:stream';
import { resolveSettings } from '@liftwing/core';
import { asUsageError, type OptionSpec, parseOptions, UsageError } from '../args.js';
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
import { coreOptions } from '../core-options.js';
import { definitionOf, findModel, parseModelRef } from '../models.js';
import { didYouMean } from '../suggest.js';

/** The options of `stream`. */
const STREAM_OPTIONS: OptionSpec = {
  ...MODE_OPTIONS,
  from: { type: 'string' },
  to: { type: 'string' },
  checkpoint: { type: 'string' },
  filter: { type: 'string', multiple: true },
  limit: { type: 'string' },
  since: { type: 'string' },
  'batch-size': { type: 'string' },
  concurrency: { type: 'string' },
};

/**
 * `--filter` read as the stream package's filter, its errors in flag terms: an unknown key with
 * the keys closest to it.
 */
export async function filterOption(raw: unknown) {
  const { FilterError, FILTER_KEYS, parseFilter } = await import('@liftwing/stream');
  const texts = (raw as string[] | undefined) ?? [];
  try {
    return texts.length === 0 ? undefined : parseFilter(...texts);
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    const hint = error.key === undefined ? '' : didYouMean(error.key, [...FILTER_KEYS]);
    throw new UsageError(`--filter: ${error.message}${hint}`);
  }
}

/** `--since`, for an EventStreams source only. */
export function sinceOption(raw: unknown, from: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (from !== undefined && !from.startsWith('eventstreams:')) {
    throw new UsageError(
      '--since applies to --from eventstreams:<stream>; a file starts at its top.',
    );
  }
  if (Number.isNaN(new Date(/^\d+$/.test(String(raw)) ? Number(raw) : String(raw)).getTime())) {
    throw new UsageError(
      `--since ${JSON.stringify(raw)} is not a time: use ISO 8601 (2026-01-02T03:04:05Z) or milliseconds since 1970.`,
    );
  }
  return String(raw);
}

/**
 * `liftwing stream <model> --from <source> [--to <sink>] [--checkpoint <file>] [--filter k=v,...]
 * [--limit n]`: every event of the source scored by the model, one JSON line per event.
 */
export async function streamCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('stream', args, STREAM_OPTIONS);
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'Name one model: liftwing stream <model> --from <source> (liftwing models lists them).'
        : `Name one model, then the options (extra words: ${positionals.slice(1).join(' ')}).`,
    );
  }
  const ref = parseModelRef(positionals[0]!);
  const models = await context.deps.listModels();
  const info = findModel(models, ref.model);
  const definition = definitionOf(info);
  const { requestFromEvent } = definition;
  if (requestFromEvent === undefined) {
    const able = models
      .filter((model) => model.definition?.requestFromEvent !== undefined)
      .map((model) => model.alias ?? model.name);
    throw new UsageError(
      `${info.name} cannot score events: ${info.package} does not say how an event becomes its request.` +
        (able.length > 0 ? ` Models that can: ${able.join(', ')}.` : ''),
    );
  }
  const from = values.from as string | undefined;
  if (from === undefined) {
    throw new UsageError(
      'Name the events to score: --from eventstreams:mediawiki.recentchange, --from <events.jsonl> or --from - (stdin).',
    );
  }
  const mode = modeOf(values, context.io.env);
  const download = downloadPolicy(values, context.io.env, mode);
  const filter = await filterOption(values.filter);
  const since = sinceOption(values.since, from);
  const limit = values.limit === undefined ? undefined : positiveInteger('limit', values.limit, 1);
  const batchSize = positiveInteger('batch-size', values['batch-size'], 50);
  const concurrency = positiveInteger('concurrency', values.concurrency, 4);
  if (batchSize > 10_000 || concurrency > 256) {
    throw new UsageError(
      '--batch-size is at most 10000 and --concurrency at most 256: the events in flight are held in memory.',
    );
  }
  const workers = workersOption(values.workers);
  const stream = await import('@liftwing/stream');
  const settings = resolveSettings(coreOptions(context.io.env), context.io.env);
  const { stderr } = context.io;
  const source = await stream.openSource(from, {
    settings,
    checkpoint: values.checkpoint as string | undefined,
    since,
    stdin: context.io.stdin,
    onAssign: (partitions) => {
      if (!context.json) {
        write(stderr, `${from}: this worker has partition(s) ${partitions.join(', ') || 'none'}`);
      }
    },
    onReconnect: (info) => {
      if (!context.json) {
        write(
          stderr,
          `${source.name}: ${info.reason}; connecting again in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt})`,
        );
      }
    },
  });
  const to = values.to as string | undefined;
  const sink = await stream.openSink(to ?? '-', context.io.stdout as Writable);
  try {
    const model = await openModel(context, info, mode, ref.version, { workers, download });
    try {
      const summary = await withSignals(context.io, (signal) =>
        stream.runStream({
          source,
          sink,
          model,
          requestFromEvent,
          filter,
          limit,
          batchSize,
          concurrency,
          signal,
        }),
      );
      const rate = summary.seconds > 0 ? summary.processed / summary.seconds : 0;
      if (context.json)
        write(to === undefined ? stderr : context.io.stdout, JSON.stringify(summary));
      else {
        write(
          stderr,
          `${summary.processed} processed: ${summary.scored} scored, ${summary.failed} failed, ` +
            `${summary.notScored} not for ${info.alias ?? info.name}, ${summary.filtered} filtered out, ` +
            `${rate.toFixed(1)}/s, ${summary.seconds.toFixed(1)} s${summary.interrupted ? ', stopped and committed' : ''}`,
        );
      }
      // A stop on SIGTERM is the way a stream ends: what was read is written and committed.
      return 0;
    } finally {
      await model.close();
    }
  } catch (error) {
    // The source's or sink's own words (a checkpoint of another source) are about flags.
    throw asUsageError(error);
  } finally {
    await sink.close();
    await source.close();
  }
}
