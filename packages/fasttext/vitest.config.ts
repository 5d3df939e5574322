import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'fasttext',
    include: ['test/**/*.test.ts'],
  },
});
