/**
 * `pnpm registry:sync [--charts <dir|url>] [--commit <sha>] [--target <dir>] [--models-url <url>]
 * [--record <file>] [--publish kafka://<brokers>[/<topic>]]`: see tools/README.md.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { envString, isLiftWingError } from '@liftwing/core';
import { localCharts, remoteCharts } from './deployment-charts.js';
import { publishChanges } from './publish.js';
import { syncRegistry } from './sync.js';

/** The charts as GitHub serves them raw, at the default branch. */
const DEFAULT_CHARTS =
  'https://raw.githubusercontent.com/wikimedia/operations-deployment-charts/HEAD/';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      charts: { type: 'string' },
      commit: { type: 'string' },
      target: { type: 'string' },
      'models-url': { type: 'string' },
      record: { type: 'string' },
      publish: { type: 'string' },
    },
    strict: true,
  });
  const location = values.charts ?? envString('LIFTWING_CHARTS') ?? DEFAULT_CHARTS;
  const charts = /^https?:\/\//.test(location)
    ? remoteCharts(location, values.commit)
    : localCharts(resolve(location));
  const startedAt = new Date();
  const result = await syncRegistry({
    charts,
    target: resolve(values.target ?? '.'),
    modelsUrl: values['models-url'],
    now: () => startedAt,
  });
  const record = {
    generatedAt: startedAt.toISOString(),
    charts: charts.location,
    changes: result.changes,
  };
  if (values.record !== undefined) {
    await writeFile(values.record, `${JSON.stringify(record, null, 2)}\n`);
  }
  if (values.publish !== undefined) {
    const sent = await publishChanges(values.publish, record);
    console.log(`published ${sent} change(s) to ${values.publish}`);
  }
  for (const change of result.changes) {
    console.log(
      `${change.alias}: ${change.stage} ${change.oldVersion ?? '(none)'} -> ${change.newVersion ?? '(none)'}`,
    );
  }
  for (const item of result.downloaded) console.log(`hashed ${item.url}: ${item.size} bytes`);
  console.log(
    result.written.length === 0
      ? 'The catalogue is current; nothing written.'
      : `Wrote ${result.written.join(', ')}`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`registry-sync: ${error instanceof Error ? error.message : String(error)}`);
    if (!isLiftWingError(error) && error instanceof Error) console.error(error.stack);
    process.exitCode = 1;
  },
);
