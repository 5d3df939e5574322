import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/**
 * A loopback HTTP proxy that sends every request, whatever host it names, to one upstream
 * (`upstream`, `host:port`), and records the host each one asked for. A host that does not
 * exist can then only be reached through it.
 */
export async function startProxy(upstream: { host: string; port: number }): Promise<{
  url: string;
  targets: string[];
  close: () => Promise<void>;
}> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    // Forward proxying: the request line holds the absolute URL.
    targets.push(new URL(req.url ?? '').host);
    const forwarded = httpRequest(
      {
        ...upstream,
        method: req.method,
        path: new URL(req.url ?? '').pathname + new URL(req.url ?? '').search,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forwarded);
  });
  // Tunnelling: CONNECT host:port, then raw bytes both ways.
  server.on('connect', (req, client: Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    const tunnel = connect(upstream.port, upstream.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      tunnel.write(head);
      tunnel.pipe(client);
      client.pipe(tunnel);
    });
    for (const socket of [client, tunnel]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
