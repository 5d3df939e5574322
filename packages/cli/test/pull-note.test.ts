/**
 * `liftwing pull` of a model whose definition has an `offlineNote` (revertrisk: the published
 * model.pkl needs converting) says so before it downloads, and in --json mode as a field.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactServer, startArtifactServer } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const PICKLE = 'revertrisk/language-agnostic/20231117132654/model.pkl';
const body = Buffer.from([0x80, 0x04, 0x4e, 0x2e]); // pickle of None

let dir: string;
let tree: ArtifactServer;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-pull-note-'));
  tree = await startArtifactServer({ [`/${PICKLE}`]: body });
  const registry = join(dir, 'registry.json');
  await writeFile(
    registry,
    JSON.stringify({
      schemaVersion: 1,
      modelsUrl: `${tree.origin}/`,
      models: [
        {
          name: 'revertrisk-language-agnostic',
          versions: [
            {
              id: '20231117132654',
              modelVersion: '3',
              status: 'production',
              pin: null,
              artifacts: [
                {
                  name: 'model.pkl',
                  path: PICKLE,
                  format: 'python-pickle',
                  size: body.length,
                  sha256: createHash('sha256').update(body).digest('hex'),
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  env = {
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_REGISTRY: registry,
    LIFTWING_USER_AGENT: 'liftwing-tests/1.0 (test@example.org)',
  };
});

afterAll(async () => {
  await tree?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pull of a model whose published artifact needs converting', () => {
  it('says before downloading that model.pkl needs converting, and with which commands', async () => {
    const run = await runCli(['pull', 'revertrisk'], env);
    expect(run.code, run.stderr).toBe(0);
    const note = run.stderr.indexOf('Note: Wikimedia publishes this model as model.pkl');
    expect(note).toBeGreaterThanOrEqual(0);
    expect(note).toBeLessThan(run.stderr.indexOf('verified'));
    expect(run.stderr).toMatch(/npx liftwing-convert-revertrisk <model\.pkl> \.\/rrla-bundle/);
    expect(run.stderr).toMatch(/liftwing cache add revertrisk@20231117132654-onnx \.\/rrla-bundle/);
    expect(run.stderr).toMatch(/liftwing predict revertrisk@20231117132654-onnx --offline/);
    expect(run.stderr).not.toMatch(/packages\/revertrisk/);
  });

  it('gives the note as a field of the --json answer, and keeps stdout JSON', async () => {
    const run = await runCli(['pull', 'revertrisk', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer.offlineNote).toMatch(/^Wikimedia publishes this model as model\.pkl/);
    expect(run.stderr).not.toMatch(/Note:/);
  });

  it('prints no note for a model without one', async () => {
    const run = await runCli(['pull', 'outlink@nonexistent'], env);
    expect(run.stderr).not.toMatch(/Note:/);
  });
});
