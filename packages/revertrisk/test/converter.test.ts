import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxBundle, parseManifest } from '../src/index.js';
import { prng } from '../tools/onnx-trees.js';
import { evaluate, randomRows, readTrees } from './tree-eval.js';

// The converter is Python; Debian's interpreter is used so that no virtualenv leaks in.
const PYTHON = '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../tools/convert-revertrisk', import.meta.url));
const CLASSIFIER = fileURLToPath(new URL('./fixtures/classifier-zipmap', import.meta.url));
const run = promisify(execFile);
const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: TOOL };

async function python(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(PYTHON, args, { env, cwd: TOOL });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const hasPython = existsSync(PYTHON);
const hasOnnx = hasPython && (await python(['-c', 'import onnx'])).code === 0;

describe.skipIf(!hasPython)('convert-revertrisk (Python)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'revertrisk-convert-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes its own unit tests', async () => {
    const result = await python(['-m', 'unittest', 'discover', '-s', TOOL]);
    expect(result.stderr).toMatch(/\nOK/);
    expect(result.code).toBe(0);
  });

  it('writes manifests this package accepts', async () => {
    const out = join(dir, 'manifest-only');
    const script = [
      'import convert_revertrisk as cr, sys',
      `cr.write_bundle(__import__("pathlib").Path(sys.argv[1]), b"x", ["revision_ref_count", "user_is_bot"],`,
      '  {"name": "p", "kind": "probability"}, model_version="3", artifact="model.pkl",',
      '  artifact_sha256="0" * 64, versions={"python": "3"})',
    ].join('\n');
    expect((await python(['-c', script, out])).code).toBe(0);
    const manifest = parseManifest(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.model).toEqual({ name: 'revertrisk-language-agnostic', version: '3' });
    expect(manifest.features.map((f) => f.name)).toEqual(['revision_ref_count', 'user_is_bot']);
  });

  it('explains that knowledge_integrity is needed to read model.pkl', async () => {
    const pkl = join(dir, 'model.pkl');
    await writeFile(pkl, Buffer.from([0x80, 0x04, 0x4e, 0x2e]));
    const result = await python(['convert_revertrisk.py', pkl, join(dir, 'out')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      hasOnnx ? /knowledge_integrity is not installed/ : /onnx Python package is required/,
    );
  });

  it.skipIf(!hasOnnx)(
    'bundles a ZipMap-ended ONNX export into a bundle that scores as its trees do',
    async () => {
      const trees = readTrees(CLASSIFIER);
      const names = join(dir, 'names.txt');
      await writeFile(names, trees.features.map((f) => f.name).join('\n'));
      const out = join(dir, 'from-onnx');
      const result = await python([
        'convert_revertrisk.py',
        join(CLASSIFIER, 'model.onnx'),
        out,
        '--from-onnx',
        '--feature-names',
        names,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const bundle = await OnnxBundle.load(out);
      try {
        expect(bundle.manifest.output).toEqual({
          name: 'probabilities',
          kind: 'probabilities',
          columns: 2,
          trueIndex: 1,
        });
        const rows = randomRows(trees, 300, prng(5));
        const scores = await bundle.score(rows);
        for (const [i, row] of rows.entries())
          expect(Math.abs(scores[i]! - evaluate(trees, row))).toBeLessThan(2e-6);
      } finally {
        await bundle.close();
      }
    },
  );
});
