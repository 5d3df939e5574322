import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ModelDefinition } from '@liftwing/core';
import { defineModel } from '@liftwing/core/model-kit';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli.js';
import { coreDeps } from '../src/core-deps.js';
import { type ImportPackage, importModelPackage, loadDefinition } from '../src/models.js';
import { fakeIo } from './helpers/fakes.js';

const definitionOf = (name: string): ModelDefinition =>
  defineModel({
    name,
    alias: name.replace('-model', ''),
    package: '@example/family',
    description: 'A member of a family.',
    pin: null,
    modes: ['online'],
    request: { type: 'object', properties: {}, examples: [{}] },
    create: () => Promise.reject(new Error('not in this test')),
  });

const moduleNotFound = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from x`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });

describe('loadDefinition', () => {
  it('takes the member of a family package named like the registry model', async () => {
    const family = { definitions: [definitionOf('a-model'), definitionOf('b-model')] };
    const found = await loadDefinition('@example/family', 'b-model', async () => family);
    expect(found?.name).toBe('b-model');
  });

  it('takes the one definition of a single-model package', async () => {
    const single = { definition: definitionOf('a-model') };
    expect((await loadDefinition('@example/a', 'a-model', async () => single))?.name).toBe(
      'a-model',
    );
  });

  it('is undefined for a package that is not installed', async () => {
    await expect(
      loadDefinition('@example/gone', 'a-model', async () => {
        throw moduleNotFound('@example/gone');
      }),
    ).resolves.toBeUndefined();
  });

  it('names the package and the model when the package defines no such model', async () => {
    const error = await loadDefinition('@example/family', 'c-model', async () => ({
      definitions: [definitionOf('a-model')],
    })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'The package @example/family defines no liftwing model c-model (@example/family/definition); ' +
        'it is too old or not its model package. Update it: npm install @example/family@latest',
    );
    // A package too old to have the subpath at all says the same.
    const old = await loadDefinition('@example/old', 'a-model', async () => {
      throw Object.assign(new Error('not exported'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    }).catch((e: unknown) => e);
    expect(old).toBeInstanceOf(ConfigError);
  });

  it('lets other failures of an installed package through', async () => {
    await expect(
      loadDefinition('@example/broken', 'a-model', async () => {
        throw moduleNotFound('some-dependency');
      }),
    ).rejects.toThrow("Cannot find package 'some-dependency'");
  });
});

describe('importModelPackage', () => {
  it("finds a package the project installed, by its exports' import condition", async () => {
    const project = await mkdtemp(join(tmpdir(), 'liftwing-project-'));
    try {
      const pkg = join(project, 'node_modules', '@example', 'only-here');
      await mkdir(join(pkg, 'dist'), { recursive: true });
      await writeFile(
        join(pkg, 'package.json'),
        JSON.stringify({
          name: '@example/only-here',
          type: 'module',
          exports: {
            './definition': { types: './dist/definition.d.ts', import: './dist/definition.js' },
            './package.json': './package.json',
          },
        }),
      );
      await writeFile(join(pkg, 'dist', 'definition.js'), 'export const definition = 42;\n');
      const module = (await importModelPackage('@example/only-here/definition', project)) as {
        definition: number;
      };
      expect(module.definition).toBe(42);
      // Neither next to liftwing nor in the project: the error of the import.
      await expect(
        importModelPackage('@example/nowhere/definition', project),
      ).rejects.toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});

describe('a model package that cannot be read', () => {
  it('is listed with its problem, the others still work, and using it says what failed', async () => {
    const env = { LIFTWING_CACHE_DIR: '/nonexistent/liftwing-cache' };
    const broken: ImportPackage = async (specifier) => {
      if (specifier === '@liftwing/langid/definition') {
        throw new SyntaxError("Unexpected token '}' in @liftwing/langid/dist/definition.js");
      }
      return importModelPackage(specifier);
    };
    const listed = fakeIo('', env);
    expect(await run(['models', '--json'], listed.io, coreDeps(env, broken))).toBe(0);
    const models = JSON.parse(listed.stdout.text) as Array<Record<string, unknown>>;
    expect(models.find((m) => m.name === 'langid')).toMatchObject({
      installed: false,
      problem: "Unexpected token '}' in @liftwing/langid/dist/definition.js",
    });
    expect(models.find((m) => m.name === 'outlink-topic-model')).toMatchObject({ installed: true });

    const used = fakeIo('', env);
    expect(await run(['predict', 'langid', '--text', 'x'], used.io, coreDeps(env, broken))).toBe(1);
    expect(used.stderr.text).toContain("Unexpected token '}'");
  });
});
