import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'langid',
    include: ['test/**/*.test.ts'],
  },
});
