/**
 * The `liftwing` command line: the runner that dispatches to one module per command
 * (`commands/`), reports errors in the user's terms and maps them to exit codes.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { isLiftWingError, UnknownVersionError } from '@liftwing/core';
import { UsageError, unknownOption } from './args.js';
import { cacheCommand } from './commands/cache.js';
import { compareCommand } from './commands/compare.js';
import { driftCommand } from './commands/drift.js';
import { evaluateCommand } from './commands/evaluate.js';
import { modelsCommand } from './commands/models.js';
import { modelArgument, predictCommand } from './commands/predict.js';
import { pullCommand } from './commands/pull.js';
import { serveCommand } from './commands/serve.js';
import { streamCommand } from './commands/stream.js';
import { watchCommand } from './commands/watch.js';
import { type Command, type Context, write } from './context.js';
import { coreDeps } from './core-deps.js';
import type { CliDeps, CliIo } from './deps.js';
import { HELP } from './help.js';
import { unknownVersionMessage } from './models.js';
import { printable, styleFor, survivingStreamErrors } from './output.js';
import { closest, didYouMean } from './suggest.js';

const require = createRequire(import.meta.url);

/** The version of the `liftwing` package that is running. */
export const CLI_VERSION: string = (require('../package.json') as { version: string }).version;

const COMMANDS: Record<string, Command> = {
  models: modelsCommand,
  pull: pullCommand,
  predict: predictCommand,
  evaluate: evaluateCommand,
  compare: compareCommand,
  drift: driftCommand,
  serve: serveCommand,
  cache: cacheCommand,
  stream: streamCommand,
  watch: watchCommand,
};

/** The options liftwing takes before a command. */
const TOP_LEVEL_OPTIONS = ['help', 'version', 'json'];

function unknownCommand(command: string): UsageError {
  const commands = [...Object.keys(COMMANDS), 'help'];
  const suggestion = didYouMean(command, commands);
  return new UsageError(
    `Unknown command ${command}.` +
      (suggestion === '' ? ` Commands: ${Object.keys(COMMANDS).join(', ')}.` : suggestion) +
      ' Run `liftwing --help` for usage.',
  );
}

/** Whether `--help` is for the command's own help, not one the command gives (a model's). */
const wantsCommandHelp = (command: string, args: readonly string[]) =>
  (args.includes('--help') || args.includes('-h')) &&
  !(command === 'predict' && modelArgument(args) !== undefined);

const USAGE_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_input',
  'unknown_model',
  'unknown_version',
]);

function report(context: Context, error: unknown): number {
  const { stderr } = context.io;
  // A request the model rejects as Lift Wing would (both page_title and page_id, ...) or a model
  // or version that does not exist is bad usage too; a revision Lift Wing cannot score
  // (revision_error) or a network failure is a failure of the run.
  const usage =
    error instanceof UsageError || (isLiftWingError(error) && USAGE_ERROR_CODES.has(error.code));
  const code =
    error instanceof UsageError ? 'usage' : isLiftWingError(error) ? error.code : 'internal';
  // Core says it for any caller (`registry.discover`); the CLI says it with its own commands.
  const unknownVersion = UnknownVersionError.isInstance(error) ? error : undefined;
  const message =
    unknownVersion !== undefined
      ? unknownVersionMessage(unknownVersion)
      : error instanceof Error
        ? error.message
        : String(error);
  if (context.json) {
    const data =
      unknownVersion === undefined
        ? {}
        : {
            model: unknownVersion.model,
            requested: unknownVersion.requested,
            versions: unknownVersion.versions,
          };
    write(stderr, JSON.stringify({ error: { code, message, ...data } }));
  } else {
    const style = styleFor(stderr, context.io.env);
    write(stderr, `${style.red('liftwing:')} ${printable(message)}`);
    if (code === 'internal' && error instanceof Error && error.stack)
      write(stderr, style.dim(printable(error.stack)));
  }
  return usage ? 2 : 1;
}

/**
 * Runs the `liftwing` command line with `argv` (without `node` and the script) and resolves with
 * the exit code: 0 success, 1 failure, 2 bad usage. Never rejects.
 */
export async function run(
  argv: readonly string[],
  io: CliIo,
  deps: CliDeps = coreDeps(io.env),
): Promise<number> {
  // `--json` may also come before the command.
  const leadingJson = argv[0] === '--json';
  const [command, ...args] = leadingJson ? argv.slice(1) : argv;
  if (leadingJson && command !== undefined && !command.startsWith('-')) args.push('--json');
  const context: Context = { io, deps, json: leadingJson || args.includes('--json') };
  // A closed stdout or stderr (EPIPE) must not kill a server or lose a batch's results.
  const stopSurviving = survivingStreamErrors([io.stdout, io.stderr]);
  try {
    if (command === undefined) {
      io.stderr.write(HELP['']!);
      return 2;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' && args[0] !== undefined ? args[0] : '';
      if (HELP[topic] === undefined) throw unknownCommand(topic);
      io.stdout.write(HELP[topic]!);
      return 0;
    }
    if (command === '--version' || command === '-V') {
      write(io.stdout, context.json ? JSON.stringify({ version: CLI_VERSION }) : CLI_VERSION);
      return 0;
    }
    // Before any command, a word with a dash is a mistyped option of liftwing itself.
    if (command.startsWith('-')) {
      const name = command.replace(/^--?/, '').split('=')[0]!;
      const suggestions = command.startsWith('--')
        ? closest(name, TOP_LEVEL_OPTIONS).map((option) => `--${option}`)
        : [];
      throw new UsageError(unknownOption('liftwing')(command, suggestions));
    }
    const handler = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (handler === undefined) throw unknownCommand(command);
    if (wantsCommandHelp(command, args)) {
      io.stdout.write(HELP[command]!);
      return 0;
    }
    return await handler(context, args);
  } catch (error) {
    return report(context, error);
  } finally {
    stopSurviving();
  }
}
