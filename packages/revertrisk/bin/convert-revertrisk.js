#!/usr/bin/env node
// `liftwing-convert-revertrisk`: runs the Python converter this package ships
// (tools/convert-revertrisk/convert_revertrisk.py) with the arguments given, so that an npm user
// has one command wherever the package is installed. The converter needs Python 3.9+, onnx and
// knowledge_integrity (see tools/convert-revertrisk/README.md); $PYTHON picks the interpreter.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(
  new URL('../tools/convert-revertrisk/convert_revertrisk.py', import.meta.url),
);
const python = process.env.PYTHON || 'python3';
const result = spawnSync(python, [script, ...process.argv.slice(2)], { stdio: 'inherit' });
if (result.error) {
  console.error(
    `liftwing-convert-revertrisk: cannot run ${python} (${result.error.message}). Install Python 3.9+ ` +
      'or set PYTHON to its path; the converter also needs the onnx and knowledge_integrity packages.',
  );
  process.exit(2);
}
process.exit(result.status ?? 1);
