/**
 * Regenerates packages/core/src/wikis.json, the table of Wikipedias (language code, wiki id, host,
 * flags), from Wikimedia's site matrix.
 *
 *   pnpm exec tsx tools/sync-wikis.ts [--url URL|FILE] [--out FILE] [--source TEXT]
 *
 * --url     the sitematrix API output: an https URL (http on localhost) or a local file (default:
 *           meta's API, action=sitematrix&format=json&formatversion=2&smtype=language), fetched
 *           with core's fetchText: set LIFTWING_USER_AGENT to name yourself to Wikimedia.
 *           Both formatversion=1 (flags as "") and formatversion=2 (flags as true) are read.
 * --out     where to write (default packages/core/src/wikis.json).
 * --source  provenance recorded in the file (default: the URL).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fetchText } from '@liftwing/core';

const DEFAULT_URL =
  'https://meta.wikimedia.org/w/api.php?action=sitematrix&format=json&formatversion=2&smtype=language';
const DEFAULT_OUT = new URL('../packages/core/src/wikis.json', import.meta.url);
const FLAGS = ['closed', 'private', 'fishbowl', 'nonglobal'] as const;

interface SitematrixSite {
  url?: string;
  dbname?: string;
  code?: string;
  [flag: string]: unknown;
}
interface SitematrixLanguage {
  code?: string;
  site?: SitematrixSite[];
}

export interface WikiRow {
  code: string;
  dbname: string;
  host: string;
  closed?: true;
  private?: true;
  fishbowl?: true;
  nonglobal?: true;
}

/** The Wikipedias (`site.code === 'wiki'`) of a sitematrix response, sorted by language code. */
export function wikipediasOf(response: unknown): WikiRow[] {
  // The API wraps the matrix in "sitematrix"; saved copies often hold the inner object alone.
  const matrix =
    (response as { sitematrix?: Record<string, unknown> })?.sitematrix ??
    (response as Record<string, unknown>);
  if (!matrix || typeof matrix !== 'object') throw new Error('Not a sitematrix response.');
  const rows: WikiRow[] = [];
  for (const entry of Object.values(matrix)) {
    const language = entry as SitematrixLanguage;
    if (!language || typeof language !== 'object' || !Array.isArray(language.site)) continue;
    for (const site of language.site) {
      if (site.code !== 'wiki' || !site.url || !site.dbname || !language.code) continue;
      const row: WikiRow = {
        code: language.code,
        dbname: site.dbname,
        host: new URL(site.url).host,
      };
      // formatversion=1 marks a flag with "", formatversion=2 with true.
      for (const flag of FLAGS)
        if (site[flag] !== undefined && site[flag] !== false) row[flag] = true;
      rows.push(row);
    }
  }
  if (rows.length === 0) throw new Error('The sitematrix response lists no Wikipedia.');
  return rows.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** The data file's text: one wiki per line (as Biome formats it), so updates give readable diffs. */
export function render(rows: readonly WikiRow[], source: string): string {
  const lines = rows.map((row) => {
    const fields = Object.entries(row).map(
      ([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`,
    );
    return `    { ${fields.join(', ')} }`;
  });
  return `{\n  "source": ${JSON.stringify(source)},\n  "wikis": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

async function load(location: string): Promise<unknown> {
  const text = /^https?:\/\//.test(location)
    ? await fetchText(location, 'The sitematrix')
    : await readFile(location.replace(/^file:\/\//, ''), 'utf8');
  return JSON.parse(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, out: { type: 'string' }, source: { type: 'string' } },
  });
  const url = values.url ?? DEFAULT_URL;
  const rows = wikipediasOf(await load(url));
  const out = values.out ?? DEFAULT_OUT;
  await writeFile(out, render(rows, values.source ?? url));
  const open = rows.filter((row) => !row.closed && !row.private && !row.fishbowl).length;
  console.log(`${rows.length} Wikipedias (${open} open and public) written to ${String(out)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
