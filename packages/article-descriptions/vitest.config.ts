import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'article-descriptions',
    include: ['test/**/*.test.ts'],
  },
});
