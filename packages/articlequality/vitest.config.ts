import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'articlequality',
    include: ['test/**/*.test.ts'],
  },
});
