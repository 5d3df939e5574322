import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/**
 * Core's sources on the browser platform (`#platform` is `src/platform/browser.ts`: the fetch
 * transport, no cache directory), run in Node.js, whose fetch is the WHATWG one: the gateway
 * client's rules on fetch, against loopback fakes. The same graph in Chromium is
 * `tools/test/browser.test.ts`.
 */
export default defineProject({
  resolve: {
    alias: { '#platform': fileURLToPath(new URL('./src/platform/browser.ts', import.meta.url)) },
  },
  test: {
    name: 'core-browser-platform',
    include: ['test/browser-platform/**/*.test.ts'],
    env: { LIFTWING_NO_WARNINGS: '1' },
  },
});
