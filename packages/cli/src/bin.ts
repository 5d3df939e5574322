#!/usr/bin/env node
import { run } from './cli.js';
import { survivingStreamErrors } from './output.js';

// For the whole process, not only while `run` runs: a write's error (EPIPE) can come after it.
survivingStreamErrors([process.stdout, process.stderr]);

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
