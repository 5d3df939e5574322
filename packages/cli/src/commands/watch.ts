import { resolveSettings } from '@liftwing/core';
import { asUsageError, type OptionSpec, parseOptions, UsageError } from '../args.js';
import { type Context, positiveInteger, withSignals, write } from '../context.js';
import { coreOptions } from '../core-options.js';
import { didYouMean } from '../suggest.js';
import { filterOption, sinceOption } from './stream.js';

const WATCH_OPTIONS: OptionSpec = {
  checkpoint: { type: 'string' },
  filter: { type: 'string', multiple: true },
  limit: { type: 'string' },
  since: { type: 'string' },
};

/** How often, at most, the checkpoint file is rewritten while lines are printed. */
const CHECKPOINT_EVERY_MS = 1000;

/**
 * `liftwing watch <prediction-stream> [--filter k=v,...] [--limit n] [--since t]
 * [--checkpoint file]`: Lift Wing's own predictions from the public stream Wikimedia publishes
 * them on, one JSON line each.
 */
export async function watchCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('watch', args, WATCH_OPTIONS);
  const { PREDICTION_STREAMS, predictionStream } = await import('@liftwing/stream');
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) {
    throw new UsageError(
      `Name one prediction stream: liftwing watch <stream>, e.g. ${PREDICTION_STREAMS.join(' or ')}.`,
    );
  }
  // Any stream of the prediction schema is read; a name unlike them all is a typo.
  if (!PREDICTION_STREAMS.includes(name) && !/prediction_change/.test(name)) {
    const hint = didYouMean(name, PREDICTION_STREAMS);
    throw new UsageError(
      `${name} is no prediction stream.${hint === '' ? ` Prediction streams: ${PREDICTION_STREAMS.join(', ')}.` : hint}`,
    );
  }
  const filter = await filterOption(values.filter);
  const since = sinceOption(values.since, undefined);
  const limit = values.limit === undefined ? undefined : positiveInteger('limit', values.limit, 1);
  const settings = resolveSettings(coreOptions(context.io.env), context.io.env);
  const { Checkpoint, readEventStreamsCheckpoint } = await import('@liftwing/stream');
  const path = values.checkpoint as string | undefined;
  const checkpoint = path === undefined ? undefined : new Checkpoint(path, `eventstreams:${name}`);
  try {
    const lastEventId = checkpoint && (await readEventStreamsCheckpoint(checkpoint));
    let seen = 0;
    // The position of the last line printed, and the one the file has: the file moves only past
    // lines already written (stdout to a file or a pipe is written synchronously).
    let position: string | undefined;
    let keptPosition = lastEventId;
    let keptAt = performance.now();
    const keep = async () => {
      if (checkpoint === undefined || position === undefined || position === keptPosition) return;
      await checkpoint.write(position);
      keptPosition = position;
      keptAt = performance.now();
    };
    await withSignals(context.io, async (signal) => {
      try {
        for await (const item of predictionStream(name, {
          settings,
          filter,
          since,
          lastEventId,
          signal,
          onReconnect: (info) => {
            if (!context.json) {
              write(
                context.io.stderr,
                `${name}: ${info.reason}; connecting again in ${(info.delayMs / 1000).toFixed(1)} s`,
              );
            }
          },
        })) {
          const { change, prediction } = item;
          write(
            context.io.stdout,
            JSON.stringify({
              dt: change.dt,
              wiki: change.wiki,
              page_title: change.pageTitle,
              page_id: change.pageId,
              rev_id: change.revId,
              model: prediction.model_name,
              model_version: prediction.model_version,
              predictions: prediction.predictions,
              probabilities: prediction.probabilities,
            }),
          );
          position = item.position ?? position;
          if (limit !== undefined && ++seen >= limit) break;
          if (performance.now() - keptAt >= CHECKPOINT_EVERY_MS) await keep();
        }
      } finally {
        // A stop (SIGINT, SIGTERM, --limit, a failure) keeps where the printed lines end.
        await keep();
      }
    });
  } catch (error) {
    // A checkpoint of another stream, or a file that is none: about the flag.
    throw asUsageError(error);
  }
  return 0;
}
