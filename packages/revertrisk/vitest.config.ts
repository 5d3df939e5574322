import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'revertrisk',
    include: ['test/**/*.test.ts'],
  },
});
