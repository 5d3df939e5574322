import { parseOptions, UsageError } from '../args.js';
import { type Context, downloadProgress, withSignals, write } from '../context.js';
import { findModel, parseModelRef } from '../models.js';
import { formatBytes } from '../output.js';

/** `liftwing pull <model>[@<version>]`. */
export async function pullCommand(context: Context, args: string[]): Promise<number> {
  const { positionals } = parseOptions('pull', args, {});
  if (positionals.length !== 1) throw new UsageError('Usage: liftwing pull <model>[@<version>]');
  const ref = parseModelRef(positionals[0]!);
  const info = findModel(await context.deps.listModels(), ref.model);
  // Said before the download: the user may rather not fetch an artifact that needs a step of
  // theirs (a conversion) before it runs offline. In --json mode it is a field of the answer.
  const offlineNote = info.definition?.offlineNote;
  if (offlineNote !== undefined && !context.json) {
    write(context.io.stderr, `Note: ${offlineNote}`);
  }
  const progress = downloadProgress(context, `${info.name}${ref.version ? `@${ref.version}` : ''}`);
  const result = await withSignals(context.io, (signal) =>
    context.deps.pull(info, ref.version, { onProgress: (event) => progress.update(event), signal }),
  );
  const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
  progress.done(
    `${result.model}@${result.version}: ${result.files.length} file(s), ${formatBytes(bytes)}, ` +
      (result.downloadedBytes > 0
        ? `${formatBytes(result.downloadedBytes)} downloaded`
        : 'already cached') +
      ', verified',
  );
  if (context.json) {
    const answer = offlineNote === undefined ? result : { ...result, offlineNote };
    write(context.io.stdout, JSON.stringify(answer, null, 2));
  }
  return 0;
}
