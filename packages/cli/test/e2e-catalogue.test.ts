/**
 * Every model of the built-in catalogue through the CLI, by its package's definition alone: its
 * example request reaches `/v1/models/<name>:predict` on a loopback gateway, and an empty request
 * is refused with the model server's own message (exit 2) before anything is sent.
 */
import { type FakeGateway, startFakeGateway } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli.js';
import { coreDeps } from '../src/core-deps.js';
import type { ModelInfo } from '../src/models.js';
import { fakeIo } from './helpers/fakes.js';

let gateway: FakeGateway;
let env: Record<string, string>;
let models: ModelInfo[];

beforeAll(async () => {
  gateway = await startFakeGateway({});
  env = {
    LIFTWING_API_URL: gateway.serviceUrl,
    LIFTWING_USER_AGENT: 'liftwing-tests (test@example.org)',
    LIFTWING_CACHE_DIR: '/nonexistent/liftwing-cache',
  };
  models = await coreDeps(env).listModels();
  // Whatever a model is asked, the gateway answers with a body of its batch form (each item a
  // success as servers that report a status per item say it) or a plain one.
  for (const model of models) {
    gateway.models[model.name] = ({ json }) => {
      const { instances } = json as { instances?: unknown[] };
      return {
        body: instances ? { predictions: instances.map(() => ({ status_code: 200 })) } : {},
      };
    };
  }
});
afterAll(() => gateway?.close());

describe('every model of the catalogue', () => {
  it('has its package installed and a definition', () => {
    expect(models.length).toBeGreaterThan(10);
    expect(models.filter((model) => model.definition === undefined).map((m) => m.name)).toEqual([]);
  });

  it('sends its example request to its own predict route', async () => {
    const failed: string[] = [];
    for (const model of models) {
      const example = model.definition!.request.examples[0]!;
      const start = gateway.requests.length;
      const { io, stderr } = fakeIo('', env);
      const code = await run(
        ['predict', model.name, '--online', '--input', JSON.stringify(example)],
        io,
        coreDeps(env),
      );
      const paths = gateway.requests.slice(start).map((request) => request.path);
      if (code !== 0 || !paths.every((path) => path.endsWith(`/${model.name}:predict`))) {
        failed.push(`${model.name}: exit ${code}, ${paths.join(' ')} ${stderr.text}`);
      }
      if (paths.length === 0) failed.push(`${model.name}: no request`);
    }
    expect(failed).toEqual([]);
  });

  it("refuses an empty request with the server's message, before sending anything", async () => {
    const start = gateway.requests.length;
    const failed: string[] = [];
    for (const model of models) {
      const { io, stderr } = fakeIo('', env);
      const code = await run(
        ['predict', model.name, '--online', '--input', '{}'],
        io,
        coreDeps(env),
      );
      if (code !== 2 || !stderr.text.startsWith('liftwing: ')) {
        failed.push(`${model.name}: exit ${code}: ${stderr.text}`);
      }
    }
    expect(failed).toEqual([]);
    expect(gateway.requests.slice(start)).toEqual([]);
  });
});
