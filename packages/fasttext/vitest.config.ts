import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // The tests run the sources; `#file` in package.json names the built files. (A worker thread
    // under tsx does not see this alias and reads dist/file.js: the tests run after the build.)
    alias: { '#file': fileURLToPath(new URL('./src/file.ts', import.meta.url)) },
  },
  test: {
    name: 'fasttext',
    include: ['test/**/*.test.ts'],
    // The pool's tests start worker threads that load tsx (1 to 2 s each here, over 3 s on a busy
    // machine): a guard against a hang, not a speed check.
    testTimeout: 20_000,
  },
});
