import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGateway, refusalOf, startFakeGateway, writeRegistry } from '../src/index.js';

let gateway: FakeGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

describe('refusalOf', () => {
  it('returns what each route threw, and every request that reached the gateway', async () => {
    gateway = await startFakeGateway({ m: { body: { ok: true } } });
    const { apiUrl } = gateway;
    const post = (body: unknown) =>
      fetch(`${apiUrl}m:predict`, { method: 'POST', body: JSON.stringify(body) });
    const refused = new Error('no');
    const model = {
      handle: async (body: unknown) => {
        await post(body);
        throw refused;
      },
      predict: async (body: never) => post(body),
    };
    const { handled, predicted, sent } = await refusalOf(gateway, model, { a: 1 });
    expect(handled).toBe(refused);
    expect(predicted).toBeUndefined();
    expect(sent.map((request) => JSON.parse(request.body))).toEqual([{ a: 1 }, { a: 1 }]);
  });
});

describe('writeRegistry', () => {
  it('fills in what a test leaves out, as the registry schema wants it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'liftwing-test-utils-'));
    try {
      const file = await writeRegistry(join(dir, 'registry.json'), {
        modelsUrl: 'http://127.0.0.1:9/',
        versions: [{ id: '1', artifacts: [{ path: 'tiny/model.bin', size: 3 }] }],
      });
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        schemaVersion: 1,
        modelsUrl: 'http://127.0.0.1:9/',
        models: [
          {
            name: 'tiny-test-model',
            alias: 'tiny',
            package: '@liftwing/tiny',
            description: 'A test model',
            modes: ['offline'],
            request: { fields: {} },
            modelCard: null,
            apiDocs: null,
            versions: [
              {
                id: '1',
                modelVersion: null,
                status: 'production',
                pin: null,
                artifacts: [
                  {
                    name: 'model.bin',
                    path: 'tiny/model.bin',
                    format: 'file',
                    size: 3,
                    sha256: null,
                  },
                ],
              },
            ],
          },
        ],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
