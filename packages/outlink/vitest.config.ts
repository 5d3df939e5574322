import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'outlink',
    include: ['test/**/*.test.ts'],
  },
});
