import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    // liftwing's warnings are for its users; in test output they hide failures. The tests of
    // the warnings turn them on with `warnings: true`.
    env: { LIFTWING_NO_WARNINGS: '1' },
    // The end-to-end tests start the built CLI several times each (about half a second a start
    // on this 2-core machine, more when it is busy): a guard against a hang, not a speed check.
    testTimeout: 30_000,
  },
});
