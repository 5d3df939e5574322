/**
 * The playground of `liftwing serve`, in headless Chromium: the built CLI serves three models
 * online against a loopback fake gateway; the page lists them, makes each one's form from its
 * request schema, submits it, and shows the answer, its picture and the equivalent calls.
 * Skips, saying why, only where no Chromium binary exists.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeGateway, startFakeGateway } from '@liftwing/test-utils';
import {
  type Browser,
  launchChromium,
  NO_CHROMIUM,
  type Page,
} from '@liftwing/test-utils/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeRun, startServe } from './helpers/run-cli.js';

const OUTLINK = 'outlink-topic-model';
const REVERTRISK = 'revertrisk-language-agnostic';
const LANGID = 'langid';

/** A form control as the page's callbacks see it (the tests' lib has no DOM types). */
interface Control {
  name: string;
  value: string;
  dataset: Record<string, string | undefined>;
  dispatchEvent(event: unknown): boolean;
}

/** Answers in the shape of Lift Wing's, for the playground's examples (the fake's numbers). */
const OUTLINK_ANSWER = {
  prediction: {
    article: 'https://en.wikipedia.org/wiki/Douglas_Adams',
    results: [
      { topic: 'Culture.Biography.Biography*', score: 0.9779 },
      { topic: 'Culture.Literature', score: 0.7301 },
      { topic: 'Culture.Media.Books', score: 0.5912 },
    ],
  },
};
const REVERTRISK_ANSWER = {
  model_name: REVERTRISK,
  model_version: '3',
  wiki_db: 'enwiki',
  revision_id: 12345,
  output: { prediction: false, probabilities: { true: 0.2551, false: 0.7449 } },
};
const LANGID_ANSWER = {
  language: 'deu_Latn',
  wikicode: 'de',
  languagename: 'German',
  score: 0.9998,
};

describe.skipIf(NO_CHROMIUM !== undefined)(
  `the playground in Chromium${NO_CHROMIUM ? ` (skipped: ${NO_CHROMIUM})` : ''}`,
  () => {
    const running: ChildProcess[] = [];
    let gateway: FakeGateway;
    let serve: ServeRun;
    let browser: Browser;
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'liftwing-playground-'));
      gateway = await startFakeGateway({
        [OUTLINK]: { body: OUTLINK_ANSWER },
        [REVERTRISK]: { body: REVERTRISK_ANSWER },
        [LANGID]: { body: LANGID_ANSWER },
      });
      serve = await startServe(
        ['--online', '--models', `${OUTLINK},${REVERTRISK},${LANGID}`, '--quiet'],
        {
          LIFTWING_API_URL: gateway.apiUrl,
          LIFTWING_USER_AGENT: 'PlaygroundTests/1.0 (tests@example.org)',
          LIFTWING_CACHE_DIR: join(dir, 'cache'),
          LIFTWING_NO_WARNINGS: '1',
        },
        running,
      );
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      await gateway?.close();
      for (const child of running) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });

    /** The page, open on `model`, once it has made the form. */
    async function open(model: string): Promise<Page> {
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 900 });
      await page.goto(`${serve.url}/#model=${model}`);
      await page.waitForSelector('body[data-ready="true"]');
      return page;
    }

    async function submit(page: Page): Promise<void> {
      await page.click('#submit');
      // The status says whether the answer was a success once one has come.
      await page.waitForSelector('#status[data-ok="true"], #status[data-ok="false"]');
    }

    it('still answers a client of the KServe protocol at / with its liveness', async () => {
      const response = await fetch(`${serve.url}/`);
      expect(await response.json()).toEqual({ status: 'alive' });
    });

    it('lists the served models and makes the form from the request schema', async () => {
      const page = await open(OUTLINK);
      const options = await page.$$eval('#model option', (nodes) =>
        nodes.map((node) => (node as unknown as { value: string }).value),
      );
      expect(options).toEqual([OUTLINK, REVERTRISK, LANGID]);
      const fields = await page.$$eval('#fields [name]', (nodes) =>
        nodes.map((node) => [
          (node as unknown as Control).name,
          (node as unknown as Control).dataset.type,
        ]),
      );
      expect(fields).toContainEqual(['page_title', 'string']);
      expect(fields).toContainEqual(['page_id', 'integer']);
      expect(fields).toContainEqual(['threshold', 'number']);
      expect(await page.$eval('#body', (node) => (node as unknown as Control).value)).toBe(
        '{"lang":"en","page_title":"Douglas_Adams"}',
      );
      await page.close();
    });

    it('submits the outlink form and draws the topics as bars', async () => {
      const page = await open(OUTLINK);
      await page.$eval('[name="threshold"]', (node) => {
        (node as unknown as Control).value = '0.5';
        (node as unknown as Control).dispatchEvent(
          new (
            globalThis as unknown as { Event: new (type: string, init: object) => unknown }
          ).Event('input', { bubbles: true }),
        );
      });
      await submit(page);
      expect(await page.$eval('#status', (node) => node.textContent)).toBe(
        `HTTP 200 from ${OUTLINK} (online)`,
      );
      expect(JSON.parse(await page.$eval('#answer', (node) => node.textContent ?? ''))).toEqual(
        OUTLINK_ANSWER,
      );
      expect(gateway.bodies.at(-1)).toEqual({
        lang: 'en',
        page_title: 'Douglas_Adams',
        threshold: 0.5,
      });
      expect(
        await page.$eval('#picture', (node) => (node as unknown as Control).dataset.kind),
      ).toBe('bars');
      const bars = await page.$$eval('#picture .bar', (rows) =>
        rows.map((row) => [
          row.querySelector('.label')?.textContent,
          row.querySelector('.value')?.textContent,
        ]),
      );
      expect(bars).toEqual([
        ['Culture.Biography.Biography*', '0.978'],
        ['Culture.Literature', '0.730'],
        ['Culture.Media.Books', '0.591'],
      ]);
      const curl = await page.$eval('#curl', (node) => node.textContent ?? '');
      expect(curl).toContain(`${serve.url}/v1/models/${OUTLINK}:predict`);
      expect(curl).toContain(`-d '{"lang":"en","page_title":"Douglas_Adams","threshold":0.5}'`);
      const library = await page.$eval('#library', (node) => node.textContent ?? '');
      expect(library).toContain("import { definition } from '@liftwing/outlink/definition';");
      expect(library).toContain("mode: 'online'");
      if (process.env.PLAYGROUND_SCREENSHOT) {
        await page.screenshot({ path: process.env.PLAYGROUND_SCREENSHOT, fullPage: true });
      }
      await page.close();
    });

    it('draws revert risk as a gauge of the probability of a revert', async () => {
      const page = await open(REVERTRISK);
      await submit(page);
      expect(
        await page.$eval('#picture', (node) => (node as unknown as Control).dataset.kind),
      ).toBe('gauge');
      expect(await page.$eval('#picture svg text', (node) => node.textContent)).toBe('0.255');
      const library = await page.$eval('#library', (node) => node.textContent ?? '');
      // A package of several models: the definition is found among its definitions.
      expect(library).toContain(`definitions.find((d) => d.name === '${REVERTRISK}')`);
      await page.close();
    });

    it("shows langid's language and score", async () => {
      const page = await open(LANGID);
      await submit(page);
      expect(
        await page.$eval('#picture', (node) => (node as unknown as Control).dataset.kind),
      ).toBe('label');
      expect(await page.$eval('#picture .headline', (node) => node.textContent)).toBe('deu_Latn');
      expect(
        await page.$eval('#picture meter', (node) => (node as unknown as { value: number }).value),
      ).toBe(0.9998);
      await page.close();
    });

    it("shows the server's own message for a request it refuses", async () => {
      const page = await open(LANGID);
      await page.$eval('#body', (node) => {
        (node as unknown as Control).value = '{}';
      });
      await submit(page);
      expect(await page.$eval('#status', (node) => node.textContent)).toMatch(/^HTTP 400: /);
      expect(
        await page.$eval('#picture', (node) => (node as unknown as Control).dataset.kind),
      ).toBe('none');
      await page.close();
    });
  },
);
