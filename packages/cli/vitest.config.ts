import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    // The end-to-end tests start the built CLI several times each (about half a second a start
    // on this 2-core machine, more when it is busy): a guard against a hang, not a speed check.
    testTimeout: 30_000,
  },
});
