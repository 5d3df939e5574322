/**
 * The warnings of the built `liftwing`, as a user's terminal shows them: liftwing's own line,
 * never Node's process warnings, only where they apply, and none with LIFTWING_NO_WARNINGS=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBuiltInCatalogue } from '@liftwing/core';
import {
  type FakeGateway,
  type LoopbackServer,
  startFakeGateway,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

let gateway: FakeGateway;
let catalogue: LoopbackServer;
let dir: string;
/** No LIFTWING_USER_AGENT: the user named no contact. */
let env: Record<string, string>;

beforeAll(async () => {
  gateway = await startFakeGateway({
    'revertrisk-language-agnostic': { body: { output: { prediction: false } } },
  });
  const body = loadBuiltInCatalogue();
  catalogue = await startLoopbackServer(() => ({ body }));
  dir = await mkdtemp(join(tmpdir(), 'liftwing-e2e-warnings-'));
  env = {
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_API_URL: gateway.apiUrl,
    LIFTWING_CATALOGUE_URL: `${catalogue.url}/catalogue.json`,
  };
});
afterAll(async () => {
  await gateway.close();
  await catalogue.close();
  await rm(dir, { recursive: true, force: true });
});

describe('liftwing warnings', () => {
  const predict = ['predict', 'revertrisk', '--online', '--lang', 'en', '--rev-id', '1'];

  it('say once, on one line of liftwing, that a prediction went out without a contact', async () => {
    const { code, stderr } = await runCli(predict, env);
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /^liftwing: warning: No contact in the User-Agent of requests to Wikimedia[^\n]*LIFTWING_USER_AGENT[^\n]*\n$/,
    );
    expect(stderr).not.toMatch(/\(node:\d+\)|--trace-warnings/);
  });

  it('are silent with LIFTWING_NO_WARNINGS=1', async () => {
    const { code, stderr } = await runCli(predict, { ...env, LIFTWING_NO_WARNINGS: '1' });
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('are silent for models --check, which sends no request to Lift Wing', async () => {
    const { code, stdout, stderr } = await runCli(['models', '--check'], env);
    expect(code).toBe(0);
    expect(stdout).toContain('outlink-topic-model');
    expect(stderr).toBe('');
  });
});
