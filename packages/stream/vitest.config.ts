import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'stream',
    include: ['test/**/*.test.ts'],
    // liftwing's warnings are for its users; in test output they hide failures.
    env: { LIFTWING_NO_WARNINGS: '1' },
    // The Kafka tests start a mock cluster and child processes.
    testTimeout: 60_000,
  },
});
