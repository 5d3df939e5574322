/**
 * Every package's browser entry bundles for the browser platform with a real bundler (esbuild,
 * the `browser` export condition) and needs nothing of Node.js: no built-in module, no Node
 * global, no undici. Runs on the built packages (`pnpm build`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, ROOT } from '../browser-bundle.js';

/** Packages that are Node.js by design, and why: they have no browser entry. */
const NODE_ONLY: Readonly<Record<string, string>> = {
  liftwing: 'the command line and its server',
  '@liftwing/stream':
    'Kafka (kafkajs), files and stdin, and EventStreams through undici with the proxy and backpressure; a page has its own EventSource',
};

/** Subpaths of core that a browser bundle may import besides its root. */
const CORE_SUBPATHS = [
  '@liftwing/core/model-kit',
  '@liftwing/core/errors',
  '@liftwing/core/formats',
];

/** Every published package by name, with its folder (where it resolves its own name). */
async function publishedPackages(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const dir of (await readdir(join(ROOT, 'packages'))).sort()) {
    const manifest = JSON.parse(
      await readFile(join(ROOT, 'packages', dir, 'package.json'), 'utf8'),
    ) as { name: string; private?: boolean };
    if (manifest.private !== true) found.set(manifest.name, join(ROOT, 'packages', dir));
  }
  return found;
}

const folders = await publishedPackages();
const packages = [...folders.keys()].filter((name) => !(name in NODE_ONLY)).sort();

describe('browser bundles', () => {
  it('cover every published package that is not Node.js by design', () => {
    expect(packages).toContain('@liftwing/core');
    expect(packages.length).toBeGreaterThan(5);
  });

  it.each([...packages, ...CORE_SUBPATHS])(
    '%s bundles for the browser with no Node built-in, global or undici',
    async (name) => {
      // From the package's own folder: it finds itself by name, and its dependencies.
      const resolveFrom = folders.get(name) ?? folders.get('@liftwing/core');
      const bundle = await bundleForBrowser(`export * from '${name}';`, { resolveFrom });
      expect(bundle.nodeBuiltins).toEqual([]);
      expect(bundle.nodeGlobals).toEqual([]);
      expect(bundle.inputs.filter((input) => input.includes('/undici/'))).toEqual([]);
    },
  );

  it('fails a module that imports a Node built-in, naming it and its importer', async () => {
    const bundle = await bundleForBrowser(
      "import { homedir } from 'node:os'; export const home = homedir(); export const b = Buffer.from('x');",
    );
    expect(bundle.nodeBuiltins).toEqual(['node:os (imported by packages/cli/entry.js)']);
    expect(bundle.nodeGlobals).toEqual(['Buffer']);
  });

  it("finds a Node built-in in a package's Node entry (the check sees through packages)", async () => {
    // The Node.js entry, by its path: the browser condition would give the browser entry.
    const bundle = await bundleForBrowser(
      "export { ArtifactCache } from './node_modules/@liftwing/core/dist/index.js';",
    );
    expect(bundle.nodeBuiltins).toContain(
      'node:fs/promises (imported by packages/core/dist/cache-fetch.js)',
    );
  });
});
