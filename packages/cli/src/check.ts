import { checkForUpdates, type UpdateReport } from '@liftwing/core';
import type { CliIo } from './deps.js';
import { renderTable, styleFor } from './output.js';

/**
 * `liftwing models --check`: compares the production versions of the catalogue published on main
 * (`LIFTWING_CATALOGUE_URL`) with the installed catalogue and the cache. Exit code 0 either way;
 * scripts read `updatesAvailable` from `--json`.
 */
export async function checkModels(io: CliIo, json: boolean): Promise<number> {
  const report: UpdateReport = await checkForUpdates({ env: io.env });
  if (json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const style = styleFor(io.stdout, io.env);
  const none = style.dim('-');
  const rows = report.models.map((model) => [
    style.bold(model.model),
    model.installed ?? none,
    model.cached.join(', ') || none,
    model.latest ?? none,
    model.updateAvailable ? style.yellow('newer in production') : style.green('current'),
  ]);
  io.stdout.write(renderTable(['MODEL', 'INSTALLED', 'CACHED', 'PRODUCTION', 'STATUS'], rows));
  for (const model of report.models.filter((m) => m.updateAvailable)) {
    io.stdout.write(
      `${model.alias}: Lift Wing runs ${model.latest} in production; update with ` +
        `npm install ${model.package}@latest\n`,
    );
  }
  return 0;
}
