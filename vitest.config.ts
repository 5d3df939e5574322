import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Core's sources once more on the browser platform (fetch), in Node.js.
    projects: ['packages/*', 'packages/core/vitest.browser.config.ts', 'tools'],
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
  },
});
