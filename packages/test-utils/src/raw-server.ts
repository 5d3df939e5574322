import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';

/**
 * The self-signed certificate (localhost, 127.0.0.1) of `startRawServer(..., { tls: true })`,
 * made by `tools/test-certificate.sh`. A process trusts it with `NODE_EXTRA_CA_CERTS`.
 */
export const TEST_CERTIFICATE = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));

/**
 * A loopback server that writes raw HTTP, for the misbehaviour node:http will not produce:
 * HTTP/1.0 answers that close the connection, bodies shorter than their Content-Length. With
 * `tls`, it speaks https with {@link TEST_CERTIFICATE}.
 */
export async function startRawServer(
  answer: (socket: Socket, requestHead: string) => void,
  options: { tls?: boolean } = {},
): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      requests.push(head);
      answer(socket, head);
    });
  };
  const server = options.tls
    ? createTlsServer(
        {
          cert: readFileSync(TEST_CERTIFICATE),
          key: readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url)),
        },
        onConnection,
      )
    : createServer(onConnection);
  // A client that refuses the certificate resets the handshake; that is the test's business.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP/1.0 response head that closes the connection after the body. */
export function http10Head(headers: Record<string, string | number>): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `HTTP/1.0 200 OK\r\nConnection: close\r\n${lines.join('')}\r\n`;
}
