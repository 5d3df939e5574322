import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'readability',
    include: ['test/**/*.test.ts'],
  },
});
