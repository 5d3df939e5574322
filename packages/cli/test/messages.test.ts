/**
 * What a newcomer's mistakes get: a message that says what was wrong, the closest thing that
 * exists ("did you mean"), what to run next, and exit code 2.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureModel, Registry } from '@liftwing/core';
import { definition as outlink } from '@liftwing/outlink/definition';
import { type ArtifactServer, startArtifactServer } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions, UsageError, unknownPredictOption } from '../src/args.js';
import { run } from '../src/cli.js';
import type { CliDeps } from '../src/deps.js';
import { closest, editDistance } from '../src/suggest.js';
import { fakeDeps, fakeIo } from './helpers/fakes.js';

/** Runs `argv` with fake deps: the exit code and what stderr said, without the `liftwing: `. */
async function said(argv: string[], overrides: Partial<CliDeps> = {}) {
  const { deps } = fakeDeps(overrides);
  const { io, stderr, stdout } = fakeIo();
  const code = await run(argv, io, deps);
  expect(stdout.text).toBe('');
  return { code, message: stderr.text.replace(/^liftwing: /, '').trimEnd() };
}

describe('evaluate, compare and drift', () => {
  it.each([
    [['evaluate'], 'Name a model: liftwing evaluate <model>[@<version>] --input labelled.jsonl'],
    [
      ['evaluate', 'outlink'],
      'evaluate needs --input, a JSONL file of requests, each with its "label" (- reads stdin).',
    ],
    [
      ['evaluate', 'fake', '--input', 'x.jsonl'],
      'fake-model cannot be evaluated: @fake/fake does not say what its scores and labels are (its definition has no `evaluation`). Update the package, or ask its maintainers to describe them.',
    ],
    [
      ['evaluate', 'revertrisk', '--input', 'x.jsonl', '--threshold', '0.9'],
      'revertrisk is a yes/no model: give its thresholds with --thresholds 0.5,0.9 (--threshold is for models of many labels).',
    ],
    [
      ['evaluate', 'revertrisk', '--input', 'x.jsonl', '--thresholds', '0.5,2'],
      '--thresholds takes numbers between 0 and 1; got "2".',
    ],
    [
      ['evaluate', 'outlink', '--input', 'x.jsonl', '--bins', '5'],
      'outlink gives many labels: --thresholds and --bins are for yes/no models; give one --threshold.',
    ],
    [
      ['evaluate', 'outlink', '--input', '/nonexistent/x.jsonl'],
      "Cannot read --input /nonexistent/x.jsonl: ENOENT: no such file or directory, access '/nonexistent/x.jsonl'",
    ],
    [
      ['compare', 'outlink@1', 'outlink', '--input', 'x.jsonl'],
      'Give both versions (liftwing compare <model>@<A> <model>@<B> --input requests.jsonl): a registry version, production, staging, or online for the Lift Wing gateway.',
    ],
    [
      ['compare', 'outlink@1', 'outlink@1', '--input', 'x.jsonl'],
      'Both sides are outlink@1; name two versions.',
    ],
    [
      ['compare', 'outlink@1', 'outlink@2'],
      'compare needs --input, a JSONL file of requests (- reads stdin): liftwing compare <model>@<A> <model>@<B> --input requests.jsonl',
    ],
    [['drift', 'outlink'], 'drift needs --current, a JSONL file of the requests of now.'],
    [
      ['drift', 'outlink', '--current', 'x.jsonl', '--fail-on', 'big'],
      '--fail-on takes moderate or major, not "big".',
    ],
    [
      ['drift', 'outlink', '--current', '-', '--reference', '-'],
      'Only one of --reference and --current can be stdin (-).',
    ],
    [
      ['drift', 'outlink', '--current', 'x.jsonl'],
      'Give --reference, a JSONL file of requests to measure against: the registry records no reference sample (reference-sample.jsonl) for outlink.',
    ],
  ])('%j says what is missing: exit 2', async (argv, message) => {
    expect(await said(argv)).toEqual({ code: 2, message });
  });
});

describe('suggestions', () => {
  it('count a swap of two letters as one edit', () => {
    expect(editDistance('versoin', 'version')).toBe(1);
    expect(editDistance('outlnk', 'outlink')).toBe(1);
    expect(editDistance('', 'ls')).toBe(2);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('keep what is close, closest first, and prefixes after near misses', () => {
    expect(closest('prdict', ['models', 'pull', 'predict', 'serve'])).toEqual(['predict']);
    expect(closest('Outlink', ['outlink', 'revertrisk'])).toEqual(['outlink']);
    expect(closest('frob', ['ls', 'verify', 'prune', 'path', 'add', 'rm'])).toEqual([]);
    expect(closest('revert', ['outlink', 'revertrisk', 'revertrisk-wikidata'])).toEqual([
      'revertrisk',
      'revertrisk-wikidata',
    ]);
  });
});

describe('unknown options', () => {
  it.each([
    [
      ['--versoin'],
      'Unknown option --versoin. Did you mean --version? Run `liftwing --help` for its options.',
    ],
    [
      ['--hlep'],
      'Unknown option --hlep. Did you mean --help? Run `liftwing --help` for its options.',
    ],
    [['-x'], 'Unknown option -x. Run `liftwing --help` for its options.'],
    [
      ['models', '--chek'],
      'Unknown option --chek. Did you mean --check? Run `liftwing models --help` for its options.',
    ],
    [
      ['cache', 'prune', '--dryrun'],
      'Unknown option --dryrun. Did you mean --dry-run? Run `liftwing cache --help` for its options.',
    ],
    [
      ['pull', 'outlink', '--jsno'],
      'Unknown option --jsno. Did you mean --json? Run `liftwing pull --help` for its options.',
    ],
    [
      ['models', '--frobnicate'],
      'Unknown option --frobnicate. Run `liftwing models --help` for its options.',
    ],
  ])('%j says what it is and what it is close to: exit 2', async (argv, message) => {
    expect(await said(argv)).toEqual({ code: 2, message });
  });

  it("of predict suggest the model's request flags and predict's own options", () => {
    const parse = (...args: string[]) => {
      try {
        parseOptions(
          'predict',
          ['outlink', ...args],
          {
            offline: { type: 'boolean' },
            'page-title': { type: 'string' },
            lang: { type: 'string' },
          },
          unknownPredictOption(outlink),
        );
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error('parsed');
    };
    expect(parse('--pag-title', 'Douglas_Adams')).toMatch(
      /^--pag-title does not apply to outlink-topic-model\. Did you mean --page-title\? Its flags: --lang, .*--page-title.*; or give the request as JSON with --input\. Run `liftwing predict outlink --help` for more\.$/,
    );
    expect(parse('--ofline')).toBe(
      'Unknown option --ofline. Did you mean --offline? Run `liftwing predict outlink --help` for every option.',
    );
    expect(parse('--rev-id', '1')).toMatch(
      /^--rev-id does not apply to outlink-topic-model\. Its flags: /,
    );
  });
});

describe('unknown commands', () => {
  it.each([
    [['prdict'], 'Unknown command prdict. Did you mean predict? Run `liftwing --help` for usage.'],
    [
      ['frobnicate'],
      'Unknown command frobnicate. Commands: models, pull, predict, evaluate, compare, drift, serve, cache, stream, watch. Run `liftwing --help` for usage.',
    ],
    [
      ['help', 'srve'],
      'Unknown command srve. Did you mean serve? Run `liftwing --help` for usage.',
    ],
    [
      ['cache', 'frob'],
      'Unknown cache command frob; use ls, verify, prune, path, add or rm. Run `liftwing cache --help` for what each does.',
    ],
    [
      ['cache', 'lss'],
      'Unknown cache command lss. Did you mean ls? Run `liftwing cache --help` for what each does.',
    ],
    [
      ['cache'],
      'Name a cache command: ls, verify, prune, path, add or rm. Run `liftwing cache --help` for what each does.',
    ],
    [
      ['cache', 'rm'],
      'liftwing cache rm <model>@<version>: takes one argument, not 0. Run `liftwing cache --help` for what each does.',
    ],
    [
      ['cache', 'ls', 'extra'],
      'liftwing cache ls: takes no arguments (got extra). Run `liftwing cache --help` for what each does.',
    ],
  ])('%j says what was wrong and what exists: exit 2', async (argv, message) => {
    expect(await said(argv)).toEqual({ code: 2, message });
  });
});

describe('unknown models', () => {
  it('suggest the closest, by the alias users type, with its Lift Wing name', async () => {
    expect(await said(['predict', 'outlnk', '--lang', 'en'])).toEqual({
      code: 2,
      message:
        'No model outlnk. Did you mean outlink (outlink-topic-model)? `liftwing models` lists them.',
    });
    expect((await said(['pull', 'revertrisk-language-agnostc'])).message).toBe(
      'No model revertrisk-language-agnostc. Did you mean revertrisk (revertrisk-language-agnostic)? `liftwing models` lists them.',
    );
  });

  it('list every model, aliases first, when none is close', async () => {
    expect(await said(['predict', 'nope', '--input', '{}'])).toEqual({
      code: 2,
      message:
        'No model nope. Models: outlink (outlink-topic-model), revertrisk (revertrisk-language-agnostic), ' +
        'fake (fake-model), ghost-model. `liftwing models` lists them.',
    });
  });
});

describe('unknown versions', () => {
  // The real registry's answer for the version asked of the offline check (made, with
  // --no-download, before the model loads; a download on first use gets the same error from
  // core's ensureModel).
  const findCached: CliDeps['findCached'] = async (model, version) => {
    const resolved = Registry.builtIn({ env: {} }).resolve(`${model.name}@${version}`);
    return { ref: resolved.ref, version: resolved.version.id, cached: true, cacheDir: '/cache' };
  };

  it('list the versions there are and the commands for a later one', async () => {
    const { code, message } = await said(
      [
        'predict',
        'outlink@99999',
        '--offline',
        '--no-download',
        '--lang',
        'en',
        '--page-title',
        'X',
      ],
      { findCached },
    );
    expect(code).toBe(2);
    expect(message).toBe(
      'outlink has no version 99999. Its versions: 20221111111111 (production), 20220727080723 (archived). ' +
        '`liftwing pull outlink@<version>` fetches a version published after this release; ' +
        '`liftwing models --check` says whether Lift Wing runs a newer one.',
    );
    expect(message).not.toContain('discover');
  });

  it('name only the aliases that resolve', async () => {
    const { code, message } = await said(
      [
        'predict',
        'outlink@staging',
        '--offline',
        '--no-download',
        '--lang',
        'en',
        '--page-title',
        'X',
      ],
      { findCached },
    );
    expect(code).toBe(2);
    expect(message).toBe(
      'outlink has no staging version. Its versions: 20221111111111 (production), 20220727080723 (archived). ' +
        'Name one as outlink@<version>, or outlink@production or outlink@latest.',
    );
  });

  it('carry the versions in --json', async () => {
    const { deps } = fakeDeps({ findCached });
    const { io, stderr } = fakeIo();
    const argv = [
      'predict',
      'outlink@99999',
      '--offline',
      '--no-download',
      '--input',
      '{}',
      '--json',
    ];
    expect(await run(argv, io, deps)).toBe(2);
    const { error } = JSON.parse(stderr.text);
    expect(error).toMatchObject({
      code: 'unknown_version',
      model: 'outlink-topic-model',
      requested: '99999',
    });
    expect(error.versions[0]).toEqual({
      id: '20221111111111',
      status: 'production',
      modelVersion: 'alloutlinks_202209',
    });
  });

  describe('after pull looked in the published tree', () => {
    let tree: ArtifactServer;
    let cacheDir: string;
    beforeAll(async () => {
      tree = await startArtifactServer();
      // outlink's directory of the published tree lists only the version the catalogue has.
      tree.files.set('/published/wmf-ml-models/articletopic/outlink/20221111111111/model.bin', {
        body: Buffer.from('x'),
      });
      cacheDir = await mkdtemp(join(tmpdir(), 'liftwing-cli-messages-'));
    });
    afterAll(async () => {
      await tree.close();
      await rm(cacheDir, { recursive: true, force: true });
    });

    it('say that it is not there either, and do not send the user back to pull', async () => {
      const pull: CliDeps['pull'] = async (model, version) => {
        await ensureModel(`${model.name}@${version}`, {
          modelsUrl: tree.url,
          cacheDir,
          userAgent: 'tests@example.org',
          env: {},
        });
        throw new Error('found a version that does not exist');
      };
      const { code, message } = await said(['pull', 'outlink@99999'], { pull });
      expect(code).toBe(2);
      expect(message).toBe(
        "outlink has no version 99999, neither in this release's catalogue nor in the published model tree. " +
          'Its versions: 20221111111111 (production), 20220727080723 (archived). ' +
          '`liftwing models --check` says whether Lift Wing runs a newer one.',
      );
    });
  });
});

describe('what a server or a file said', () => {
  it('reaches the terminal with its control characters written out, never run', async () => {
    const hostile = 'down \x1b]0;pwned\x07 \x1b[2J now\r\nsecond line';
    const { code, message } = await said(['models'], {
      listModels: async () => {
        throw new Error(hostile);
      },
    });
    expect(code).toBe(1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must not reach the terminal
    expect(message).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(message).toContain('down \\u001b]0;pwned\\u0007 \\u001b[2J now\\u000d\nsecond line');
  });
});
