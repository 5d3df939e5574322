import { HttpError, resolveSettings } from '@liftwing/core';
import {
  canaryEvent,
  predictionChangeEvent,
  recentChangeEvent,
  startFakeEventStreams,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  eventStream,
  FilterError,
  parseEventStreamsPosition,
  parseFilter,
  predictionStream,
  type StreamedEvent,
} from '../src/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function fake(options: Parameters<typeof startFakeEventStreams>[0]) {
  const server = await startFakeEventStreams(options);
  closers.push(server.close);
  const settings = resolveSettings(
    { eventStreamsUrl: server.url, userAgent: 'stream-test/1.0 (test@example.org)' },
    {},
  );
  return { server, settings };
}

/** The first `n` events of `stream`. */
async function take<T extends StreamedEvent>(stream: AsyncIterable<T>, n: number): Promise<T[]> {
  const events: T[] = [];
  if (n === 0) return events;
  for await (const event of stream) {
    events.push(event);
    if (events.length === n) break;
  }
  return events;
}

const FAST = { baseDelayMs: 5, maxDelayMs: 20, jitter: 0 };
const edits = (n: number) =>
  Array.from({ length: n }, (_, i) => recentChangeEvent({ revId: i + 1 }));

describe('eventStream', () => {
  for (const positions of ['offset', 'timestamp'] as const) {
    it(`resumes a dropped connection from Last-Event-ID (${positions}s) with no event lost or repeated`, async () => {
      const { server, settings } = await fake({
        streams: { 'mediawiki.recentchange': edits(10) },
        dropAfter: [3, 4],
        positions,
      });
      const reconnects: string[] = [];
      const events = await take(
        eventStream('mediawiki.recentchange', {
          settings,
          reconnect: FAST,
          onReconnect: (info) => reconnects.push(info.reason),
        }),
        10,
      );
      expect(events.map((e) => e.change.revId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(server.connections).toHaveLength(3);
      expect(server.connections[0]!.headers['last-event-id']).toBeUndefined();
      // The second connection resumes from the third event's position.
      expect(server.connections[1]!.headers['last-event-id']).toBe(events[2]!.position);
      expect(parseEventStreamsPosition(events[2]!.position!)[0]).toMatchObject({
        topic: 'eqiad.mediawiki.recentchange',
        partition: 0,
      });
      expect(reconnects).toHaveLength(2);
    });
  }

  it('starts from a position kept from an earlier run', async () => {
    const { server, settings } = await fake({ streams: { 'mediawiki.recentchange': edits(6) } });
    const first = await take(eventStream('mediawiki.recentchange', { settings }), 2);
    const rest = await take(
      eventStream('mediawiki.recentchange', { settings, lastEventId: first[1]!.position }),
      4,
    );
    expect(rest.map((e) => e.change.revId)).toEqual([3, 4, 5, 6]);
    expect(server.connections[1]!.headers['last-event-id']).toBe(first[1]!.position);
  });

  it('asks for `since` on the first connection only, then resumes from the last event', async () => {
    const events = edits(6).map((event, i) => ({
      ...event,
      meta: { ...(event.meta as object), dt: `2026-01-0${i + 1}T00:00:00.000Z` },
    }));
    const { server, settings } = await fake({
      streams: { 'mediawiki.recentchange': events },
      dropAfter: [1],
    });
    const read = await take(
      eventStream('mediawiki.recentchange', {
        settings,
        since: '2026-01-04T00:00:00Z',
        reconnect: FAST,
      }),
      3,
    );
    expect(read.map((e) => e.change.revId)).toEqual([4, 5, 6]);
    expect(server.connections[0]!.since).toBe('2026-01-04T00:00:00.000Z');
    expect(server.connections[1]!.since).toBeNull();
    expect(server.connections[1]!.headers['last-event-id']).toBeDefined();
  });

  it('drops canary events and those the filter does not keep', async () => {
    const { settings } = await fake({
      streams: {
        'mediawiki.recentchange': [
          canaryEvent(),
          recentChangeEvent({ revId: 1 }),
          recentChangeEvent({ revId: 2, bot: true }),
          recentChangeEvent({ revId: 3, wiki: 'dewiki' }),
          canaryEvent(),
          recentChangeEvent({ revId: 4, namespace: 1 }),
          recentChangeEvent({ revId: 5, kind: 'new' }),
          recentChangeEvent({ revId: 6 }),
        ],
      },
    });
    const events = await take(
      eventStream(['mediawiki.recentchange'], {
        settings,
        filter: parseFilter('wiki=enwiki|en.wikipedia.org,bot=false', 'namespace=0'),
      }),
      3,
    );
    expect(events.map((e) => e.change.revId)).toEqual([1, 5, 6]);
    const created = await take(
      eventStream('mediawiki.recentchange', { settings, filter: parseFilter('type=new') }),
      1,
    );
    expect(created.map((e) => e.change.revId)).toEqual([5]);
  });

  it("sends the settings' User-Agent, and a 403 says what to set", async () => {
    const { server, settings } = await fake({
      streams: { 'mediawiki.recentchange': edits(1) },
      refuseUserAgent: (agent) => !agent?.includes('@'),
    });
    await take(eventStream('mediawiki.recentchange', { settings }), 1);
    expect(server.connections[0]!.headers['user-agent']).toMatch(
      /^stream-test\/1\.0 \(test@example\.org\) liftwing\//,
    );
    const anonymous = resolveSettings({ eventStreamsUrl: server.url }, {});
    const failure = await take(eventStream('mediawiki.recentchange', { settings: anonymous }), 1)
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HttpError);
    expect((failure as HttpError).status).toBe(403);
    expect((failure as HttpError).message).toMatch(
      /^EventStreams \(mediawiki.recentchange\) refused the connection \(HTTP 403: Please set a user-agent.*set LIFTWING_USER_AGENT/,
    );
  });

  it('fails at once on an unknown stream, and gives up on a server that stays away', async () => {
    const { server, settings } = await fake({ streams: { 'mediawiki.recentchange': edits(1) } });
    await expect(take(eventStream('mediawiki.nosuch', { settings }), 1)).rejects.toMatchObject({
      status: 404,
      message: expect.stringMatching(/answered HTTP 404 .*No such stream: mediawiki\.nosuch/),
    });
    expect(server.connections).toHaveLength(0);
    const busy = await startLoopbackServer(() => ({ status: 503, body: 'busy' }));
    closers.push(busy.close);
    const away = resolveSettings({ eventStreamsUrl: `${busy.url}/v2/stream/` }, {});
    await expect(
      take(eventStream('x', { settings: away, reconnect: { ...FAST, retries: 2 } }), 1),
    ).rejects.toMatchObject({ status: 503 });
    expect(busy.requests).toHaveLength(3);
  });

  it('reads the socket no faster than the reader: a slow reader pushes back on the server', async () => {
    const padding = 'x'.repeat(2000);
    const many = Array.from({ length: 5000 }, (_, i) => ({
      ...recentChangeEvent({ revId: i + 1 }),
      comment: padding,
    }));
    const { server, settings } = await fake({ streams: { 'mediawiki.recentchange': many } });
    const stream = eventStream('mediawiki.recentchange', { settings, buffer: 16 });
    const first = await stream.next();
    expect(first.value?.change.revId).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const connection = server.connections[0]!;
    expect(connection.pushedBack).toBe(true);
    expect(connection.written).toBeLessThan(many.length);
    await stream.return();
  });

  it('replaces a connection that goes silent, from its last event, and never gives up on a quiet stream', async () => {
    // The fake holds the connection open after its events and sends nothing more, as a stalled
    // connection (or a quiet stream) looks.
    const { server, settings } = await fake({ streams: { 'mediawiki.recentchange': edits(3) } });
    const controller = new AbortController();
    const reasons: string[] = [];
    const read: number[] = [];
    for await (const event of eventStream('mediawiki.recentchange', {
      settings,
      idleTimeoutMs: 300,
      reconnect: { ...FAST, retries: 2 },
      signal: controller.signal,
      onReconnect: (info) => {
        reasons.push(`${info.reason} (attempt ${info.attempt})`);
        // More silent connections than retries: a quiet stream is no failure.
        if (reasons.length === 4) controller.abort();
      },
    })) {
      read.push(event.change.revId!);
    }
    expect(read).toEqual([1, 2, 3]);
    expect(reasons).toEqual(Array(4).fill('no data for 0.3 s (attempt 1)'));
    const last = JSON.parse(server.connections.at(-1)!.headers['last-event-id'] as string);
    expect(last).toEqual([expect.objectContaining({ offset: 2 })]);
  });

  it('does not count the time a slow reader leaves the socket unread as silence', async () => {
    const padding = 'x'.repeat(2000);
    const many = Array.from({ length: 300 }, (_, i) => ({
      ...recentChangeEvent({ revId: i + 1 }),
      comment: padding,
    }));
    const { server, settings } = await fake({ streams: { 'mediawiki.recentchange': many } });
    const stream = eventStream('mediawiki.recentchange', {
      settings,
      buffer: 4,
      idleTimeoutMs: 300,
      reconnect: FAST,
    });
    const read: number[] = [];
    for await (const event of stream) {
      read.push(event.change.revId!);
      if (read.length === many.length) break;
      if (read.length % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 800));
    }
    expect(read).toEqual(many.map((_, i) => i + 1));
    expect(server.connections).toHaveLength(1);
  });

  it('ends, without an error, when its signal fires', async () => {
    const { settings } = await fake({ streams: { 'mediawiki.recentchange': edits(2) } });
    const controller = new AbortController();
    const read: number[] = [];
    for await (const event of eventStream('mediawiki.recentchange', {
      settings,
      signal: controller.signal,
    })) {
      read.push(event.change.revId!);
      if (read.length === 2) setTimeout(() => controller.abort(), 20);
    }
    expect(read).toEqual([1, 2]);
  });
});

describe('predictionStream', () => {
  it('yields each prediction, and keeps the scores the filter asks for', async () => {
    const stream = 'mediawiki.page_revert_risk_prediction_change.v1';
    const { settings } = await fake({
      streams: {
        [stream]: [
          predictionChangeEvent({ stream, revId: 1, probabilities: { true: 0.95, false: 0.05 } }),
          predictionChangeEvent({ stream, revId: 2, probabilities: { true: 0.2, false: 0.8 } }),
          canaryEvent(stream),
          predictionChangeEvent({ stream, revId: 3, probabilities: { true: 0.6, false: 0.4 } }),
          predictionChangeEvent({ stream, revId: 4, probabilities: { true: 0.91, false: 0.09 } }),
        ],
      },
    });
    const all = await take(predictionStream(stream, { settings }), 4);
    expect(all.map((e) => e.prediction.predictions)).toEqual([
      ['true'],
      ['false'],
      ['true'],
      ['true'],
    ]);
    const risky = await take(
      predictionStream(stream, { settings, filter: parseFilter('prediction=true,score=0.9') }),
      2,
    );
    expect(risky.map((e) => e.change.revId)).toEqual([1, 4]);
  });
});

describe('parseFilter', () => {
  it('reads pairs, alternatives and several flags', () => {
    expect(parseFilter('wiki=enwiki|dewiki,namespace=0|1', 'bot=false,score=0.5')).toEqual({
      wiki: ['enwiki', 'dewiki'],
      namespace: [0, 1],
      bot: false,
      score: 0.5,
    });
  });

  it('says what is wrong, and which key it did not know', () => {
    expect(() => parseFilter('wikis=enwiki')).toThrow(FilterError);
    expect(() => parseFilter('wikis=enwiki')).toThrow(/^Unknown filter key wikis; keys: wiki,/);
    try {
      parseFilter('wikis=enwiki');
    } catch (error) {
      expect((error as FilterError).key).toBe('wikis');
    }
    expect(() => parseFilter('namespace=main')).toThrow('a namespace is a number');
    expect(() => parseFilter('bot=yes')).toThrow('use bot=true or bot=false');
    expect(() => parseFilter('score=2')).toThrow('a probability from 0 to 1');
    expect(() => parseFilter('enwiki')).toThrow('is not key=value');
  });
});

describe('parseEventStreamsPosition', () => {
  it('takes an id of the stream and refuses anything else, naming it', () => {
    expect(
      parseEventStreamsPosition('[{"topic":"eqiad.x","partition":0,"timestamp":1700000000000}]'),
    ).toEqual([{ topic: 'eqiad.x', partition: 0, timestamp: 1700000000000 }]);
    expect(() => parseEventStreamsPosition('17', 'The checkpoint file c.json')).toThrow(
      /^The checkpoint file c.json is not an EventStreams position/,
    );
    expect(() => parseEventStreamsPosition('[{"topic":"x"}]')).toThrow(
      'not an EventStreams position',
    );
  });
});
