import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'article-country',
    include: ['test/**/*.test.ts'],
  },
});
