import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a loopback server saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The decoded path, without the query. */
  path: string;
  /** The form parameters of a form POST, else the query parameters. */
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A scripted answer: JSON unless `body` is a string or a Buffer. */
export interface Answer {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string | number>;
  body?: unknown;
  /** Wait this long before the response head. */
  delayMs?: number;
}

/** Answers a request, by writing to `response` or by returning the answer to send. */
export type Handler = (
  request: SeenRequest,
  response: ServerResponse,
  // biome-ignore lint/suspicious/noConfusingVoidType: an async handler that writes the response itself returns Promise<void>
) => void | Answer | Promise<void | Answer>;

/** A running server on 127.0.0.1. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the Host header clients send. */
  host: string;
  /** Every request, in the order they ended. */
  requests: SeenRequest[];
  /** Ends every open connection (stalled answers included) and stops listening. */
  close(): Promise<void>;
}

function paramsOf(method: string, url: URL, contentType: string | undefined, body: string) {
  return method === 'POST' && (contentType ?? '').startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(body)
    : url.searchParams;
}

/** Sends `answer` on `response`. */
export async function reply(response: ServerResponse, answer: Answer): Promise<void> {
  if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
  if (response.destroyed) return;
  const raw = typeof answer.body === 'string' || Buffer.isBuffer(answer.body);
  const body = raw ? (answer.body as string | Buffer) : JSON.stringify(answer.body ?? {});
  response.writeHead(answer.status ?? 200, {
    'content-type': raw ? 'text/plain' : 'application/json',
    'content-length': Buffer.byteLength(body),
    ...answer.headers,
  });
  response.end(body);
}

/** Sends `body` as JSON with `status` and extra headers. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  void reply(response, { status, body, headers });
}

/** Starts a server on 127.0.0.1 (a free port) that records every request and answers with `handle`. */
export async function startLoopbackServer(handle: Handler): Promise<LoopbackServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const method = req.method ?? '';
      const url = new URL(req.url ?? '/', 'http://loopback');
      const body = Buffer.concat(chunks).toString('utf8');
      const seen: SeenRequest = {
        method,
        url: req.url ?? '/',
        path: decodeURIComponent(url.pathname),
        params: paramsOf(method, url, req.headers['content-type'], body),
        headers: req.headers,
        body,
      };
      requests.push(seen);
      try {
        const answer = await handle(seen, res);
        if (answer) await reply(res, answer);
      } catch (error) {
        // A failing handler is a broken test: answer 500 with the reason rather than hang.
        if (!res.headersSent) reply(res, { status: 500, body: String(error) });
        else res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
