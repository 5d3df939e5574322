/**
 * Headless Chromium for the browser tests: Debian's `chromium` (`apt-get install chromium`; CI's
 * `.ci/run` installs it), driven by puppeteer-core, which downloads no browser of its own. A test
 * that needs it skips, saying why, only when no binary is found.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export type { Browser, Page } from 'puppeteer-core';

/** Where a Chromium may be: `CHROMIUM_PATH`, then Debian's and other distributions' names. */
const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter((path): path is string => path !== undefined && path !== '');

/** The Chromium binary to drive, or undefined when the machine has none. */
export const CHROMIUM: string | undefined = CANDIDATES.find((path) => existsSync(path));

/** Why the browser tests skip on this machine, or undefined when they run. */
export const NO_CHROMIUM: string | undefined =
  CHROMIUM === undefined
    ? `no Chromium binary (looked for ${CANDIDATES.join(', ')}); install Debian's with apt-get install chromium, or set CHROMIUM_PATH`
    : undefined;

/** Launches the headless Chromium; close it with `browser.close()`. */
export function launchChromium(): Promise<Browser> {
  if (CHROMIUM === undefined) throw new Error(NO_CHROMIUM);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root in a container, Chromium's sandbox cannot start; the pages are the tests' own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
