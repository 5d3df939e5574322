import { resolveSettings } from '@liftwing/core';
import { type OptionSpec, parseOptions, UsageError } from '../args.js';
import { type Context, positiveInteger, withSignals, write } from '../context.js';
import { coreOptions } from '../core-options.js';
import { didYouMean } from '../suggest.js';
import { filterOption, sinceOption } from './stream.js';

const WATCH_OPTIONS: OptionSpec = {
  filter: { type: 'string', multiple: true },
  limit: { type: 'string' },
  since: { type: 'string' },
};

/**
 * `liftwing watch <prediction-stream> [--filter k=v,...] [--limit n] [--since t]`: Lift Wing's own
 * predictions from the public stream Wikimedia publishes them on, one JSON line each.
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
  let seen = 0;
  await withSignals(context.io, async (signal) => {
    for await (const item of predictionStream(name, {
      settings,
      filter,
      since,
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
      if (limit !== undefined && ++seen >= limit) break;
    }
  });
  return 0;
}
