import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'reference-quality',
    include: ['test/**/*.test.ts'],
  },
});
