import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'article-descriptions',
    include: ['test/**/*.test.ts'],
    // liftwing's warnings are for its users; in test output they hide failures. The tests of
    // the warnings turn them on with `warnings: true`.
    env: { LIFTWING_NO_WARNINGS: '1' },
  },
});
