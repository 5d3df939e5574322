/**
 * How much a web tool ships for liftwing: core's online client, alone and with one model
 * package's online mode, bundled by esbuild for the browser (the `browser` condition) and
 * minified, in bytes and gzip-compressed bytes (level 9). The reference beside each is the same
 * import bundled from the Node.js entry for Node.js (undici and all), what a bundler that ignored
 * the browser condition would have to carry.
 *
 *   pnpm bench:browser        (after pnpm build)
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundleForBrowser, ROOT } from './browser-bundle.js';

/** What an app imports, by a name for the table. */
const CASES: ReadonlyArray<[string, string]> = [
  ['core: LiftWingClient', "export { LiftWingClient } from '@liftwing/core';"],
  ['core + outlink', "export { createModel } from '@liftwing/outlink';"],
  ['core + revertrisk', "export { createModel } from '@liftwing/revertrisk';"],
  ['core + langid', "export { createModel } from '@liftwing/langid';"],
  ['core + articlequality', "export { createModel } from '@liftwing/articlequality';"],
];

const gzipped = (code: string) => gzipSync(code, { level: 9 }).byteLength;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The same import from the Node.js entries, bundled for Node.js: the reference. */
async function nodeBundle(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: `${ROOT}/packages/cli`, sourcefile: 'entry.js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    logLevel: 'silent',
    // A native addon is no JavaScript to count (onnxruntime-node, an optional peer).
    external: ['onnxruntime-node'],
  });
  return result.outputFiles[0]?.text ?? '';
}

const rows: string[][] = [];
for (const [name, source] of CASES) {
  const browser = await bundleForBrowser(source, { minify: true });
  if (browser.nodeBuiltins.length > 0 || browser.nodeGlobals.length > 0) {
    throw new Error(
      `${name}: the browser bundle needs Node.js: ${browser.nodeBuiltins.join(', ')}`,
    );
  }
  const node = await nodeBundle(source);
  rows.push([
    name,
    kb(browser.code.length),
    kb(gzipped(browser.code)),
    kb(node.length),
    kb(gzipped(node)),
  ]);
}

const header = ['bundle', 'browser min', 'browser min+gzip', 'Node.js entry min', 'min+gzip'];
const widths = header.map((title, i) =>
  Math.max(title.length, ...rows.map((row) => row[i]!.length)),
);
const line = (cells: string[]) =>
  cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
    .join('  ');
console.log(
  'browser bundles (esbuild, minified; reference: the Node.js entry bundled for Node.js)',
);
console.log(line(header));
for (const row of rows) console.log(line(row));
