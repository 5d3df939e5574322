import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // Core's tests run its sources; `#platform` in package.json names the built files.
    alias: { '#platform': fileURLToPath(new URL('./src/platform/node.ts', import.meta.url)) },
  },
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    // Those run on the browser platform: vitest.browser.config.ts.
    exclude: ['test/browser-platform/**'],
    // liftwing's warnings are for its users; in test output they hide failures. The tests of
    // the warnings turn them on with `warnings: true`.
    env: { LIFTWING_NO_WARNINGS: '1' },
  },
});
