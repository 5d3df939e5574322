import { appendFile } from 'node:fs/promises';
import { PassThrough, Readable, Writable } from 'node:stream';
import {
  InputError,
  type LiftWingModel,
  type Mode,
  type ModelDefinition,
  type ModelOptions,
  type PredictManyOptions,
  type PredictOptions,
  type RawRequest,
} from '@liftwing/core';
import { bodyOf, defineModel, handleEach } from '@liftwing/core/model-kit';
import { definition as outlink } from '@liftwing/outlink/definition';
import { definition as revertrisk } from '@liftwing/revertrisk/definition';
import type { CliDeps, CliIo } from '../../src/deps.js';
import type { CreateModelOptions, ModelInfo } from '../../src/models.js';

/**
 * A model that answers from its request, so tests can steer it:
 * `{"fail": "input"}` → InputError 400 `error`; `{"fail": "detail"}` → InputError 422 `detail`;
 * `{"fail": "crash"}` → a TypeError; `{"wait": ms}` → answers after ms; anything else is echoed.
 */
export class FakeModel implements LiftWingModel<unknown, unknown> {
  readonly calls: unknown[] = [];
  closed = false;

  constructor(
    readonly name = 'fake-model',
    readonly mode: Mode = 'offline',
    // null: no version, as online models have (undefined would take the default).
    version: string | null = '20240101000000',
    private readonly hooks: { onHandle?: (body: unknown) => void; delayMs?: number } = {},
  ) {
    this.version = version ?? undefined;
  }

  readonly version: string | undefined;

  async handle(body: unknown, options: PredictOptions = {}): Promise<unknown> {
    this.calls.push(body);
    this.hooks.onHandle?.(body);
    if (this.hooks.delayMs) await new Promise((resolve) => setTimeout(resolve, this.hooks.delayMs));
    const request = (body ?? {}) as { fail?: string; wait?: number };
    if (request.wait !== undefined) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, request.wait);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(options.signal?.reason);
        });
      });
    }
    if (request.fail === 'input') throw new InputError('The parameter lang is required.');
    if (request.fail === 'detail') {
      throw new InputError('Could not make prediction. Reason: revision_missing', {
        status: 422,
        bodyKey: 'detail',
        code: 'revision_error',
      });
    }
    if (request.fail === 'crash') throw new TypeError('boom');
    return { model_name: this.name, echo: body };
  }

  predict(request: unknown, options?: PredictOptions): Promise<unknown> {
    return this.handle(request, options);
  }

  async predictMany(requests: readonly unknown[]) {
    return Promise.all(
      requests.map((request) =>
        this.handle(request).then(
          (value) => ({ ok: true as const, value }),
          (error) => ({ ok: false as const, error }),
        ),
      ),
    );
  }

  handleMany(bodies: readonly RawRequest[], options?: PredictManyOptions) {
    return handleEach((request, single) => this.handle(bodyOf(request), single), bodies, options);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Every fake model made by a fake definition's `create`, with the options it was given. */
type Created = { model: FakeModel; options: CreateModelOptions }[];

/**
 * A definition like `real`'s (its request schema: the flags the CLI derives) under a fake
 * package, whose `create` makes a {@link FakeModel} and records it in `created`.
 */
function fakeDefinition(
  real: ModelDefinition,
  packageName: string,
  created: Created,
  make: MakeModel,
) {
  return defineModel({
    ...real,
    package: packageName,
    create: async (options: ModelOptions = {}) => {
      const mode = options.mode ?? 'online';
      const model = make(real.name, mode, options.version ?? '20240101000000');
      created.push({ model, options: { ...options, mode } });
      return model;
    },
  });
}

/** Makes the model a fake definition creates. */
export type MakeModel = (name: string, mode: Mode, version: string) => FakeModel;

const makeFake: MakeModel = (name, mode, version) => new FakeModel(name, mode, version);

/** Models shaped like the catalogue of `@liftwing/core`, installed but for `ghost-model`. */
export function fakeModels(created: Created = [], make: MakeModel = makeFake): ModelInfo[] {
  const fake = defineModel({
    name: 'fake-model',
    alias: 'fake',
    package: '@fake/fake',
    description: 'A fake model with no request flags.',
    pin: null,
    modes: ['online'],
    request: { type: 'object', properties: {}, examples: [{ echo: 1 }] },
    create: async () => {
      throw new Error('replaced below');
    },
  });
  return [
    {
      name: 'outlink-topic-model',
      alias: 'outlink',
      package: '@fake/outlink',
      modes: ['online', 'offline'],
      productionVersion: '20221111111111',
      cached: true,
      definition: fakeDefinition(outlink, '@fake/outlink', created, make),
    },
    {
      name: 'revertrisk-language-agnostic',
      alias: 'revertrisk',
      package: '@fake/revertrisk',
      modes: ['online', 'offline'],
      productionVersion: '20231117132654',
      cached: false,
      definition: fakeDefinition(revertrisk, '@fake/revertrisk', created, make),
    },
    {
      name: 'fake-model',
      alias: 'fake',
      package: '@fake/fake',
      definition: fakeDefinition(fake, '@fake/fake', created, make),
    },
    { name: 'ghost-model', package: '@liftwing/ghost-package-that-does-not-exist' },
  ];
}

/** The models of {@link fakeModels}, for tests that only read them. */
export const FAKE_MODELS: ModelInfo[] = fakeModels();

/**
 * Deps whose model packages create {@link FakeModel}s; `created` records every model made. Every
 * version but `missing` counts as cached; pull and the cache are not faked unless given.
 */
export function fakeDeps(overrides: Partial<CliDeps> = {}, make: MakeModel = makeFake) {
  const created: Created = [];
  const models = fakeModels(created, make);
  const notFaked = async (): Promise<never> => {
    throw new Error('not faked in this test');
  };
  const deps: CliDeps = {
    listModels: async () => models,
    pull: notFaked,
    findCached: async (model, version) => {
      const id = version ?? '20240101000000';
      return {
        ref: `${model.alias ?? model.name}@${id}`,
        version: id,
        cached: version !== 'missing',
        cacheDir: '/c',
      };
    },
    cache: {
      path: () => '/c',
      list: notFaked,
      verify: notFaked,
      prune: notFaked,
      add: notFaked,
      remove: notFaked,
    },
    referenceSample: async () => undefined,
    importPackage: (specifier) => import(specifier),
    ...overrides,
  };
  return { deps, created };
}

/** Captures what a stream receives. */
export class Capture extends PassThrough {
  text = '';
  isTTY = false;

  constructor() {
    super();
    this.setEncoding('utf8');
    this.on('data', (chunk: string) => {
      this.text += chunk;
    });
  }
}

/** An io whose stdout and stderr are captured and whose stdin holds `stdin`. */
export function fakeIo(stdin = '', env: Record<string, string> = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdout, stderr, stdin: Readable.from([stdin]), env };
  return { io, stdout, stderr };
}

/**
 * A file on a disk with `capacity` bytes free: writes go to `path` until the disk is full; the
 * write that does not fit is written in part and fails with ENOSPC, as a real full disk does.
 */
export class FullDisk extends Writable {
  private written = 0;

  constructor(
    readonly path: string,
    private readonly capacity: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error) => void) {
    const room = Math.max(0, this.capacity - this.written);
    const part = chunk.subarray(0, room);
    this.written += part.length;
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    if (part.length === 0) return callback(full);
    appendFile(this.path, part).then(
      () => callback(part.length === chunk.length ? undefined : full),
      callback,
    );
  }
}
