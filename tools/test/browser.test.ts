/**
 * The browser builds in real headless Chromium (Debian's, driven by puppeteer-core): a page of
 * another origin than the gateway, whose script is `@liftwing/outlink` and `@liftwing/core`
 * bundled by esbuild for the browser, asks a loopback fake gateway that keeps the public
 * gateway's CORS rules: the preflight passes, the answer comes back typed, the retries and typed
 * errors are those of Node.js. And offline scoring that needs no Node API gives in the page, bit
 * for bit, what it gives in Node.js: revert risk's tree evaluator on an ONNX fixture, and a fastText
 * model read from an ArrayBuffer, with outlink's scorer of feature strings. Skips, saying why, only where no
 * Chromium binary exists.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type FakeGateway,
  type LoopbackServer,
  startFakeGateway,
  startLoopbackServer,
} from '@liftwing/test-utils';
import {
  type Browser,
  launchChromium,
  NO_CHROMIUM,
  type Page,
} from '@liftwing/test-utils/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, ROOT } from '../browser-bundle.js';

const OUTLINK = 'outlink-topic-model';
const USER_AGENT = 'BrowserTests/1.0 (https://example.org/tests; tests@example.org)';
const ANSWER = {
  prediction: {
    article: 'https://en.wikipedia.org/wiki/Douglas_Adams',
    results: [{ topic: 'Culture.Biography.Biography*', score: 0.98 }],
  },
};
const FIXTURE = join(ROOT, 'packages', 'revertrisk', 'test', 'fixtures', 'classifier-zipmap');

/** What the page's script puts on `window` for the tests (no DOM types in the tools' lib). */
interface PageApi {
  predict(apiUrl: string, request: unknown, options: object): Promise<Outcome>;
  offline(options: object): Promise<Outcome>;
  trees(...args: unknown[]): Promise<number[]>;
}
interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: Record<string, unknown>;
}

/** The page's script: the libraries as a web tool bundles them, on `window` for the tests. */
const PAGE_SCRIPT = `
import { HttpError, InputError, LiftWingError, RateLimitError } from '@liftwing/core';
import { createModel } from '@liftwing/outlink';
import { TreeGraph } from '@liftwing/revertrisk';

const describe = (error) => ({
  name: error?.name,
  code: error?.code,
  status: error?.status,
  message: error?.message,
  liftwing: error instanceof LiftWingError,
  http: error instanceof HttpError,
  input: error instanceof InputError,
  rateLimit: error instanceof RateLimitError,
});

window.liftwing = {
  async predict(apiUrl, request, options = {}) {
    const model = await createModel({
      client: { apiUrl, userAgent: ${JSON.stringify(USER_AGENT)}, rateLimit: false,
        retries: { retries: 2, baseDelayMs: 1, maxDelayMs: 5, jitter: 0 }, ...options },
    });
    try {
      return { ok: true, value: await model.predict(request) };
    } catch (error) {
      return { ok: false, error: describe(error) };
    }
  },
  async offline(options) {
    try {
      await createModel({ mode: 'offline', ...options });
      return { ok: true };
    } catch (error) {
      return { ok: false, error: describe(error) };
    }
  },
  async trees(url, input, output, width, rows, x) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    return Array.from(TreeGraph.compile(bytes, input, output, width).run(Float32Array.from(x), rows));
  },
};
document.body.dataset.ready = 'true';
`;

/** The fastText engine and outlink's scorer of feature strings, bundled from outlink's folder. */
const FASTTEXT_SCRIPT = `
import { FastTextModel } from '@liftwing/fasttext';
import { scoreFeatures } from '@liftwing/outlink';

window.liftwingFastText = async (url, texts) => {
  const model = FastTextModel.fromBytes(new Uint8Array(await (await fetch(url)).arrayBuffer()));
  return {
    predictions: texts.map((text) => model.predict(text, 5)),
    topics: scoreFeatures(model, texts, { threshold: 0 }),
    shared: typeof SharedArrayBuffer,
  };
};
document.body.dataset.fasttext = 'true';
`;
const FASTTEXT_FIXTURE = join(ROOT, 'packages', 'fasttext', 'test', 'fixtures', 'ova.bin');
const TEXTS = ['Q42 Q5 Q36180', 'the quick brown fox', '', 'Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8'];

describe.skipIf(NO_CHROMIUM !== undefined)(
  `the browser builds in Chromium${NO_CHROMIUM ? ` (skipped: ${NO_CHROMIUM})` : ''}`,
  () => {
    let site: LoopbackServer;
    let gateway: FakeGateway;
    let bare: FakeGateway;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      const bundle = await bundleForBrowser(PAGE_SCRIPT);
      expect(bundle.nodeBuiltins).toEqual([]);
      const fastText = await bundleForBrowser(FASTTEXT_SCRIPT, {
        resolveFrom: join(ROOT, 'packages', 'outlink'),
      });
      expect(fastText.nodeBuiltins).toEqual([]);
      const onnx = await readFile(join(FIXTURE, 'model.onnx'));
      const ova = await readFile(FASTTEXT_FIXTURE);
      site = await startLoopbackServer((request) => {
        if (request.path === '/app.js') {
          return { body: bundle.code, headers: { 'content-type': 'text/javascript' } };
        }
        if (request.path === '/fasttext.js') {
          return { body: fastText.code, headers: { 'content-type': 'text/javascript' } };
        }
        if (request.path === '/ova.bin') {
          return { body: ova, headers: { 'content-type': 'application/octet-stream' } };
        }
        if (request.path === '/model.onnx') {
          return { body: onnx, headers: { 'content-type': 'application/octet-stream' } };
        }
        return {
          body:
            '<!doctype html><title>tool</title><script type="module" src="/app.js"></script>' +
            '<script type="module" src="/fasttext.js"></script>',
          headers: { 'content-type': 'text/html' },
        };
      });
      gateway = await startFakeGateway({ [OUTLINK]: { body: ANSWER } }, { cors: true });
      bare = await startFakeGateway({ [OUTLINK]: { body: ANSWER } });
      browser = await launchChromium();
      page = await browser.newPage();
      // `localhost` for the page and 127.0.0.1 for the gateways: two origins, so CORS applies.
      await page.goto(site.url.replace('127.0.0.1', 'localhost'));
      await page.waitForSelector('body[data-ready="true"][data-fasttext="true"]');
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await Promise.all([site, gateway, bare].map((server) => server?.close()));
    });

    const predict = (apiUrl: string, request: unknown, options: object = {}) =>
      page.evaluate(
        (url: string, body: unknown, more: object) =>
          (globalThis as unknown as { liftwing: PageApi }).liftwing.predict(url, body, more),
        apiUrl,
        request,
        options,
      );

    it('asks the gateway from another origin, within its CORS rules, and gets the answer', async () => {
      const result = await predict(gateway.apiUrl, { lang: 'en', page_title: 'Douglas_Adams' });
      expect(result).toEqual({ ok: true, value: ANSWER });
      const sent = gateway.requests.filter((request) => request.method === 'POST').at(-1)!;
      expect(sent.headers.origin).toBe(site.url.replace('127.0.0.1', 'localhost'));
      expect(sent.headers['api-user-agent']).toMatch(
        /^BrowserTests\/1\.0 .* liftwing\/\d+\.\d+\.\d+$/,
      );
      // Chromium's own User-Agent: a page cannot set it.
      expect(sent.headers['user-agent']).toMatch(/HeadlessChrome/);
      expect(sent.headers['content-type']).toBe('text/plain;charset=UTF-8');
      const preflight = gateway.requests.find((request) => request.method === 'OPTIONS');
      expect(preflight?.headers['access-control-request-headers']).toBe('api-user-agent');
    });

    it("refuses a request outlink's server would refuse before sending it", async () => {
      const before = gateway.requests.length;
      const result = await predict(gateway.apiUrl, { lang: 'en' });
      expect(result.ok).toBe(false);
      expect(result.error).toMatchObject({
        name: 'InputError',
        code: 'invalid_input',
        input: true,
      });
      expect(gateway.requests.length).toBe(before);
    });

    it('retries a 429 and gives a RateLimitError, as in Node.js', async () => {
      const before = gateway.requests.filter((request) => request.method === 'POST').length;
      gateway.throttle(3, '0');
      const result = await predict(gateway.apiUrl, { lang: 'en', page_title: 'Douglas_Adams' });
      expect(result.error).toMatchObject({
        name: 'RateLimitError',
        code: 'rate_limited',
        status: 429,
      });
      expect(result.error?.rateLimit).toBe(true);
      const posts = gateway.requests.filter((request) => request.method === 'POST').length;
      expect(posts - before).toBe(3);
    });

    it('says that it could not reach a gateway whose answers CORS does not admit', async () => {
      const result = await predict(bare.apiUrl, { lang: 'en', page_title: 'Douglas_Adams' });
      expect(result.error).toMatchObject({ name: 'HttpError', code: 'http_error', http: true });
      expect(result.error?.message).toMatch(/^Could not reach the Lift Wing gateway at .*CORS/);
    });

    it('refuses offline mode with a ConfigError that says it needs Node.js', async () => {
      const result = await page.evaluate(() =>
        (globalThis as unknown as { liftwing: PageApi }).liftwing.offline({}),
      );
      expect(result.error).toMatchObject({ name: 'ConfigError', code: 'invalid_config' });
      expect(result.error?.message).toContain('runs offline only in Node.js');
    });

    it("scores revert risk's ONNX fixture with the tree evaluator bit for bit as Node.js does", async () => {
      // The Node.js entry of the built package (the tools do not depend on the model packages).
      const entry = pathToFileURL(join(ROOT, 'packages', 'revertrisk', 'dist', 'index.js'));
      const { TreeGraph } = (await import(entry.href)) as {
        TreeGraph: {
          compile(
            bytes: Uint8Array,
            input: string,
            output: string,
            width: number,
          ): { run(x: Float32Array, rows: number): Float32Array };
        };
      };
      const manifest = JSON.parse(await readFile(join(FIXTURE, 'manifest.json'), 'utf8')) as {
        features: unknown[];
        input: { name: string };
        output: { name: string };
      };
      const width = manifest.features.length;
      const rows = 8;
      const x = Array.from({ length: rows * width }, (_, i) => ((i * 7919) % 1000) / 10);
      const bytes = new Uint8Array(await readFile(join(FIXTURE, 'model.onnx')));
      const inNode = Array.from(
        TreeGraph.compile(bytes, manifest.input.name, manifest.output.name, width).run(
          Float32Array.from(x),
          rows,
        ),
      );
      const inPage = await page.evaluate(
        (...args: unknown[]) =>
          (globalThis as unknown as { liftwing: PageApi }).liftwing.trees(...args),
        `${site.url.replace('127.0.0.1', 'localhost')}/model.onnx`,
        manifest.input.name,
        manifest.output.name,
        width,
        rows,
        x,
      );
      expect(inPage).toEqual(inNode);
      expect(inNode.length).toBeGreaterThan(0);
    }, 60_000);

    it("scores a fastText model from an ArrayBuffer in the page as Node.js does, with outlink's scorer", async () => {
      const nodeEntry = (name: string) =>
        pathToFileURL(join(ROOT, 'packages', name, 'dist', 'index.js')).href;
      const { FastTextModel } = (await import(nodeEntry('fasttext'))) as {
        FastTextModel: {
          fromBytes(bytes: Uint8Array): { predict(text: string, k: number): unknown };
        };
      };
      const { scoreFeatures } = (await import(nodeEntry('outlink'))) as {
        scoreFeatures(model: unknown, texts: string[], options: object): unknown;
      };
      const model = FastTextModel.fromBytes(new Uint8Array(await readFile(FASTTEXT_FIXTURE)));
      const inNode = {
        predictions: TEXTS.map((text) => model.predict(text, 5)),
        topics: scoreFeatures(model, TEXTS, { threshold: 0 }),
      };
      const inPage = (await page.evaluate(
        (url: string, texts: string[]) =>
          (
            globalThis as unknown as {
              liftwingFastText(u: string, t: string[]): Promise<Record<string, unknown>>;
            }
          ).liftwingFastText(url, texts),
        `${site.url.replace('127.0.0.1', 'localhost')}/ova.bin`,
        TEXTS,
      )) as { predictions: unknown; topics: unknown; shared: string };
      // The page is not cross-origin isolated: the model lives in ordinary memory there.
      expect(inPage.shared).toBe('undefined');
      expect(inPage.predictions).toEqual(inNode.predictions);
      expect(inPage.topics).toEqual(inNode.topics);
      expect((inNode.predictions as unknown[][])[0]!.length).toBeGreaterThan(0);
    });
  },
);
