import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sendJson, startLoopbackServer } from '@liftwing/test-utils';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/index.js';
import {
  allWikipedias,
  findWiki,
  isWikipediaLanguage,
  resolveWiki,
  wikipediaLanguages,
} from '../src/model-kit.js';

describe('wiki table', () => {
  it('resolves language codes, wiki ids and hosts to one wiki', () => {
    const als = { lang: 'gsw', wikiId: 'alswiki', host: 'als.wikipedia.org' };
    expect(resolveWiki({ wikiId: 'alswiki' })).toMatchObject(als);
    expect(resolveWiki({ lang: 'gsw' })).toMatchObject(als);
    expect(resolveWiki({ lang: 'als' })).toMatchObject(als);
    expect(resolveWiki({ host: 'als.wikipedia.org' })).toMatchObject(als);
    expect(resolveWiki({ wikiId: 'be_x_oldwiki' })).toMatchObject({
      lang: 'be-tarask',
      host: 'be-tarask.wikipedia.org',
    });
    expect(resolveWiki({ lang: 'en' })).toMatchObject({
      wikiId: 'enwiki',
      host: 'en.wikipedia.org',
    });
  });

  it("applies Lift Wing's aliases: be-x-old is be-tarask, test is scored as en", () => {
    expect(resolveWiki({ lang: 'be-x-old' }).wikiId).toBe('be_x_oldwiki');
    expect(resolveWiki({ lang: 'test' }).wikiId).toBe('enwiki');
    expect(isWikipediaLanguage('test')).toBe(true);
  });

  it('agrees with the host rewrites Lift Wing applies to language codes', () => {
    const rewrites = {
      'be-x-old': 'be-tarask',
      yue: 'zh-yue',
      gsw: 'als',
      sgs: 'bat-smg',
      nan: 'zh-min-nan',
      lzh: 'zh-classical',
    };
    for (const [lang, subdomain] of Object.entries(rewrites)) {
      expect(findWiki({ lang })?.host).toBe(`${subdomain}.wikipedia.org`);
    }
  });

  it('lists open, public Wikipedias only as valid languages', () => {
    const languages = wikipediaLanguages();
    expect(languages).toContain('en');
    expect(languages).toContain('gsw');
    expect(languages).not.toContain('aa'); // closed
    expect(findWiki({ lang: 'aa' })?.closed).toBe(true);
    expect(languages.length).toBe(allWikipedias().filter((w) => !w.closed && !w.private).length);
    expect(languages.length).toBeGreaterThan(300);
    expect(isWikipediaLanguage('enwiki')).toBe(false);
  });

  it('reports an unknown wiki as InputError', () => {
    expect(() => resolveWiki({ lang: 'www' })).toThrow(InputError);
    expect(findWiki({ wikiId: 'nosuchwiki' })).toBeUndefined();
  });
});

describe('tools/sync-wikis.ts', () => {
  it('builds the table from a sitematrix response (formatversion=2)', async () => {
    const sitematrix = {
      sitematrix: {
        count: 3,
        '0': {
          code: 'gsw',
          name: 'Alemannisch',
          site: [
            {
              url: 'https://als.wikipedia.org',
              dbname: 'alswiki',
              code: 'wiki',
              sitename: 'Wikipedia',
            },
            {
              url: 'https://als.wiktionary.org',
              dbname: 'alswiktionary',
              code: 'wiktionary',
              closed: true,
            },
          ],
        },
        '1': {
          code: 'aa',
          site: [{ url: 'https://aa.wikipedia.org', dbname: 'aawiki', code: 'wiki', closed: true }],
        },
      },
    };
    const fake = await startLoopbackServer((_req, res) => sendJson(res, 200, sitematrix));
    const dir = await mkdtemp(join(tmpdir(), 'liftwing-sync-'));
    try {
      const out = join(dir, 'wikis.json');
      const root = new URL('../../../', import.meta.url).pathname;
      const url = `${fake.url}/w/api.php?action=sitematrix&format=json&formatversion=2&smtype=language`;
      await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', join(root, 'tools/sync-wikis.ts'), '--url', url, '--out', out],
        { cwd: root },
      );
      expect(fake.requests[0]?.url).toContain('action=sitematrix');
      expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
        source: url,
        wikis: [
          { code: 'aa', dbname: 'aawiki', host: 'aa.wikipedia.org', closed: true },
          { code: 'gsw', dbname: 'alswiki', host: 'als.wikipedia.org' },
        ],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await fake.close();
    }
  }, 30_000);
});
