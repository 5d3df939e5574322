import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of Wikimedia's EventStreams (server-sent events over KafkaSSE), as its docs and
 * KafkaSSE's README describe it: `GET <base>/<stream>[,<stream>...]`, each event's `id` a JSON
 * array of `{topic, partition, offset}` (or `timestamp`) positions, resume from `Last-Event-ID`
 * (offsets resume after the offset; timestamps, as Kafka's offsetsForTimes, at the first event of
 * that time or later, so the last event seen comes again), `?since=` (ISO 8601 or milliseconds),
 * and a 403 for a User-Agent it refuses.
 */

/** One connection, as the fake saw it. */
export interface EventStreamsConnection {
  path: string;
  headers: IncomingHttpHeaders;
  /** `since` of the query, if any. */
  since: string | null;
  /** Events written on this connection. */
  written: number;
  /** Whether the socket pushed back (a write returned false) at least once. */
  pushedBack: boolean;
}

export interface FakeEventStreamsOptions {
  /** The events of each stream, in publication order. */
  streams: Record<string, readonly Record<string, unknown>[]>;
  /**
   * Events after which the server drops the connection, one number per connection in turn
   * (`[3, 2]`: the first connection after 3 events, the second after 2, later ones never).
   */
  dropAfter?: readonly number[];
  /** Positions in ids: Kafka offsets (default) or timestamps, as EventStreams sends today. */
  positions?: 'offset' | 'timestamp';
  /** Answers 403 to a request whose User-Agent this refuses; default: none refused. */
  refuseUserAgent?: (userAgent: string | undefined) => boolean;
  /** After the last event: keep the connection open (default, as a live stream) or end it. */
  atEnd?: 'hold' | 'end';
  /** Path prefix of the streams; default `/v2/stream/`. */
  base?: string;
}

export interface FakeEventStreams {
  /** The base URL, `http://127.0.0.1:<port>/v2/stream/`. */
  url: string;
  connections: EventStreamsConnection[];
  close(): Promise<void>;
}

interface Stored {
  topic: string;
  offset: number;
  timestamp: number;
  data: string;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeEventStreams(
  options: FakeEventStreamsOptions,
): Promise<FakeEventStreams> {
  const base = options.base ?? '/v2/stream/';
  const positions = options.positions ?? 'offset';
  const byStream = new Map<string, Stored[]>();
  for (const [stream, events] of Object.entries(options.streams)) {
    byStream.set(
      stream,
      events.map((event, offset) => {
        const meta = (event.meta ?? {}) as { dt?: string };
        return {
          topic: `eqiad.${stream}`,
          offset,
          timestamp: Date.parse(meta.dt ?? '2026-01-01T00:00:00Z') + offset,
          data: JSON.stringify(event),
        };
      }),
    );
  }
  const connections: EventStreamsConnection[] = [];

  const handle = (
    path: string,
    query: URLSearchParams,
    headers: IncomingHttpHeaders,
    res: ServerResponse,
  ) => {
    if (options.refuseUserAgent?.(headers['user-agent'])) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Please set a user-agent and respect our robot policy https://w.wiki/4wJS.');
      return;
    }
    const names = decodeURIComponent(path.slice(base.length)).split(',');
    const unknown = names.filter((name) => !byStream.has(name));
    if (!path.startsWith(base) || unknown.length > 0) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ title: 'Not Found', detail: `No such stream: ${unknown.join(',')}` }),
      );
      return;
    }
    // Every event of the streams asked for, merged in time order.
    const all = names
      .flatMap((name) => byStream.get(name)!)
      .sort((a, b) => a.timestamp - b.timestamp || a.topic.localeCompare(b.topic));
    const start = new Map<string, { offset?: number; timestamp?: number }>();
    const lastEventId = headers['last-event-id'];
    if (typeof lastEventId === 'string' && lastEventId !== '') {
      for (const position of JSON.parse(lastEventId) as {
        topic: string;
        offset?: number;
        timestamp?: number;
      }[]) {
        start.set(position.topic, position);
      }
    }
    const since = query.get('since');
    const sinceMs =
      since === null ? undefined : /^\d+$/.test(since) ? Number(since) : Date.parse(since);
    const pending = all.filter((event) => {
      const from = start.get(event.topic);
      if (from?.offset !== undefined) return event.offset > from.offset;
      if (from?.timestamp !== undefined) return event.timestamp >= from.timestamp;
      if (start.size > 0) return true;
      return sinceMs === undefined || event.timestamp >= sinceMs;
    });
    const connection: EventStreamsConnection = {
      path,
      headers,
      since,
      written: 0,
      pushedBack: false,
    };
    connections.push(connection);
    const dropAfter = options.dropAfter?.[connections.length - 1];
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    res.write(':ok\n\nretry: 2000\n\n');
    // The latest position of every topic asked for, as KafkaSSE's ids carry.
    const latest = new Map<string, Record<string, unknown>>(
      names.map((name) => [`eqiad.${name}`, { topic: `eqiad.${name}`, partition: 0, offset: -1 }]),
    );
    let i = 0;
    const next = () => {
      while (i < pending.length) {
        if (dropAfter !== undefined && connection.written >= dropAfter) {
          // Cut the connection once what was written has left: the chunked body never ends.
          res.socket?.destroySoon();
          return;
        }
        const event = pending[i++]!;
        latest.set(
          event.topic,
          positions === 'offset'
            ? { topic: event.topic, partition: 0, offset: event.offset }
            : { topic: event.topic, partition: 0, timestamp: event.timestamp },
        );
        const id = JSON.stringify([...latest.values()]);
        connection.written++;
        if (!res.write(`event: message\nid: ${id}\ndata: ${event.data}\n\n`)) {
          connection.pushedBack = true;
          res.once('drain', next);
          return;
        }
      }
      if (options.atEnd === 'end') res.end();
    };
    next();
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    res.on('error', () => {});
    handle(url.pathname, url.searchParams, req.headers, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
