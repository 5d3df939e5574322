import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'edit-check',
    include: ['test/**/*.test.ts'],
  },
});
