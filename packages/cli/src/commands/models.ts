import { parseOptions, UsageError } from '../args.js';
import { checkModels } from '../check.js';
import { type Context, write } from '../context.js';
import type { ModelInfo } from '../models.js';
import { renderTable, styleFor } from '../output.js';

/** What `liftwing models --json` says of a model. */
function describe(model: ModelInfo) {
  const { definition } = model;
  return {
    name: model.name,
    alias: model.alias,
    package: model.package,
    installed: definition !== undefined,
    ...(model.definitionError === undefined ? {} : { problem: model.definitionError.message }),
    description: definition?.description,
    modes: definition?.modes ?? model.modes,
    pinnedVersion: definition?.pin?.version,
    productionVersion: model.productionVersion,
    cached: model.cached,
  };
}

/** `liftwing models [--check]`. */
export async function modelsCommand(context: Context, args: string[]): Promise<number> {
  const { positionals, values } = parseOptions('models', args, { check: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError('liftwing models takes no arguments.');
  if (values.check === true) return checkModels(context.io, context.json);
  const models = (await context.deps.listModels()).map(describe);
  if (context.json) {
    write(context.io.stdout, JSON.stringify(models, null, 2));
    return 0;
  }
  const style = styleFor(context.io.stdout, context.io.env);
  const known = (value: string | undefined) => value ?? style.dim('?');
  const rows = models.map((model) => [
    style.bold(model.name),
    model.alias ?? '',
    model.installed
      ? model.package
      : `${model.package} ${style.yellow(model.problem === undefined ? '(not installed)' : '(cannot be read: see --json)')}`,
    model.modes?.join(', ') ?? style.dim('?'),
    known(model.productionVersion),
    // Online-only models have nothing to cache.
    model.modes !== undefined && !model.modes.includes('offline')
      ? style.dim('-')
      : model.cached === undefined
        ? style.dim('?')
        : model.cached
          ? style.green('yes')
          : 'no',
  ]);
  context.io.stdout.write(
    renderTable(['MODEL', 'ALIAS', 'PACKAGE', 'MODES', 'PRODUCTION', 'CACHED'], rows),
  );
  return 0;
}
