import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'revscoring',
    include: ['test/**/*.test.ts'],
  },
});
