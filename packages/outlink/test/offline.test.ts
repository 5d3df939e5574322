import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, MediaWikiClient, MediaWikiError } from '@liftwing/core';
import { loadFastText } from '@liftwing/fasttext';
import {
  type FakeMediaWiki,
  type FakePage,
  FakeWiki,
  type ParsedLink,
  PUBLISHED_ROOT,
  sha256,
  startArtifactServer,
  startFakeMediaWiki,
} from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  gatherOutlinks,
  type OutlinkModel,
  type OutlinkRequest,
  type OutlinkTarget,
  scoreFeatures,
} from '../src/index.js';
import { OVA_MODEL, USER_AGENT } from './helpers.js';

interface Case {
  features_str: string;
  threshold: number;
  json: string;
  reprs: string[];
}
const fixture = JSON.parse(
  await readFile(new URL('./fixtures/outlink/responses.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const fastText = await loadFastText(OVA_MODEL);
// QIDs the fixture model knows, so that which ones are gathered changes the scores.
const known = [...new Set(fixture.cases.flatMap((c) => c.features_str.split(' ')))].filter(
  (word) => /^Q\d+$/.test(word) && fastText.wordId(word) >= 0,
);
const [PHYSICS, ULM] = known as [string, string];
const words = [...Array(1600).keys()].map((i) => `Q${90_000_000 + i}`);

// 1600 links: 3 batches of 500 add 1500 QIDs, more than 1000 after the third; a fourth is never asked.
const big: Record<string, Omit<FakePage, 'title'>> = Object.fromEntries(
  words.slice(0, 1600).map((qid, i) => [`Big ${i}`, { pageid: 10_000 + i, qid }]),
);
const pages: Record<string, Omit<FakePage, 'title'>> = {
  ...big,
  Einstein: {
    pageid: 1,
    links: ['Physics', 'Ulm', 'Red link', 'Redirect to Physics', 'No item', 'Project page', 'Ulm'],
  },
  Physics: { pageid: 2, qid: PHYSICS },
  Ulm: { pageid: 3, qid: ULM },
  'Redirect to Physics': { pageid: 4, redirect: 'Physics' },
  'No item': { pageid: 5 },
  'Project page': { pageid: 6, ns: 4, qid: 'Q999' },
  'Old name': { pageid: 7, links: ['Ulm'] },
  Huge: { pageid: 8, links: [...Object.keys(big)] },
  // One link more than 100 requests of 500 hold, none to an existing article: the 1000 items
  // that end the gathering never come.
  'Red links': { pageid: 9, links: [...Array(100 * 500 + 1).keys()].map((i) => `Red ${i}`) },
};
// 203 UTF-8 bytes each (+3 counted per title): 29 fit in 6000 bytes.
const longTitles = [...Array(60).keys()].map(
  (i) => `${'Ä'.repeat(100)} ${String(i).padStart(2, '0')}`,
);
const shortTitles = [...Array(60).keys()].map((i) => `S${i}`);
for (const [i, title] of [...longTitles, ...shortTitles].entries()) {
  pages[title] = { pageid: 500 + i, qid: `Q${500 + i}` };
}
const revisions: Record<string, ParsedLink[]> = {
  '100': [
    { ns: 0, title: 'Physics', exists: true },
    { ns: 0, title: 'Red link', exists: false },
    { ns: 14, title: 'Category:Physics', exists: true },
    { ns: 0, title: 'Ulm', exists: true },
    { ns: 0, title: 'No item', exists: true },
  ],
  '200': longTitles.map((title) => ({ ns: 0, title, exists: true })),
  '300': shortTitles.map((title) => ({ ns: 0, title, exists: true })),
};

const english = new FakeWiki();
for (const [title, page] of Object.entries(pages)) english.addPage({ title, ...page });
for (const [revid, links] of Object.entries(revisions)) english.addParse(Number(revid), links);
english
  .addParse(404, { error: 'nosuchrevid' })
  .addParse(403, { error: 'permissiondenied' })
  .addParse(500, { error: 'badvalue' });

let wiki: FakeMediaWiki;
let model: OutlinkModel;

beforeAll(async () => {
  wiki = await startFakeMediaWiki({ 'en.wikipedia.org': english });
  model = await createModel({
    mode: 'offline',
    modelPath: OVA_MODEL,
    mediawiki: {
      apiUrlTemplate: wiki.apiUrlTemplate,
      retries: 0,
      userAgent: USER_AGENT,
    },
  });
});
afterAll(async () => {
  await model.close();
  await wiki.close();
});

const mediawiki = () =>
  new MediaWikiClient({
    apiUrlTemplate: wiki.apiUrlTemplate,
    retries: 0,
    userAgent: USER_AGENT,
  });

/** The outlinks gathered for `target`, checked to be what predict scores. */
async function outlinks(target: OutlinkTarget, request: OutlinkRequest): Promise<string> {
  const features = (await gatherOutlinks(mediawiki(), target)).join(' ');
  const viaWiki = await model.predict({ ...request, debug: true });
  const viaFeatures = await model.predict({ ...request, features_str: features, debug: true });
  expect(viaWiki).toEqual(viaFeatures);
  return features;
}

describe('the response (features_str)', () => {
  it('is what Lift Wing builds from python3-fasttext 0.9.2, value for value and in order', async () => {
    for (const c of fixture.cases) {
      const response = await model.predict({
        lang: 'en',
        page_title: 'ARTICLE',
        features_str: c.features_str,
        threshold: c.threshold,
      });
      const expected = JSON.parse(
        c.json.replace('"ARTICLE"', '"https://en.wikipedia.org/wiki/ARTICLE"'),
      );
      expect(response).toEqual(expected);
      expect(Object.is(response.prediction.results.length, c.reprs.length)).toBe(true);
      // Python's repr and JavaScript's String both print the shortest decimal that reads back
      // as the same double; only the exponent form differs (1e-05 vs 0.00001).
      response.prediction.results.forEach((r, i) => {
        const repr = c.reprs[i] as string;
        if (repr.includes('e')) expect(Number(repr)).toBe(r.score);
        else expect(String(r.score)).toBe(repr);
      });
    }
  });

  it.each([0, 1, 3])(
    'is the same on %i worker threads, one request at a time and in one batch',
    async (workers) => {
      const threaded = await createModel({ mode: 'offline', modelPath: OVA_MODEL, workers });
      try {
        const requests = fixture.cases.map((c) => ({
          lang: 'en',
          page_title: 'ARTICLE',
          features_str: c.features_str,
          threshold: c.threshold,
        }));
        const expected = fixture.cases.map((c) =>
          JSON.parse(c.json.replace('"ARTICLE"', '"https://en.wikipedia.org/wiki/ARTICLE"')),
        );
        for (const [i, request] of requests.entries()) {
          expect(await threaded.predict(request)).toEqual(expected[i]);
        }
        const batch = await threaded.predictMany(requests);
        expect(batch).toEqual(expected.map((value) => ({ ok: true, value })));
      } finally {
        await threaded.close();
      }
    },
  );

  it('covers ties (equal scores keep fastText order) and a threshold that keeps some', () => {
    const all = fixture.cases.map((c) => c.reprs.length);
    expect(all.some((n) => n > 0 && n < 64)).toBe(true);
    expect(fixture.cases.some((c) => new Set(c.reprs).size < c.reprs.length)).toBe(true);
  });

  it('builds the article URL from the title as given, the page id, or the wiki of wiki_id', async () => {
    const article = async (request: object) =>
      (await model.predict({ features_str: 'Q1', ...request } as never)).prediction.article;
    expect(await article({ lang: 'en', page_title: 'Albert Einstein' })).toBe(
      'https://en.wikipedia.org/wiki/Albert Einstein',
    );
    expect(await article({ lang: 'de', page_id: 42 })).toBe(
      'https://de.wikipedia.org/wiki?curid=42',
    );
    expect(await article({ wiki_id: 'alswiki', page_id: '7' })).toBe(
      'https://als.wikipedia.org/wiki?curid=7',
    );
    expect(await article({ wiki_id: 'alswiki', lang: 'fr', page_id: 7 })).toBe(
      'https://fr.wikipedia.org/wiki?curid=7',
    );
    expect(wiki.requests).toHaveLength(0);
  });

  it('compares the threshold in double precision, and debug means every topic', async () => {
    const features = fixture.cases[5]?.features_str as string;
    const all = (
      await model.predict({ lang: 'en', page_id: 1, features_str: features, debug: true })
    ).prediction.results;
    expect(all).toHaveLength(64);
    const score = all[1]?.score as number;
    const above = await model.predict({
      lang: 'en',
      page_id: 1,
      features_str: features,
      threshold: score,
    });
    expect(above.prediction.results).toEqual(all.filter((r) => r.score >= score));
    // The next double up: no float32 score lies in between, yet `score` itself is now excluded.
    const justAbove = score + score * Number.EPSILON;
    expect(justAbove).toBeGreaterThan(score);
    const fewer = await model.predict({
      lang: 'en',
      page_id: 1,
      features_str: features,
      threshold: justAbove,
    });
    expect(fewer.prediction.results).toEqual(all.filter((r) => r.score > score));
    expect(fewer.prediction.results.length).toBeLessThan(above.prediction.results.length);
  });
});

describe('outlinks of the current page', () => {
  it('keeps existing articles with a Wikidata item, resolves redirects, and looks the title up first', async () => {
    wiki.requests.length = 0;
    const features = await outlinks(
      { host: 'en.wikipedia.org', pageTitle: 'Einstein' },
      { lang: 'en', page_title: 'Einstein' },
    );
    expect(features).toBe(`${PHYSICS} ${ULM}`);
    expect(wiki.requests[0]?.path).toBe('/en.wikipedia.org/w/api.php');
    expect(Object.fromEntries(wiki.requests[0]?.params ?? [])).toMatchObject({
      action: 'query',
      titles: 'Einstein',
    });
    expect(wiki.requests[0]?.params.has('redirects')).toBe(false);
    expect(Object.fromEntries(wiki.requests[1]?.params ?? [])).toMatchObject({
      action: 'query',
      generator: 'links',
      redirects: '',
      prop: 'pageprops',
      ppprop: 'wikibase_item',
      gplnamespace: '0',
      gpllimit: '500',
      pageids: '1',
      format: 'json',
      formatversion: '2',
    });
  });

  it('follows continue and stops after the batch that takes the set past 1000', async () => {
    wiki.requests.length = 0;
    const features = await gatherOutlinks(mediawiki(), { host: 'en.wikipedia.org', pageId: 8 });
    expect(features).toEqual(words.slice(0, 1500));
    expect(wiki.requests).toHaveLength(3);
    expect(wiki.requests[2]?.params.get('gplcontinue')).toBe('1000');
    const limited = await gatherOutlinks(
      mediawiki(),
      { host: 'en.wikipedia.org', pageId: 8 },
      { limit: 499 },
    );
    expect(limited).toHaveLength(500);
  });

  it('fails, rather than score a part of the links, when the links continue past 100 requests', async () => {
    wiki.requests.length = 0;
    const error = await model.predict({ lang: 'en', page_id: 9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaWikiError);
    expect(error).toMatchObject({ apiCode: 'toomanyrequests', permanent: true });
    expect(wiki.requests).toHaveLength(100);
    expect(wiki.requests[99]?.params.get('gplcontinue')).toBe(String(99 * 500));
  });

  it('scores a title that does not exist as a page without links, as Lift Wing does', async () => {
    wiki.requests.length = 0;
    const response = await model.predict({ lang: 'en', page_title: 'Nothing here' });
    const empty = await model.predict({ lang: 'en', page_title: 'Nothing here', features_str: '' });
    expect(response).toEqual(empty);
    expect(wiki.requests).toHaveLength(1);
  });

  it('scores a redirect title by the links of the redirect page itself', async () => {
    const target = { host: 'en.wikipedia.org', pageTitle: 'Old name' };
    expect(await outlinks(target, { lang: 'en', page_title: 'Old name' })).toBe(ULM);
  });
});

describe('outlinks of a revision', () => {
  it('parses the revision, keeps existing namespace-0 links, then asks for their items', async () => {
    wiki.requests.length = 0;
    const target = { host: 'en.wikipedia.org', revisionId: 100 };
    const request = { lang: 'en', page_id: 1, revision_id: 100 };
    expect(await outlinks(target, request)).toBe(`${PHYSICS} ${ULM}`);
    expect(Object.fromEntries(wiki.requests[0]?.params ?? [])).toMatchObject({
      action: 'parse',
      oldid: '100',
      prop: 'links',
    });
    expect(wiki.requests[1]?.params.get('titles')).toBe('Physics|Ulm|No item');
  });

  it('asks for titles in batches of at most 50 titles and 6000 bytes', async () => {
    wiki.requests.length = 0;
    await model.predict({ lang: 'en', page_title: 'X', revision_id: 200 });
    const batches = () =>
      wiki.requests.slice(1).map((r) => (r.params.get('titles') ?? '').split('|'));
    expect(batches().map((b) => b.length)).toEqual([29, 29, 2]);
    expect(batches().flat()).toEqual(longTitles);
    wiki.requests.length = 0;
    await model.predict({ lang: 'en', page_title: 'X', revision_id: 300 });
    expect(batches().map((b) => b.length)).toEqual([50, 10]);
  });

  it.each([
    ['404', 'nosuchrevid'],
    ['403', 'permissiondenied'],
  ])('answers revision %s (%s) with 400 {"detail": ...}', async (rev, code) => {
    const error = await model
      .handle({ lang: 'en', page_id: 1, revision_id: Number(rev) })
      .catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.status).toBe(400);
    expect(error.toResponseBody()).toEqual({
      detail: `Cannot fetch revision ${rev} on en.wikipedia.org: MediaWiki API error '${code}'.`,
    });
  });

  it('lets other MediaWiki errors through as MediaWikiError', async () => {
    const error = await model.predict({ lang: 'en', page_id: 1, revision_id: 500 }).catch((e) => e);
    expect(error).not.toBeInstanceOf(InputError);
    expect(error.code).toBe('mediawiki_error');
    expect(error.apiCode).toBe('badvalue');
  });
});

describe('batches', () => {
  it('predictMany: input order, per-item errors, progress', async () => {
    const progress: number[] = [];
    const results = await model.predictMany(
      [
        { lang: 'en', page_title: 'Einstein' },
        { lang: 'en' } as never,
        { lang: 'en', page_id: 1, revision_id: 404 },
        { lang: 'en', page_id: 1, features_str: 'Q1 Q2' },
        { lang: 'en', page_id: 1, features_str: 'Q1\nQ2' },
      ],
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true, false]);
    expect(results[0]).toEqual({
      ok: true,
      value: await model
        .predict({ lang: 'en', page_id: 1, features_str: `${PHYSICS} ${ULM}` })
        .then((r) => ({
          prediction: { ...r.prediction, article: 'https://en.wikipedia.org/wiki/Einstein' },
        })),
    });
    expect(results[1]?.ok === false && results[1].error.message).toBe(
      'You must pass either `page_title` or `page_id`.',
    );
    expect(results[2]?.ok === false && results[2].error).toBeInstanceOf(InputError);
    expect(progress.at(-1)).toBe(5);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('handleMany: raw bodies checked as handle checks them, scored together, in order', async () => {
    const bodies = [
      `{"lang": "en", "page_id": 1, "features_str": "${PHYSICS} ${ULM}", "threshold": 0.1}`,
      '{"lang": "en", "page_id": 1, "features_str": "Q1", "threshold": 1}',
      '{"lang": "en", "page_id": 1',
      `{"lang": "en", "page_id": 1, "features_str": "${ULM}"}`,
    ];
    const progress: number[] = [];
    const results = await model.handleMany(
      bodies.map((rawBody) => ({ rawBody })),
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    for (const i of [0, 3]) {
      expect(results[i]).toEqual({
        ok: true,
        value: await model.handle(undefined, { rawBody: bodies[i] }),
      });
    }
    // Lift Wing's server rejects an integer threshold; only the raw text tells 1 from 1.0.
    const rejected = model.handle(undefined, { rawBody: bodies[1] });
    await expect(rejected).rejects.toThrow(
      results[1]?.ok === false ? results[1].error.message : 'results[1] should have failed',
    );
    expect(results[2]?.ok === false && results[2].error.message).toMatch(
      /^Unrecognized request format/,
    );
    expect(progress.at(-1)).toBe(4);
  });

  it('predictMany takes a batch of 200,000 requests (no argument list that large)', async () => {
    const local = await createModel({ mode: 'offline', modelPath: OVA_MODEL, workers: 0 });
    try {
      const requests = Array.from({ length: 200_000 }, (_, i) => ({
        lang: 'en',
        page_id: i + 1,
        features_str: PHYSICS,
        threshold: 0.5 + (i % 2) / 4,
      }));
      const results = await local.predictMany(requests);
      expect(results).toHaveLength(200_000);
      expect(results.every((result) => result.ok)).toBe(true);
      expect(results[1]).toEqual({ ok: true, value: await local.predict(requests[1]!) });
    } finally {
      await local.close();
    }
  }, 60_000);

  it('scoreFeatures gives the results of predict for each string', async () => {
    const texts = fixture.cases.map((c) => c.features_str);
    const done: number[] = [];
    const topics = model.scoreFeatures(texts, { threshold: 0.01, onProgress: (d) => done.push(d) });
    expect(done.at(-1)).toBe(texts.length);
    for (const [i, text] of texts.entries()) {
      const one = await model.predict({
        lang: 'en',
        page_id: 1,
        features_str: text,
        threshold: 0.01,
      });
      expect(topics[i]).toEqual(one.prediction.results);
    }
    expect(scoreFeatures(fastText, texts.slice(0, 3))).toEqual(
      model.scoreFeatures(texts.slice(0, 3)),
    );
  });

  it('is not available online', async () => {
    const online = await createModel({ mode: 'online', client: { userAgent: USER_AGENT } });
    expect(() => online.scoreFeatures(['Q1'])).toThrow(/offline/);
  });
});

describe('loading through the registry and cache', () => {
  let root: string;
  let bytes: Buffer;

  beforeAll(async () => {
    bytes = await readFile(OVA_MODEL);
    root = await mkdtemp(join(tmpdir(), 'liftwing-outlink-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('downloads, verifies and loads model.bin of the requested version', async () => {
    const tree = await startArtifactServer({
      [`${PUBLISHED_ROOT}articletopic/outlink/fixture-1/model.bin`]: bytes,
    });
    const registry = join(root, 'registry.json');
    await writeFile(
      registry,
      JSON.stringify({
        schemaVersion: 1,
        modelsUrl: tree.url,
        models: [
          {
            name: 'outlink-topic-model',
            alias: 'outlink',
            package: '@liftwing/outlink',
            description: 'fixture',
            modes: ['online', 'offline'],
            request: { fields: {} },
            modelCard: null,
            apiDocs: null,
            versions: [
              {
                id: 'fixture-1',
                modelVersion: null,
                status: 'staging',
                pin: null,
                artifacts: [
                  {
                    name: 'model.bin',
                    path: 'articletopic/outlink/fixture-1/model.bin',
                    format: 'fasttext-bin',
                    size: bytes.length,
                    sha256: sha256(bytes),
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    try {
      const loaded = await createModel({
        mode: 'offline',
        version: 'fixture-1',
        registry,
        cacheDir: join(root, 'cache'),
        userAgent: USER_AGENT,
        env: {},
        mediawiki: new MediaWikiClient({ userAgent: USER_AGENT }),
      });
      expect(loaded.version).toBe('fixture-1');
      expect(loaded.fastText?.nlabels).toBe(64);
      const request = {
        lang: 'en',
        page_id: 1,
        features_str: fixture.cases[9]?.features_str as string,
      };
      expect(await loaded.predict(request)).toEqual(await model.predict(request));
    } finally {
      await tree.close();
    }
  });
});
