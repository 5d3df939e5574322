/**
 * What a new user gets from npm, checked from packed tarballs: every public package is packed
 * (`pnpm pack`, which turns `workspace:` ranges into versions), installed with plain npm into a
 * fresh app (install scripts on, the npm registry the only network), and then
 *
 * - the size each model package adds (it and its runtime dependencies, alone in an app) is
 *   printed, and must stay under {@link MAX_PACKAGE_MB};
 * - every TypeScript example of every package README type-checks against the installed packages,
 *   as an app compiles them (`strict`, `nodenext`, `@types/node`, the packages' own `.d.ts`
 *   checked too);
 * - the examples marked ```` ```ts runnable ```` (those that need no network) run, with
 *   `LIFTWING_OFFLINE=1` so that nothing could reach the network unnoticed, in a folder holding
 *   the fixture files they name (the outlink fastText fixture as `model.bin`, ...);
 * - the `liftwing` command answers `--version`, `models` and an offline prediction with a fixture
 *   model added by `liftwing cache add`.
 *
 * Run by `.ci/run` after `pnpm test`, and by `pnpm check:install` (after `pnpm build`). Uses the
 * npm registry for the packages' third-party dependencies and for typescript, tsx and @types/node
 * (the versions this repository uses).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { examplesOf } from './check-readme-examples.js';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
/** Installed size a model package may add, with its runtime dependencies (issue: 15 MB). */
const MAX_PACKAGE_MB = 15;

/** A small fastText model the project trains (tools/fasttext-fixtures.sh). */
const FASTTEXT_FIXTURE = 'packages/fasttext/test/fixtures/ova.bin';

/** Files a runnable example may read, by package: copied into the folder it runs in. */
const FIXTURES: Record<string, Record<string, string>> = {
  '@liftwing/fasttext': { 'model.bin': FASTTEXT_FIXTURE },
  // A small model with OpenLID labels, in place of the 1.2 GB lid201-model.bin.
  '@liftwing/langid': {
    'lid201-model.bin': 'packages/fasttext/test/fixtures/subwords/softmax-2-5.bin',
  },
};

interface Package {
  name: string;
  dir: string;
  tarball: string;
  dependencies: Record<string, string>;
}

/** An environment with nothing of this repository's tooling in it (pnpm sets npm_config_*). */
function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    TMPDIR: tmpdir(),
    NO_COLOR: '1',
    npm_config_cache: join(process.env.HOME ?? home, '.npm'),
    ...extra,
  };
}

async function sh(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd: options.cwd,
      env: options.env,
      timeout: options.timeoutMs ?? 600_000,
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${options.cwd}:\n${stdout}${stderr}`);
  }
}

async function publicPackages(): Promise<Omit<Package, 'tarball'>[]> {
  const found: Omit<Package, 'tarball'>[] = [];
  for (const name of (await readdir(join(ROOT, 'packages'))).sort()) {
    const dir = join(ROOT, 'packages', name);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      private?: boolean;
      dependencies?: Record<string, string>;
    };
    if (manifest.private) continue;
    found.push({ name: manifest.name, dir, dependencies: manifest.dependencies ?? {} });
  }
  return found;
}

/** `pkg` and every package of this repository it depends on, directly or not. */
function closure(
  pkg: Package,
  packages: readonly Package[],
  seen = new Set<Package>(),
): Set<Package> {
  seen.add(pkg);
  for (const name of Object.keys(pkg.dependencies)) {
    const dependency = packages.find((candidate) => candidate.name === name);
    if (dependency !== undefined && !seen.has(dependency)) closure(dependency, packages, seen);
  }
  return seen;
}

async function versionOf(dependency: string): Promise<string> {
  const manifest = JSON.parse(
    await readFile(join(ROOT, 'node_modules', dependency, 'package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/** A fresh app with `specs` installed by plain npm. */
async function freshApp(dir: string, specs: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'liftwing-install-check', private: true, type: 'module' }),
  );
  await sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: dir,
    env: cleanEnv(dir),
  });
}

async function sizeMb(dir: string): Promise<number> {
  const out = await sh('du', ['-sk', join(dir, 'node_modules')], { cwd: dir, env: cleanEnv(dir) });
  return Number(out.split('\t')[0]) / 1024;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'liftwing-install-'));
  const failures: string[] = [];
  try {
    const tarballs = join(work, 'tarballs');
    const packages: Package[] = [];
    for (const pkg of await publicPackages()) {
      const out = await sh('pnpm', ['pack', '--pack-destination', tarballs], {
        cwd: pkg.dir,
        env: process.env,
      });
      const tarball = out
        .trim()
        .split('\n')
        .filter((line) => line.endsWith('.tgz'))
        .at(-1);
      if (tarball === undefined) throw new Error(`pnpm pack printed no tarball for ${pkg.name}`);
      packages.push({ ...pkg, tarball: resolve(pkg.dir, tarball) });
    }
    console.log(`packed ${packages.length} packages`);
    await checkPackages(work, packages, failures);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    for (const failure of failures) console.error(`\n${failure}`);
    console.error(`\ninstall check: ${failures.length} failure(s)`);
    process.exitCode = 1;
  } else
    console.log('install check: every package installs, type-checks and runs from its tarball');
}

async function checkPackages(work: string, packages: Package[], failures: string[]): Promise<void> {
  // What each package adds: it alone, with the packages of this repository it depends on.
  for (const pkg of packages) {
    const app = join(work, 'sizes', pkg.name.replace('/', '+'));
    const specs = [...closure(pkg, packages)].map((dependency) => dependency.tarball);
    try {
      await freshApp(app, specs);
    } catch (error) {
      console.log(`${pkg.name.padEnd(34)} does not install`);
      failures.push(`npm install ${pkg.name} fails:\n${(error as Error).message}`);
      continue;
    }
    const mb = await sizeMb(app);
    const over = mb > MAX_PACKAGE_MB;
    console.log(
      `${pkg.name.padEnd(34)} installs in ${mb.toFixed(1).padStart(6)} MB${over ? `  OVER ${MAX_PACKAGE_MB} MB` : ''}`,
    );
    if (over)
      failures.push(`${pkg.name} installs in ${mb.toFixed(1)} MB, over ${MAX_PACKAGE_MB} MB`);
  }

  // Everything together, with what an app compiles and runs TypeScript with.
  const app = join(work, 'app');
  const tools = await Promise.all(
    ['typescript', 'tsx', '@types/node'].map(async (name) => `${name}@${await versionOf(name)}`),
  );
  try {
    await freshApp(app, [...packages.map((pkg) => pkg.tarball), ...tools]);
  } catch (error) {
    failures.push(`npm install of every package together fails:\n${(error as Error).message}`);
    return;
  }
  console.log(
    `all packages together, with typescript, tsx and @types/node: ${(await sizeMb(app)).toFixed(1)} MB`,
  );

  const runnable: { pkg: Package; file: string; dir: string }[] = [];
  const files: string[] = [];
  for (const pkg of packages) {
    const readme = await readFile(join(pkg.dir, 'README.md'), 'utf8').catch(() => '');
    const slug = pkg.name.replace('@liftwing/', '').replace('/', '-');
    examplesOf(readme).forEach((example, i) => {
      const file = `examples/${slug}/example-${i + 1}.ts`;
      files.push(file);
      if (example.runnable) runnable.push({ pkg, file, dir: join(app, 'run', slug) });
    });
    await mkdir(join(app, 'examples', slug), { recursive: true });
    await Promise.all(
      examplesOf(readme).map((example, i) =>
        writeFile(
          join(app, 'examples', slug, `example-${i + 1}.ts`),
          `${example.code.join('\n')}\nexport {};\n`,
        ),
      ),
    );
  }
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
        noEmit: true,
      },
      files,
    }),
  );
  try {
    await sh(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
      cwd: app,
      env: cleanEnv(app),
    });
    console.log(`${files.length} README examples type-check against the installed packages`);
  } catch (error) {
    failures.push(
      `README examples do not type-check against the tarballs:\n${(error as Error).message}`,
    );
  }

  const env = cleanEnv(app, {
    LIFTWING_OFFLINE: '1',
    LIFTWING_CACHE_DIR: join(app, 'cache'),
    LIFTWING_USER_AGENT: 'liftwing-install-check/1.0 (ci@example.org)',
  });
  for (const { pkg, file, dir } of runnable) {
    await mkdir(dir, { recursive: true });
    for (const [name, source] of Object.entries(FIXTURES[pkg.name] ?? {})) {
      await cp(join(ROOT, source), join(dir, name));
    }
    try {
      await sh(process.execPath, ['--import', 'tsx', join(app, file)], {
        cwd: dir,
        env,
        timeoutMs: 120_000,
      });
      console.log(`ran ${pkg.name} README ${file.split('/').at(-1)}`);
    } catch (error) {
      failures.push(`${pkg.name} README ${file}: ${(error as Error).message}`);
    }
  }

  const liftwing = join(app, 'node_modules', '.bin', 'liftwing');
  const bundle = join(app, 'run', 'cli-outlink');
  await mkdir(bundle, { recursive: true });
  await cp(join(ROOT, FASTTEXT_FIXTURE), join(bundle, 'model.bin'));
  const commands = [
    ['--version'],
    ['models'],
    ['cache', 'add', 'outlink@fixture', bundle],
    [
      'predict',
      'outlink@fixture',
      '--offline',
      '--lang',
      'en',
      '--page-title',
      'X',
      '--features',
      'Q42 Q5',
    ],
  ];
  for (const args of commands) {
    try {
      await sh(liftwing, args, { cwd: app, env, timeoutMs: 120_000 });
      console.log(`liftwing ${args.join(' ')}: ok`);
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
}

await main();
