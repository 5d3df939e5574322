// Pulls one model with the built package, as a separate process would; prints where it landed.
// Usage: node pull-child.mjs <cacheDir> <registryFile> <ref>
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ensureModel } from '../../dist/index.js';

const [cacheDir, registry, ref] = process.argv.slice(2);
const { files } = await ensureModel(ref, {
  cacheDir,
  registry,
  userAgent: 'test@example.org',
  env: {},
});
const path = Object.values(files)[0];
const sha256 = createHash('sha256')
  .update(await readFile(path))
  .digest('hex');
process.stdout.write(`${JSON.stringify({ path, sha256 })}\n`);
