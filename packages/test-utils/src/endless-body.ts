import type { ServerResponse } from 'node:http';

/** What a server that streams an endless body saw of its client. */
export interface EndlessBody {
  /** Body bytes handed to the socket so far. */
  bytesSent: number;
  /** Resolves when the response ends: `true` when the client closed it before the server was done. */
  closed: Promise<boolean>;
}

/** How {@link streamEndless} answers. */
export interface EndlessOptions {
  /** Default 200. */
  status?: number;
  /** Sent once before the repeated chunks, e.g. the start of a JSON document that never ends. */
  prefix?: Buffer;
  /** Repeated until the client hangs up. */
  chunk: Buffer;
  /** The server ends normally after this many bytes, which a client with a working limit never sees. */
  giveUpAfter?: number;
}

/**
 * Answers with a chunked body that goes on until the client hangs up. Writes respect
 * back-pressure, so `bytesSent` is what the client read plus what the socket buffers hold.
 */
export function streamEndless(res: ServerResponse, options: EndlessOptions): EndlessBody {
  const { chunk, giveUpAfter = 1 << 30 } = options;
  const state: EndlessBody = {
    bytesSent: 0,
    closed: new Promise((resolve) => {
      res.on('close', () => resolve(!res.writableFinished));
    }),
  };
  res.writeHead(options.status ?? 200, { 'content-type': 'application/json' });
  if (options.prefix) {
    res.write(options.prefix);
    state.bytesSent += options.prefix.length;
  }
  const pump = () => {
    while (!res.destroyed && state.bytesSent < giveUpAfter) {
      state.bytesSent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
  return state;
}
