/**
 * Type-checks the TypeScript examples of every package README under `tsc --strict`, as a user
 * who copies them would compile them: each ```ts block is a module of its own, written into the
 * package's folder (so that it imports the package and its dependencies as an app would), and
 * a block whose first line is `// continues the example above` is appended to the one before.
 * Errors are reported at their README line. Run by `pnpm test` after the build.
 *
 * Usage: tsx tools/check-readme-examples.ts [package-dir ...]   (default: every packages/* dir)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const CHECK_DIR = '.readme-check';
const CONTINUES = '// continues the example above';

/** One module to check: its code, and the README line each of its lines came from. */
interface Example {
  code: string[];
  lines: number[];
  /**
   * The block was marked ```` ```ts runnable ````: it needs no network, so the install check
   * (tools/install-check.ts) runs it. Examples continued from it are run with it.
   */
  runnable: boolean;
}

/** The examples of a README: its ```ts blocks, continued ones joined to the one before. */
export function examplesOf(markdown: string): Example[] {
  const examples: Example[] = [];
  let current: Example | undefined;
  markdown.split('\n').forEach((text, index) => {
    if (current === undefined) {
      const fence = /^```ts(\s+runnable)?\s*$/.exec(text);
      if (fence !== null) current = { code: [], lines: [], runnable: fence[1] !== undefined };
      return;
    }
    if (/^```\s*$/.test(text)) {
      const previous = examples.at(-1);
      if (current.code[0]?.trim() === CONTINUES && previous !== undefined) {
        previous.code.push(...current.code);
        previous.lines.push(...current.lines);
      } else examples.push(current);
      current = undefined;
      return;
    }
    current.code.push(text);
    current.lines.push(index + 1);
  });
  return examples;
}

const run = promisify(execFile);

/** Checks one package's README; resolves with the errors, at README lines. */
async function checkPackage(dir: string): Promise<string[]> {
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) return [];
  const examples = examplesOf(await readFile(readme, 'utf8'));
  if (examples.length === 0) return [];
  const out = join(dir, CHECK_DIR);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const files = examples.map((_, i) => `example-${i + 1}.ts`);
  await Promise.all(
    examples.map((example, i) =>
      // `export {}` makes every example a module, so that top-level await is allowed.
      writeFile(join(out, files[i]!), `${example.code.join('\n')}\nexport {};\n`),
    ),
  );
  await writeFile(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      extends: relative(out, join(ROOT, 'tsconfig.base.json')),
      compilerOptions: { noEmit: true, declaration: false, declarationMap: false },
      files,
    }),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', join(out, 'tsconfig.json'), '--pretty', 'false']);
    return [];
  } catch (error) {
    const output = String((error as { stdout?: string }).stdout ?? error);
    return output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const match = /^(?:.*[\\/])?example-(\d+)\.ts\((\d+),(\d+)\): (.*)$/.exec(line);
        if (match === null) return line;
        const example = examples[Number(match[1]) - 1]!;
        const at = example.lines[Number(match[2]) - 1] ?? example.lines.at(-1);
        return `${relative(ROOT, readme)}:${at}:${match[3]}: ${match[4]}`;
      });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Checks `dirs` (default: every package), prints the errors, and sets the exit code. */
async function main(given: readonly string[]): Promise<void> {
  const dirs =
    given.length > 0
      ? given.map((dir) => resolve(dir))
      : (await readdir(join(ROOT, 'packages'))).map((name) => join(ROOT, 'packages', name));
  let failed = 0;
  for (const dir of dirs) {
    const errors = await checkPackage(dir);
    failed += errors.length;
    for (const error of errors) console.error(error);
  }
  if (failed > 0) {
    console.error(`README examples: ${failed} type error(s).`);
    process.exitCode = 1;
  } else
    console.log(
      `README examples: every TypeScript example of ${dirs.length} packages type-checks.`,
    );
}

// Run as a script, not when a test imports examplesOf.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
