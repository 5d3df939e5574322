/**
 * Bundles a package's browser entry the way a web tool's bundler does (esbuild, platform
 * `browser`, the `browser` export condition) and reports what of Node.js the bundle still needs:
 * imports of Node built-ins (each with the module that imports it) and Node's globals used
 * without an import (`Buffer`, `process`, ...). The browser-bundle test fails on either; the size
 * benchmark measures the bundle.
 */
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

/** The repository's root. */
export const ROOT = join(import.meta.dirname, '..');

/**
 * Where bare package names are resolved from: the CLI's package, whose devDependencies are every
 * model package of the workspace (and core).
 */
const RESOLVE_FROM = join(ROOT, 'packages', 'cli');

/** Node's globals a browser lacks; a bundle's use of one is found through esbuild's `define`. */
const NODE_GLOBALS = ['Buffer', 'process', 'global', '__dirname', '__filename', 'setImmediate'];
const MARK = '__liftwing_node_global_';

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** A bundle, and what of Node.js it needs. */
export interface BrowserBundle {
  /** The bundle's code (minified when asked). */
  code: string;
  /** The files bundled, relative to the repository. */
  inputs: string[];
  /** `"<built-in> (imported by <file>)"` for each import of a Node built-in. */
  nodeBuiltins: string[];
  /** Node globals the bundle uses, e.g. `Buffer`. */
  nodeGlobals: string[];
}

/**
 * Bundles `source` (a module's text, resolved from `options.resolveFrom`, by default the CLI
 * package, so that every model package is found by name; a package's own folder finds it by
 * its own name) for the browser. Node built-ins are recorded and left out rather
 * than failing the build, so that one run lists them all.
 */
export async function bundleForBrowser(
  source: string,
  options: { minify?: boolean; resolveFrom?: string } = {},
): Promise<BrowserBundle> {
  const nodeBuiltins: string[] = [];
  const recordBuiltins: Plugin = {
    name: 'node-builtins',
    setup(plugin) {
      plugin.onResolve({ filter: /.*/ }, (args) => {
        // `node:` names too that this Node.js does not list (`node:sqlite` is newer than 20).
        if (!BUILTINS.has(args.path) && !args.path.startsWith('node:')) return undefined;
        const importer = args.importer.startsWith(ROOT)
          ? args.importer.slice(ROOT.length + 1)
          : args.importer;
        nodeBuiltins.push(`${args.path} (imported by ${importer})`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    stdin: {
      contents: source,
      resolveDir: options.resolveFrom ?? RESOLVE_FROM,
      sourcefile: 'entry.js',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['browser'],
    target: 'es2022',
    minify: options.minify ?? false,
    metafile: true,
    logLevel: 'silent',
    plugins: [recordBuiltins],
    define: Object.fromEntries(NODE_GLOBALS.map((name) => [name, `${MARK}${name}`])),
  });
  const code = result.outputFiles[0]?.text ?? '';
  const nodeGlobals = NODE_GLOBALS.filter((name) => code.includes(`${MARK}${name}`));
  return {
    code,
    inputs: Object.keys(result.metafile.inputs),
    nodeBuiltins: [...new Set(nodeBuiltins)].sort(),
    nodeGlobals,
  };
}
