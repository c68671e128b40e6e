import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { InvalidArgumentError } from '../errors/index.js';

/**
 * Serves `GET /metrics` (Prometheus text format) from a prom-client registry. Returns the server
 * and its bound port (pass port 0 for an ephemeral one). Other paths answer 404. A port that is in
 * use (or an address it cannot bind) rejects with InvalidArgumentError.
 */
export async function serveMetrics(registry: Registry, options: { port?: number; host?: string } = {}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(`metrics collection failed: ${(err as Error).message}\n`),
    );
  });
  const port0 = options.port ?? 9464;
  const host = options.host ?? '127.0.0.1';
  // A port in use (or a host that is not ours) rejects instead of an uncaught 'error' event.
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new InvalidArgumentError('metrics server address', `cannot listen on ${host}:${port0}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' (the port is in use; pick another port, or 0 for an ephemeral one)' : ''}`, { host, port: port0 }));
    };
    server.once('error', onError);
    server.listen(port0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return { server, port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
