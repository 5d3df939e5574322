import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  type BatchResult,
  type ChangeEvent,
  InputError,
  type RawRequest,
  resolveSettings,
  wikipediaRevision,
} from '@liftwing/core';
import { recentChangeEvent, startFakeEventStreams } from '@liftwing/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  eventStreamsSource,
  jsonlSink,
  jsonlSource,
  parseFilter,
  runStream,
  type ScoredItem,
  type SourceItem,
  type StreamSink,
  scoreEvents,
} from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-stream-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const requestFromEvent = (event: ChangeEvent) => wikipediaRevision(event);

/** A model that answers `{"score": rev_id}`, fails revision 13, and records its batches. */
function fakeModel(delayMs = 0) {
  const batches: unknown[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    batches,
    get maxInFlight() {
      return maxInFlight;
    },
    async handleMany(raws: readonly RawRequest[]): Promise<BatchResult<unknown>[]> {
      const bodies = raws.map((raw) => raw.body);
      batches.push(bodies);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      inFlight--;
      return bodies.map((body) => {
        const { rev_id } = body as { rev_id: number };
        return rev_id === 13
          ? { ok: false, error: new InputError('revision 13 is missing', { status: 422 }) }
          : { ok: true, value: { score: rev_id } };
      });
    },
  };
}

/** The lines a sink over a PassThrough received. */
function memorySink() {
  const output = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  output.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const part of parts) lines.push(JSON.parse(part));
  });
  return { sink: jsonlSink(output, 'memory'), lines };
}

async function* itemsOf(events: unknown[]): AsyncGenerator<SourceItem> {
  for (const [i, event] of events.entries()) yield { event, position: i + 1 };
}

async function collect(items: AsyncIterable<ScoredItem>): Promise<ScoredItem[]> {
  const all: ScoredItem[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('scoreEvents', () => {
  it('yields a result for every event in order: predictions, errors, skips', async () => {
    const events = [
      recentChangeEvent({ revId: 11 }),
      recentChangeEvent({ revId: 12, kind: 'log' }),
      recentChangeEvent({ revId: 13 }),
      recentChangeEvent({ revId: 14, bot: true }),
      [1, 2],
      recentChangeEvent({ revId: 15 }),
    ];
    const model = fakeModel();
    const items = await collect(
      scoreEvents(itemsOf(events), { model, requestFromEvent, filter: parseFilter('bot=false') }),
    );
    expect(items.map((item) => item.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(items[0]).toMatchObject({
      request: { lang: 'en', rev_id: 11 },
      prediction: { score: 11 },
    });
    expect(items[1]).toMatchObject({ skipped: 'not-scored' });
    expect(items[2]).toMatchObject({
      request: { rev_id: 13 },
      error: 'revision 13 is missing',
      code: 'invalid_input',
      status: 422,
    });
    expect(items[3]).toMatchObject({ skipped: 'filtered' });
    expect(items[4]).toMatchObject({ error: expect.stringMatching(/^Not an event/) });
    expect(items[5]).toMatchObject({ prediction: { score: 15 } });
  });

  it('keeps at most `concurrency` batches in flight and reads no further ahead', async () => {
    const model = fakeModel(5);
    let pulled = 0;
    let yielded = 0;
    let maxAhead = 0;
    async function* counted(): AsyncGenerator<SourceItem> {
      for (let i = 0; i < 400; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - yielded);
        yield { event: recentChangeEvent({ revId: 100 + i }), position: i };
      }
    }
    for await (const _ of scoreEvents(counted(), {
      model,
      requestFromEvent,
      batchSize: 10,
      concurrency: 3,
    })) {
      yielded++;
    }
    expect(yielded).toBe(400);
    expect(model.maxInFlight).toBeLessThanOrEqual(3);
    // What is in flight, the batch being formed and the one event read ahead.
    expect(maxAhead).toBeLessThanOrEqual(3 * 10 + 10 + 1);
    expect(Math.max(...model.batches.map((batch) => batch.length))).toBe(10);
  });

  it('stops after `limit` events the filter keeps', async () => {
    const events = Array.from({ length: 20 }, (_, i) =>
      recentChangeEvent({ revId: 100 + i, bot: i % 2 === 0 }),
    );
    const items = await collect(
      scoreEvents(itemsOf(events), {
        model: fakeModel(),
        requestFromEvent,
        filter: parseFilter('bot=false'),
        limit: 3,
      }),
    );
    expect(items.filter((item) => 'prediction' in item)).toHaveLength(3);
  });
});

describe('runStream', () => {
  const file = async (events: unknown[], extra = '') => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, `${events.map((e) => JSON.stringify(e)).join('\n')}\n${extra}`);
    return path;
  };

  it('writes every event of a JSONL file, an error line for a bad one, and checkpoints', async () => {
    const path = await file(
      [recentChangeEvent({ revId: 1 }), recentChangeEvent({ revId: 13 })],
      'not json\n',
    );
    const checkpoint = join(dir, 'checkpoint.json');
    const { sink, lines } = memorySink();
    const summary = await runStream({
      source: jsonlSource({ path, checkpoint }),
      sink,
      model: fakeModel(),
      requestFromEvent,
    });
    expect(summary).toMatchObject({ processed: 3, scored: 1, failed: 2, interrupted: false });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ request: { rev_id: 1 }, prediction: { score: 1 } });
    expect(lines[1]).toMatchObject({ error: 'revision 13 is missing', status: 422 });
    expect(lines[2]).toMatchObject({
      line: 3,
      error: expect.stringMatching(/^Line 3 is not JSON/),
    });
    expect(JSON.parse(await readFile(checkpoint, 'utf8'))).toMatchObject({
      source: path,
      position: 3,
    });

    // More lines later: a second run takes only those.
    await writeFile(
      path,
      `${await readFile(path, 'utf8')}${JSON.stringify(recentChangeEvent({ revId: 4 }))}\n`,
    );
    const again = memorySink();
    await runStream({
      source: jsonlSource({ path, checkpoint }),
      sink: again.sink,
      model: fakeModel(),
      requestFromEvent,
    });
    expect(again.lines.map((line) => (line.request as { rev_id: number }).rev_id)).toEqual([4]);
  });

  it('moves the checkpoint only past what the sink has', async () => {
    const path = await file(
      Array.from({ length: 10 }, (_, i) => recentChangeEvent({ revId: i + 1 })),
    );
    const checkpoint = join(dir, 'checkpoint.json');
    let written = 0;
    const failing: StreamSink = {
      name: 'failing',
      async write() {
        if (written === 6) throw new Error('the disk is full');
        written++;
      },
      async flush() {},
      async close() {},
    };
    await expect(
      runStream({
        source: jsonlSource({ path, checkpoint }),
        sink: failing,
        model: fakeModel(),
        requestFromEvent,
        commitEvery: 1,
      }),
    ).rejects.toThrow('the disk is full');
    const kept = JSON.parse(await readFile(checkpoint, 'utf8')).position;
    expect(kept).toBe(6);
  });

  it('refuses, before reading an event, a checkpoint file in a folder that does not exist', async () => {
    const input = new PassThrough();
    input.end(`${JSON.stringify(recentChangeEvent({ revId: 1 }))}\n`);
    const checkpoint = join(dir, 'missing', 'checkpoint.json');
    const { sink, lines } = memorySink();
    const model = fakeModel();
    await expect(
      runStream({
        source: jsonlSource({ path: '-', input, checkpoint }),
        sink,
        model,
        requestFromEvent,
      }),
    ).rejects.toThrow(
      `The checkpoint file ${checkpoint} cannot be written: its folder ${join(dir, 'missing')} does not exist; create it, or name a file elsewhere.`,
    );
    expect(lines).toEqual([]);
  });

  it('refuses a checkpoint file larger than a checkpoint can be, reading no more of it', async () => {
    const checkpoint = join(dir, 'checkpoint.json');
    await writeFile(checkpoint, `{"source":"x","position":"${'9'.repeat(70_000)}"}`);
    const { sink, lines } = memorySink();
    await expect(
      runStream({
        source: jsonlSource({ path: '-', input: new PassThrough(), checkpoint }),
        sink,
        model: fakeModel(),
        requestFromEvent,
      }),
    ).rejects.toThrow(
      `The checkpoint file ${checkpoint} is larger than a checkpoint can be (64 KiB); name another file, or remove it to start afresh.`,
    );
    expect(lines).toEqual([]);
  });

  it('on its signal, finishes what it read, writes and commits it', async () => {
    const input = new PassThrough();
    const checkpoint = join(dir, 'checkpoint.json');
    const controller = new AbortController();
    const { sink, lines } = memorySink();
    for (let i = 1; i <= 5; i++)
      input.write(`${JSON.stringify(recentChangeEvent({ revId: i }))}\n`);
    const run = runStream({
      source: jsonlSource({ path: '-', input, checkpoint }),
      sink,
      model: fakeModel(30),
      requestFromEvent,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 10);
    const summary = await run;
    expect(summary.interrupted).toBe(true);
    expect(lines.length).toBe(summary.processed);
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(checkpoint, 'utf8')).position).toBe(lines.length);
  });

  it('carries an EventStreams run on from its checkpoint', async () => {
    const server = await startFakeEventStreams({
      streams: {
        'mediawiki.recentchange': Array.from({ length: 6 }, (_, i) =>
          recentChangeEvent({ revId: i + 1 }),
        ),
      },
    });
    try {
      const settings = resolveSettings({ eventStreamsUrl: server.url }, {});
      const checkpoint = join(dir, 'checkpoint.json');
      const source = () =>
        eventStreamsSource({ streams: ['mediawiki.recentchange'], checkpoint, settings });
      const first = memorySink();
      await runStream({
        source: source(),
        sink: first.sink,
        model: fakeModel(),
        requestFromEvent,
        limit: 4,
      });
      const second = memorySink();
      await runStream({
        source: source(),
        sink: second.sink,
        model: fakeModel(),
        requestFromEvent,
        limit: 2,
      });
      const revs = (lines: Record<string, unknown>[]) =>
        lines.map((line) => (line.request as { rev_id: number }).rev_id);
      expect(revs(first.lines)).toEqual([1, 2, 3, 4]);
      expect(revs(second.lines)).toEqual([5, 6]);
      expect(server.connections[1]!.headers['last-event-id']).toBe(
        JSON.parse(await readFile(checkpoint, 'utf8')).position.replace(/"offset":5/, '"offset":3'),
      );
    } finally {
      await server.close();
    }
  });

  it('refuses a checkpoint file of another source', async () => {
    const path = await file([recentChangeEvent({ revId: 1 })]);
    const checkpoint = join(dir, 'checkpoint.json');
    await writeFile(
      checkpoint,
      JSON.stringify({ source: 'eventstreams:x', position: 'y', at: '' }),
    );
    const { sink } = memorySink();
    await expect(
      runStream({
        source: jsonlSource({ path, checkpoint }),
        sink,
        model: fakeModel(),
        requestFromEvent,
      }),
    ).rejects.toThrow(/is of the source eventstreams:x, not .*events\.jsonl; name another file/);
  });
});
