import { defineConfig } from 'vitest/config';

// The tests talk to fakes on 127.0.0.1 and set every liftwing variable they depend on: a proxy or
// a LIFTWING_* setting of the machine they run on (LIFTWING_OFFLINE=1, a registry file, an
// HTTPS_PROXY that does not exempt 127.0.0.1) must not reach them, nor the child processes they
// start. The workers and children inherit this process's environment.
for (const name of Object.keys(process.env)) {
  if (/^LIFTWING_/.test(name) || /^(https?|all|no)_proxy$/i.test(name)) delete process.env[name];
}

export default defineConfig({
  test: {
    // Core's sources once more on the browser platform (fetch), in Node.js.
    projects: ['packages/*', 'packages/core/vitest.browser.config.ts', 'tools'],
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
  },
});
