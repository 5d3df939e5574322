import { ConfigError, type LiftWingModel } from '@liftwing/core';
import { parseOptions, UsageError } from '../args.js';
import {
  allowDownloadHint,
  type Context,
  downloadPolicy,
  MODE_OPTIONS,
  modeOf,
  NotCachedError,
  openModel,
  positiveInteger,
  withSignals,
  workersOption,
  write,
} from '../context.js';
import { readJsonl } from '../jsonl.js';
import { findModel, type ModelInfo, parseModelRef } from '../models.js';
import { Playground, playgroundModels } from '../playground.js';
import { createLiftWingServer, DEFAULT_MAX_BODY_BYTES } from '../server.js';

/** A model to serve: named with `--models` (must load), or found installed (may be skipped). */
interface Candidate {
  info: ModelInfo;
  version: string | undefined;
}

/** The models `--models` names, or every installed one. */
function chooseModels(known: readonly ModelInfo[], requested: readonly string[]): Candidate[] {
  if (requested.length > 0) {
    return requested.map((ref) => {
      const { model, version } = parseModelRef(ref);
      return { info: findModel(known, model), version };
    });
  }
  const installed = known.filter(
    (info) => info.definition !== undefined || info.definitionError !== undefined,
  );
  if (installed.length === 0) {
    const packages = known.map((info) => info.package).join(', ');
    throw new ConfigError(
      `No model package is installed. Install one of ${packages}, e.g. npm install ${known[0]?.package ?? '<package>'}`,
    );
  }
  return installed.map((info) => ({ info, version: undefined }));
}

/** A model `serve` leaves out, and why, in a few words. */
interface Skipped {
  info: ModelInfo;
  reason: string;
}

const ONLINE_ONLY = 'online only';
/** More online-only models of one package than this are summed up in one line (a family of 109). */
const MAX_LISTED_PER_PACKAGE = 3;

/** The skipped models as lines: one each, but one per package for a large family online only. */
function skippedLines(skipped: readonly Skipped[]): string[] {
  const onlineOnly = new Map<string, string[]>();
  for (const { info, reason } of skipped) {
    if (reason === ONLINE_ONLY) {
      onlineOnly.set(info.package, [...(onlineOnly.get(info.package) ?? []), info.name]);
    }
  }
  const summed = new Set<string>();
  const lines: string[] = [];
  for (const { info, reason } of skipped) {
    const family = onlineOnly.get(info.package) ?? [];
    if (reason !== ONLINE_ONLY || family.length <= MAX_LISTED_PER_PACKAGE) {
      lines.push(`${info.name}: ${reason}`);
    } else if (!summed.has(info.package)) {
      summed.add(info.package);
      const shown = family.slice(0, 2).join(', ');
      lines.push(`${info.package}: ${family.length} models (${shown}, ...): ${ONLINE_ONLY}`);
    }
  }
  return lines;
}

/**
 * Opens every installed model that can run here, offline: online-only ones, ones not cached
 * while downloads are off, and ones that fail to load are skipped, each with its reason.
 */
async function openInstalled(
  context: Context,
  candidates: readonly Candidate[],
  open: (candidate: Candidate) => Promise<LiftWingModel<unknown, unknown>>,
): Promise<{ served: Served[]; skipped: Skipped[] }> {
  const served: Served[] = [];
  const skipped: Skipped[] = [];
  for (const candidate of candidates) {
    const { info } = candidate;
    if (info.definition === undefined) {
      skipped.push({ info, reason: (info.definitionError ?? new Error('not installed')).message });
    } else if (!info.definition.modes.includes('offline')) {
      skipped.push({ info, reason: ONLINE_ONLY });
    } else {
      try {
        served.push({ info, model: await open(candidate) });
      } catch (error) {
        const reason =
          error instanceof NotCachedError
            ? `not cached (${error.pullCommand})`
            : error instanceof Error
              ? error.message
              : String(error);
        skipped.push({ info, reason });
      }
    }
  }
  if (context.json) {
    for (const { info, reason } of skipped) {
      write(context.io.stderr, JSON.stringify({ event: 'skipped', model: info.name, reason }));
    }
  } else if (skipped.length > 0) {
    write(
      context.io.stderr,
      `liftwing serve: not serving ${skipped.length} installed model(s) offline:\n` +
        skippedLines(skipped)
          .map((line) => `  ${line}`)
          .join('\n'),
    );
  }
  return { served, skipped };
}

/** A model being served, with what the CLI knows of it. */
interface Served {
  info: ModelInfo;
  model: LiftWingModel<unknown, unknown>;
}

/** `liftwing serve`: a local server speaking Lift Wing's protocol. */
export async function serveCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('serve', args, {
    host: { type: 'string' },
    port: { type: 'string' },
    ...MODE_OPTIONS,
    models: { type: 'string', multiple: true },
    'max-body': { type: 'string' },
    'request-timeout': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length > 0) {
    throw new UsageError('liftwing serve takes no arguments; name models with --models.');
  }
  const mode = modeOf(values, context.io.env);
  const download = downloadPolicy(values, context.io.env, mode);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const port = positiveInteger('port', values.port, 8080, true);
  if (port > 65535) throw new UsageError('--port must be at most 65535.');
  const maxBodyBytes = positiveInteger('max-body', values['max-body'], DEFAULT_MAX_BODY_BYTES);
  const given = positiveInteger('request-timeout', values['request-timeout'], 0);
  const workers = workersOption(values.workers);
  const requested = ((values.models as string[] | undefined) ?? [])
    .flatMap((list) => list.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const known = await context.deps.listModels();
  const chosen = chooseModels(known, requested);
  const open = ({ info, version }: Candidate) =>
    openModel(context, info, mode, version, { workers, download });

  const served: Served[] = [];
  const closeModels = () => Promise.all(served.map(({ model }) => model.close()));
  try {
    if (requested.length > 0 || mode === 'online') {
      // Named models must all load; online, every installed package answers through the gateway.
      for (const candidate of chosen) {
        if (candidate.info.definition === undefined && requested.length === 0) continue;
        served.push({ info: candidate.info, model: await open(candidate) });
      }
    } else {
      served.push(...(await openInstalled(context, chosen, open)).served);
      if (served.length === 0) {
        throw new ConfigError(
          'No installed model can run offline here (see why above). Fetch one first with ' +
            '`liftwing pull <model>` (`liftwing models` lists them; the online-only ones cannot), ' +
            (download.allowed ? '' : `${allowDownloadHint(download)} to download on first use, `) +
            'or name the models to serve with --models <model>[,<model>...].',
        );
      }
    }
    // By default a request may take as long as the slowest model served says it may, and 30 s
    // at least; --request-timeout decides alone.
    const slowest = Math.max(...served.map(({ info }) => info.definition?.timeoutMs ?? 0));
    const timeoutSeconds = given > 0 ? given : Math.max(30, Math.ceil(slowest / 1000));
    const models = served.map(({ model }) => model);
    // A package whose models are more than one exports them as `definitions`.
    const family = (pkg: string) => known.filter((info) => info.package === pkg).length > 1;
    const playground = new Playground(
      playgroundModels(
        served.flatMap(({ info, model }) =>
          info.definition === undefined
            ? []
            : [{ definition: info.definition, mode: model.mode, family: family(info.package) }],
        ),
      ),
    );
    const server = createLiftWingServer({
      models,
      definitions: new Map(
        served.flatMap(({ info, model }) =>
          info.definition === undefined ? [] : [[model.name, info.definition] as const],
        ),
      ),
      // The sample recorded for the version being served, read when a :drift body has none.
      referenceSample: async (name) => {
        const found = served.find(({ model }) => model.name === name);
        if (found === undefined) return undefined;
        const sample = await context.deps.referenceSample(found.info, found.model.version);
        if (sample === undefined) return undefined;
        return (await readJsonl(sample.path, 'reference', context.io.stdin)).map(
          ({ value }) => value,
        );
      },
      playground,
      maxBodyBytes,
      requestTimeoutMs: timeoutSeconds * 1000,
      // No access log at all with --quiet, e.g. under a load test.
      log:
        values.quiet === true
          ? () => {}
          : (entry) => write(context.io.stderr, JSON.stringify(entry)),
    });
    await withSignals(context.io, async (signal) => {
      const address = await server.listen(port, host).catch((error: Error) => {
        throw new ConfigError(
          `Cannot listen on ${host}:${port}: ${error.message}. Choose another --port or --host.`,
          { cause: error },
        );
      });
      const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      const names = models.map((model) => model.name);
      write(
        context.io.stderr,
        context.json
          ? JSON.stringify({
              event: 'listening',
              url,
              mode,
              models: names,
              requestTimeoutSeconds: timeoutSeconds,
              playground: `${url}/`,
            })
          : `liftwing serve: listening on ${url} (${mode}: ${names.join(', ')})\n` +
              `liftwing serve: the playground is at ${url}/ (open it in a browser)`,
      );
      if (!signal.aborted)
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
      write(
        context.io.stderr,
        context.json
          ? JSON.stringify({ event: 'shutdown', signal: String(signal.reason) })
          : `liftwing serve: ${String(signal.reason)}, finishing requests in flight`,
      );
      await server.close();
    });
  } finally {
    await closeModels();
  }
  return 0;
}
