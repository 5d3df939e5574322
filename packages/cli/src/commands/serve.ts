import { ConfigError, type LiftWingModel } from '@liftwing/core';
import { parseOptions, UsageError } from '../args.js';
import {
  type Context,
  modeOf,
  openModel,
  positiveInteger,
  withSignals,
  workersOption,
  write,
} from '../context.js';
import { findModel, type ModelInfo, parseModelRef } from '../models.js';
import { createLiftWingServer, DEFAULT_MAX_BODY_BYTES } from '../server.js';

/** The models `--models` names, or every installed one. */
function chooseModels(
  known: readonly ModelInfo[],
  requested: readonly string[],
): { info: ModelInfo; version: string | undefined }[] {
  if (requested.length > 0) {
    return requested.map((ref) => {
      const { model, version } = parseModelRef(ref);
      return { info: findModel(known, model), version };
    });
  }
  const installed = known.filter((info) => info.definition !== undefined);
  if (installed.length === 0) {
    const packages = known.map((info) => info.package).join(', ');
    throw new ConfigError(
      `No model package is installed. Install one of ${packages}, e.g. npm install ${known[0]?.package ?? '<package>'}`,
    );
  }
  return installed.map((info) => ({ info, version: undefined }));
}

/** `liftwing serve`: a local server speaking Lift Wing's protocol. */
export async function serveCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('serve', args, {
    host: { type: 'string' },
    port: { type: 'string' },
    offline: { type: 'boolean' },
    online: { type: 'boolean' },
    models: { type: 'string', multiple: true },
    'max-body': { type: 'string' },
    'request-timeout': { type: 'string' },
    quiet: { type: 'boolean' },
    workers: { type: 'string' },
  });
  if (positionals.length > 0) {
    throw new UsageError('liftwing serve takes no arguments; name models with --models.');
  }
  const mode = modeOf(values, context.io.env);
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
  const chosen = chooseModels(await context.deps.listModels(), requested);
  // By default a request may take as long as the slowest model served says it may, and 30 s at
  // least; --request-timeout decides alone.
  const slowest = Math.max(...chosen.map(({ info }) => info.definition?.timeoutMs ?? 0));
  const timeoutSeconds = given > 0 ? given : Math.max(30, Math.ceil(slowest / 1000));

  const models: LiftWingModel<unknown, unknown>[] = [];
  const closeModels = () => Promise.all(models.map((model) => model.close()));
  try {
    for (const { info, version } of chosen) {
      models.push(await openModel(context, info, mode, version, { workers }));
    }
    const server = createLiftWingServer({
      models,
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
            })
          : `liftwing serve: listening on ${url} (${mode}: ${names.join(', ')})`,
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
