import { basename } from 'node:path';
import { parseOptions, UsageError } from '../args.js';
import { type Context, write } from '../context.js';
import { findModel, parseModelRef } from '../models.js';
import { formatBytes, renderTable, styleFor } from '../output.js';
import { didYouMean, either } from '../suggest.js';

/** The cache commands and the arguments each takes after its name. */
const ACTIONS: Readonly<Record<string, readonly string[]>> = {
  ls: [],
  verify: [],
  prune: [],
  path: [],
  add: ['<model>@<version>', '<file-or-directory>'],
  rm: ['<model>@<version>'],
};
const ACTION_NAMES = Object.keys(ACTIONS);
const HELP_HINT = 'Run `liftwing cache --help` for what each does.';

/** The action named in `positionals`, with its arguments, or a usage error saying what is wrong. */
function actionOf(positionals: readonly string[]): { action: string; extra: string[] } {
  const [action, ...extra] = positionals;
  const list = either(ACTION_NAMES);
  if (action === undefined) throw new UsageError(`Name a cache command: ${list}. ${HELP_HINT}`);
  const expected = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (expected === undefined) {
    const suggestion = didYouMean(action, ACTION_NAMES);
    throw new UsageError(
      `Unknown cache command ${action}${suggestion === '' ? `; use ${list}.` : `.${suggestion}`} ${HELP_HINT}`,
    );
  }
  if (extra.length !== expected.length) {
    const usage = ['liftwing cache', action, ...expected].join(' ');
    throw new UsageError(
      `${usage}: ` +
        (expected.length === 0
          ? `takes no arguments (got ${extra.join(' ')}).`
          : `takes ${expected.length === 1 ? 'one argument' : `${expected.length} arguments`}, not ${extra.length}.`) +
        ` ${HELP_HINT}`,
    );
  }
  return { action, extra };
}

/** `liftwing cache <ls|verify|prune|path|add|rm>`. */
export async function cacheCommand(context: Context, args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('cache', args, { 'dry-run': { type: 'boolean' } });
  const { action, extra } = actionOf(positionals);
  if (values['dry-run'] !== undefined && action !== 'prune') {
    throw new UsageError('--dry-run applies to liftwing cache prune only.');
  }
  const cache = context.deps.cache;
  const { stdout } = context.io;
  const style = styleFor(stdout, context.io.env);
  const out = (data: unknown, text: string) =>
    write(stdout, context.json ? JSON.stringify(data, null, 2) : text);

  switch (action) {
    case 'add': {
      const { model, version } = parseModelRef(extra[0]!);
      if (version === undefined) {
        throw new UsageError(
          'Name the version to record: liftwing cache add <model>@<version> <file-or-directory>, ' +
            `e.g. liftwing cache add ${model}@local-1 ${extra[1]}`,
        );
      }
      const info = findModel(await context.deps.listModels(), model);
      const from = extra[1]!;
      const entry = await cache.add({ model: info.name, version, from });
      const ref = `${info.alias ?? info.name}@${entry.version}`;
      // A single file is recorded under the name the model loads it by, which may not be its own.
      const [only, ...more] = entry.files;
      let recorded = '';
      if (only !== undefined && more.length === 0) {
        recorded = `, recorded as ${only}`;
        if (only !== basename(from)) {
          recorded += ` (the name ${info.alias ?? info.name} loads it by; the file was ${basename(from)})`;
        }
      }
      out(
        entry,
        `Added ${entry.model}@${entry.version} (${formatBytes(entry.bytes)}) at ${entry.path}${recorded}.\n` +
          `Use it: liftwing predict ${ref} --offline ...`,
      );
      return 0;
    }
    case 'rm': {
      const { model, version } = parseModelRef(extra[0]!);
      if (version === undefined) {
        throw new UsageError(
          `Name the version to remove: liftwing cache rm ${model}@<version>, with a version that liftwing cache ls lists.`,
        );
      }
      const info = findModel(await context.deps.listModels(), model);
      const { freedBytes } = await cache.remove(info.name, version);
      out(
        { model: info.name, version, freedBytes },
        `Removed ${info.name}@${version} (${formatBytes(freedBytes)} freed); the next pull downloads and checks it afresh.`,
      );
      return 0;
    }
    case 'path':
      out({ path: cache.path() }, cache.path());
      return 0;
    case 'ls': {
      const entries = await cache.list();
      const total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
      out(
        entries,
        entries.length === 0
          ? `The cache (${cache.path()}) is empty.`
          : renderTable(
              ['MODEL', 'VERSION', 'SIZE', 'PATH'],
              entries.map((entry) => [
                entry.model,
                entry.version,
                formatBytes(entry.bytes),
                entry.path,
              ]),
            ) + `${entries.length} version(s), ${formatBytes(total)}`,
      );
      return 0;
    }
    case 'verify': {
      const checks = await cache.verify();
      const bad = checks.filter((check) => !check.ok);
      out(
        checks,
        checks.length === 0
          ? 'Nothing cached to verify.'
          : renderTable(
              ['MODEL', 'VERSION', 'FILE', 'STATUS'],
              checks.map((check) => [
                check.model,
                check.version,
                check.file,
                check.ok ? style.green('ok') : style.red(check.problem ?? 'failed'),
              ]),
            ) +
              (bad.length === 0
                ? 'All files verified.'
                : `${bad.length} file(s) failed; liftwing pull <model> downloads them again.`),
      );
      return bad.length === 0 ? 0 : 1;
    }
    default: {
      const dryRun = values['dry-run'] === true;
      const result = await cache.prune({ dryRun });
      const list = result.removed.map(
        (entry) => `  ${entry.model}@${entry.version}  ${formatBytes(entry.bytes)}`,
      );
      out(
        { ...result, dryRun },
        result.removed.length === 0
          ? 'Nothing to prune.'
          : `${dryRun ? 'Would remove' : 'Removed'} ${result.removed.length} version(s), ` +
              `${formatBytes(result.freedBytes)}:\n${list.join('\n')}`,
      );
      return 0;
    }
  }
}
