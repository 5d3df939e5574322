/**
 * Parity of offline and online revert risk: takes the N most recent edits of a Wikipedia's
 * articles (`list=recentchanges&rctype=edit&rcnamespace=0`), scores each offline (a bundle) and
 * online (the Lift Wing gateway), and reports how far the probabilities are apart.
 *
 *   pnpm --filter @liftwing/revertrisk parity -- --lang en --count 50 --bundle ./rrla-bundle
 *
 * Options: --lang (default en), --count (default 50, at most 500), --bundle <dir> or
 * --version <registry version>, --json (print the report as JSON). The gateway, MediaWiki, token
 * and User-Agent come from the usual LIFTWING_* environment variables.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BatchResult,
  ConfigError,
  type LiftWingClient,
  type LiftWingClientOptions,
  MediaWikiClient,
  type MediaWikiClientOptions,
} from '@liftwing/core';
import {
  createModel,
  hostOf,
  type RevertRiskModel,
  type RevertRiskResponse,
} from '../src/index.js';

/** Options of {@link runParity}. */
export interface ParityOptions {
  lang: string;
  /** Recent edits to compare. */
  count: number;
  /** Offline: a bundle directory, or a registry version. */
  bundle?: string;
  version?: string;
  /** The gateway client (or its options); default from the environment. */
  client?: LiftWingClient | LiftWingClientOptions;
  /** The MediaWiki client (or its options), for recent changes and offline fetching. */
  mediawiki?: MediaWikiClient | MediaWikiClientOptions;
  userAgent?: string;
}

/** One revision that only one side, or neither, could score. */
export interface ParityFailure {
  rev_id: number;
  offline?: string;
  online?: string;
}

/** What {@link runParity} found. */
export interface ParityReport {
  lang: string;
  /** Revisions asked for (recent edits found). */
  revisions: number;
  /** Revisions both sides scored. */
  compared: number;
  /** Max and mean of |P_offline(true) − P_online(true)| over compared revisions. */
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Compared revisions whose `prediction` agrees, and that share of `compared`. */
  predictionAgreements: number;
  predictionAgreement: number;
  /** The revision with the largest difference, if any was compared. */
  worst?: { rev_id: number; offline: number; online: number };
  failures: ParityFailure[];
  offlineModelVersion?: string;
  onlineModelVersion?: string;
}

/** The ids of the `count` most recent edits to articles of the wiki of `lang`, newest first. */
export async function recentEdits(
  mediawiki: MediaWikiClient,
  lang: string,
  count: number,
): Promise<number[]> {
  const response = await mediawiki.query(hostOf(lang), {
    list: 'recentchanges',
    rctype: 'edit',
    rcnamespace: 0,
    rcprop: ['ids', 'timestamp', 'title'],
    rclimit: count,
  });
  const changes = (response.query?.recentchanges ?? []) as Array<{ revid?: number }>;
  return [...new Set(changes.map((c) => c.revid).filter((id): id is number => !!id))];
}

function describe(result: BatchResult<RevertRiskResponse>): string | undefined {
  if (result.ok) return undefined;
  const { error } = result;
  return 'reason' in error && error.reason
    ? String(error.reason)
    : `${error.code}: ${error.message}`;
}

/** Scores recent edits both ways and compares. */
export async function runParity(options: ParityOptions): Promise<ParityReport> {
  const mediawiki =
    options.mediawiki instanceof MediaWikiClient
      ? options.mediawiki
      : new MediaWikiClient({ userAgent: options.userAgent, ...options.mediawiki });
  const revIds = await recentEdits(mediawiki, options.lang, options.count);
  const requests = revIds.map((rev_id) => ({ lang: options.lang, rev_id }));
  const models: RevertRiskModel[] = [];
  try {
    const offline = await createModel({
      mode: 'offline',
      modelPath: options.bundle,
      version: options.version,
      mediawiki,
      userAgent: options.userAgent,
    });
    models.push(offline);
    const online = await createModel({
      mode: 'online',
      client: options.client,
      userAgent: options.userAgent,
    });
    models.push(online);
    const [offlineResults, onlineResults] = await Promise.all([
      offline.predictMany(requests),
      online.predictMany(requests),
    ]);
    return compare(options.lang, revIds, offlineResults, onlineResults);
  } finally {
    await Promise.all(models.map((model) => model.close()));
  }
}

/** Compares two result lists over the same revisions. */
export function compare(
  lang: string,
  revIds: readonly number[],
  offline: readonly BatchResult<RevertRiskResponse>[],
  online: readonly BatchResult<RevertRiskResponse>[],
): ParityReport {
  const report: ParityReport = {
    lang,
    revisions: revIds.length,
    compared: 0,
    maxAbsDiff: 0,
    meanAbsDiff: 0,
    predictionAgreements: 0,
    predictionAgreement: 0,
    failures: [],
  };
  let sum = 0;
  revIds.forEach((rev_id, i) => {
    const a = offline[i]!;
    const b = online[i]!;
    if (!a.ok || !b.ok) {
      report.failures.push({ rev_id, offline: describe(a), online: describe(b) });
      return;
    }
    report.offlineModelVersion ??= a.value.model_version;
    report.onlineModelVersion ??= b.value.model_version;
    const p = a.value.output.probabilities.true;
    const q = b.value.output.probabilities.true;
    const diff = Math.abs(p - q);
    report.compared++;
    sum += diff;
    if (report.worst === undefined || diff > report.maxAbsDiff) {
      report.maxAbsDiff = diff;
      report.worst = { rev_id, offline: p, online: q };
    }
    if (a.value.output.prediction === b.value.output.prediction) report.predictionAgreements++;
  });
  if (report.compared > 0) {
    report.meanAbsDiff = sum / report.compared;
    report.predictionAgreement = report.predictionAgreements / report.compared;
  }
  return report;
}

/** The report as lines of text. */
export function formatReport(report: ParityReport): string {
  const lines = [
    `revertrisk parity on ${report.lang}wiki: ${report.revisions} recent edits, ${report.compared} scored both ways`,
    `  model_version offline ${report.offlineModelVersion ?? '-'}, online ${report.onlineModelVersion ?? '-'}`,
    `  |P(true) offline - online|: max ${report.maxAbsDiff.toFixed(6)}, mean ${report.meanAbsDiff.toFixed(6)}`,
    `  prediction agreement: ${report.predictionAgreements}/${report.compared} (${(report.predictionAgreement * 100).toFixed(1)}%)`,
  ];
  if (report.worst) {
    const { rev_id, offline, online } = report.worst;
    lines.push(
      `  largest difference: rev ${rev_id}, offline ${offline.toFixed(6)}, online ${online.toFixed(6)}`,
    );
  }
  lines.push(`  failures: ${report.failures.length}`);
  for (const f of report.failures) {
    lines.push(`    rev ${f.rev_id}: offline ${f.offline ?? 'ok'}, online ${f.online ?? 'ok'}`);
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      lang: { type: 'string', default: 'en' },
      count: { type: 'string', default: '50' },
      bundle: { type: 'string' },
      version: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 500) {
    throw new ConfigError(`--count must be an integer from 1 to 500; got ${values.count}.`);
  }
  const report = await runParity({
    lang: values.lang!,
    count,
    bundle: values.bundle,
    version: values.version,
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
