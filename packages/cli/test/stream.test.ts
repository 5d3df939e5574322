import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canaryEvent,
  predictionChangeEvent,
  recentChangeEvent,
  startFakeEventStreams,
} from '@liftwing/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/cli.js';
import type { CliIo } from '../src/deps.js';
import { fakeDeps, fakeIo } from './helpers/fakes.js';
import { startChild } from './helpers/run-cli.js';

const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-stream-cli-'));
});
afterEach(async () => {
  for (const running of children.splice(0)) if (running.exitCode === null) running.kill('SIGKILL');
  for (const close of closers.splice(0)) await close();
  await rm(dir, { recursive: true, force: true });
});

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function liftwing(args: string[], env: Record<string, string> = {}, stdin = '') {
  const { io, stdout, stderr } = fakeIo(stdin, env);
  const { deps, created } = fakeDeps();
  const code = await run(args, io, deps);
  return { code, stdout: stdout.text, stderr: stderr.text, created };
}

describe('liftwing stream', () => {
  it('scores a JSONL file of events with the model its definition maps them to', async () => {
    const path = join(dir, 'events.jsonl');
    await writeFile(
      path,
      [
        recentChangeEvent({ revId: 5, wiki: 'dewiki' }),
        recentChangeEvent({ revId: 6, kind: 'log' }),
        recentChangeEvent({ revId: 7, bot: true }),
        recentChangeEvent({ revId: 8 }),
      ]
        .map((event) => `${JSON.stringify(event)}\n`)
        .join(''),
    );
    const out = await liftwing(['stream', 'revertrisk', '--from', path, '--filter', 'bot=false']);
    expect(out.code).toBe(0);
    const written = lines(out.stdout);
    // The fake model echoes the request the definition made.
    expect(written.map((line) => (line.prediction as { echo: unknown }).echo)).toEqual([
      { lang: 'de', rev_id: 5 },
      { lang: 'en', rev_id: 8 },
    ]);
    expect((written[0]!.event as { wiki: string }).wiki).toBe('dewiki');
    expect(out.stderr).toMatch(
      /^3 processed: 2 scored, 0 failed, 1 not for revertrisk, 1 filtered out, .*\/s/,
    );
  });

  it('reads EventStreams, writes a file and carries on from its checkpoint', async () => {
    const server = await startFakeEventStreams({
      streams: {
        'mediawiki.recentchange': [
          canaryEvent(),
          ...Array.from({ length: 5 }, (_, i) => recentChangeEvent({ revId: i + 1 })),
        ],
      },
    });
    closers.push(server.close);
    const env = { LIFTWING_EVENTSTREAMS_URL: server.url, LIFTWING_USER_AGENT: 'me@example.org' };
    const to = join(dir, 'out.jsonl');
    const checkpoint = join(dir, 'checkpoint.json');
    const args = ['stream', 'revertrisk', '--from', 'eventstreams:mediawiki.recentchange'];
    const first = await liftwing(
      [...args, '--to', to, '--checkpoint', checkpoint, '--limit', '3'],
      env,
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    const second = await liftwing(
      [...args, '--to', to, '--checkpoint', checkpoint, '--limit', '2'],
      env,
    );
    expect(second.code).toBe(0);
    const revs = lines(await readFile(to, 'utf8')).map(
      (line) => (line.request as { rev_id: number }).rev_id,
    );
    expect(revs).toEqual([1, 2, 3, 4, 5]);
    expect(server.connections[0]!.headers['user-agent']).toMatch(
      /^liftwing\/\S+ \(me@example\.org\)/,
    );
  });

  it('says what is wrong in flag terms', async () => {
    const fake = await liftwing(['stream', 'fake', '--from', '-']);
    expect(fake.code).toBe(2);
    expect(fake.stderr).toMatch(
      /^liftwing: fake-model cannot score events: @fake\/fake does not say how an event becomes its request\. Models that can: outlink, revertrisk\./,
    );
    const noFrom = await liftwing(['stream', 'revertrisk']);
    expect(noFrom.stderr).toContain('Name the events to score: --from eventstreams:');
    const typo = await liftwing([
      'stream',
      'revertrisk',
      '--from',
      '-',
      '--filter',
      'wikis=enwiki',
    ]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--filter: Unknown filter key wikis; keys: wiki,');
    expect(typo.stderr).toContain('Did you mean wiki?');
    const since = await liftwing(['stream', 'revertrisk', '--from', '-', '--since', '2026-01-01']);
    expect(since.stderr).toContain('--since applies to --from eventstreams:<stream>');
    const flag = await liftwing(['stream', 'revertrisk', '--from', '-', '--limt', '3']);
    expect(flag.stderr).toContain('Unknown option --limt. Did you mean --limit?');
    const model = await liftwing(['stream', 'revertrisc', '--from', '-']);
    expect(model.stderr).toContain('No model revertrisc. Did you mean revertrisk');
  });

  it('on SIGTERM finishes what it read, writes the checkpoint and exits 0', async () => {
    const checkpoint = join(dir, 'checkpoint.json');
    const to = join(dir, 'out.jsonl');
    // stdin stays open, as a live source does: the run ends on SIGTERM, not at its end.
    const run = startChild(
      ['stream', 'revertrisk', '--from', '-', '--to', to, '--checkpoint', checkpoint],
      {},
      { stdin: null, running: children },
    );
    const { proc, out } = run;
    for (let i = 1; i <= 3; i++)
      proc.stdin!.write(`${JSON.stringify(recentChangeEvent({ revId: i }))}\n`);
    // The fake model says `handling` for each request it gets.
    const deadline = Date.now() + 20_000;
    while ((out.stdout.match(/handling/g) ?? []).length < 3) {
      if (Date.now() > deadline) throw new Error(`no answers: ${JSON.stringify(out)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    proc.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(lines(await readFile(to, 'utf8'))).toHaveLength(3);
    expect(JSON.parse(await readFile(checkpoint, 'utf8')).position).toBe(3);
    expect(out.stderr).toContain('3 processed: 3 scored');
  });
});

describe('liftwing watch', () => {
  it("prints Lift Wing's predictions, filtered", async () => {
    const stream = 'mediawiki.page_revert_risk_prediction_change.v1';
    const server = await startFakeEventStreams({
      streams: {
        [stream]: [
          predictionChangeEvent({
            stream,
            revId: 1,
            model: 'rr',
            probabilities: { true: 0.95, false: 0.05 },
          }),
          predictionChangeEvent({
            stream,
            revId: 2,
            model: 'rr',
            probabilities: { true: 0.1, false: 0.9 },
          }),
          predictionChangeEvent({
            stream,
            revId: 3,
            model: 'rr',
            probabilities: { true: 0.99, false: 0.01 },
          }),
        ],
      },
    });
    closers.push(server.close);
    const out = await liftwing(
      ['watch', stream, '--filter', 'prediction=true,score=0.9', '--limit', '2'],
      { LIFTWING_EVENTSTREAMS_URL: server.url },
    );
    expect(out.code).toBe(0);
    expect(lines(out.stdout)).toEqual([
      expect.objectContaining({ rev_id: 1, model: 'rr', predictions: ['true'] }),
      expect.objectContaining({ rev_id: 3, probabilities: { true: 0.99, false: 0.01 } }),
    ]);
  });

  it('carries on after the last line printed with --checkpoint, and refuses a checkpoint of another source', async () => {
    const stream = 'mediawiki.page_revert_risk_prediction_change.v1';
    const events = [1, 2, 3, 4, 5].map((revId) =>
      predictionChangeEvent({ stream, revId, model: 'rr', probabilities: { true: 0.9 } }),
    );
    const server = await startFakeEventStreams({ streams: { [stream]: events } });
    closers.push(server.close);
    const env = { LIFTWING_EVENTSTREAMS_URL: server.url };
    const checkpoint = join(dir, 'watch.checkpoint');
    const revs = (out: { stdout: string }) => lines(out.stdout).map((line) => line.rev_id);

    const first = await liftwing(
      ['watch', stream, '--checkpoint', checkpoint, '--limit', '2'],
      env,
    );
    expect(first.code).toBe(0);
    expect(revs(first)).toEqual([1, 2]);
    const kept = JSON.parse(await readFile(checkpoint, 'utf8'));
    expect(kept.source).toBe(`eventstreams:${stream}`);
    expect(JSON.parse(kept.position)).toEqual([
      expect.objectContaining({ topic: `eqiad.${stream}`, offset: 1 }),
    ]);

    // --since is for a first run: the checkpoint wins.
    const second = await liftwing(
      [
        'watch',
        stream,
        '--checkpoint',
        checkpoint,
        '--limit',
        '2',
        '--since',
        '2020-01-01T00:00:00Z',
      ],
      env,
    );
    expect(second.code).toBe(0);
    expect(revs(second)).toEqual([3, 4]);
    expect(server.connections.at(-1)?.headers['last-event-id']).toBe(kept.position);
    expect(server.connections.at(-1)?.since).toBeNull();

    const other = await liftwing(
      ['watch', 'mediawiki.page_outlink_topic_prediction_change.v1', '--checkpoint', checkpoint],
      env,
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(
      `The checkpoint file ${checkpoint} is of the source eventstreams:${stream}, not eventstreams:mediawiki.page_outlink_topic_prediction_change.v1; name another file for this source.`,
    );
    expect(revs(other)).toEqual([]);

    // A file that could not be kept is refused before a line is printed.
    const nowhere = join(dir, 'no-such-folder', 'watch.checkpoint');
    const refused = await liftwing(['watch', stream, '--checkpoint', nowhere], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`The checkpoint file ${nowhere} cannot be written`);
    expect(refused.stdout).toBe('');
  });

  it('on SIGTERM keeps where the printed lines end, and exits 0', async () => {
    const stream = 'mediawiki.page_revert_risk_prediction_change.v1';
    const events = [1, 2, 3].map((revId) =>
      predictionChangeEvent({ stream, revId, model: 'rr', probabilities: { true: 0.9 } }),
    );
    // The stream stays open after its last event, as a live one does.
    const server = await startFakeEventStreams({ streams: { [stream]: events } });
    closers.push(server.close);
    const checkpoint = join(dir, 'watch.checkpoint');
    const { io, stdout } = fakeIo('', { LIFTWING_EVENTSTREAMS_URL: server.url });
    const signals = new EventEmitter();
    io.signals = signals as unknown as CliIo['signals'];
    const running = run(['watch', stream, '--checkpoint', checkpoint], io, fakeDeps().deps);
    const deadline = Date.now() + 20_000;
    while (lines(stdout.text).length < 3) {
      if (Date.now() > deadline) throw new Error(`no predictions: ${stdout.text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    const kept = JSON.parse(await readFile(checkpoint, 'utf8'));
    expect(JSON.parse(kept.position)).toEqual([expect.objectContaining({ offset: 2 })]);
  });

  it('suggests a prediction stream for a typo', async () => {
    const out = await liftwing(['watch', 'mediawiki.page_revert_risk_predicton.v1']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(
      'is no prediction stream. Did you mean mediawiki.page_revert_risk_prediction_change.v1?',
    );
  });
});
