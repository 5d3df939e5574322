/**
 * Core and the CLI never name a model: everything model-specific lives in the model's package and
 * reaches them through its definition (docs/adding-a-model.md). This holds the line: no model
 * name or alias of the built-in catalogue appears in their code (comments and doc examples aside).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBuiltInCatalogue } from '@liftwing/core';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** `source` without its comments (a string holding `//` is rare enough in this code base). */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** The code of core and the CLI: their TypeScript, and the playground's static page. */
const CODE = /\.(ts|js|html|css)$/;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && CODE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('core and the CLI', () => {
  it('name no model in their code', async () => {
    const names = loadBuiltInCatalogue().models.flatMap((model) => [model.name, model.alias]);
    const pattern = new RegExp(`(?<![\\w-])(${names.join('|')})(?![\\w-])`);
    const found: string[] = [];
    for (const dir of ['packages/core/src', 'packages/cli/src', 'packages/cli/playground']) {
      for (const file of await sources(join(ROOT, dir))) {
        code(await readFile(file, 'utf8'))
          .split('\n')
          .forEach((line, i) => {
            const match = pattern.exec(line);
            if (match) found.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${match[1]}`);
          });
      }
    }
    expect(found).toEqual([]);
  });
});
