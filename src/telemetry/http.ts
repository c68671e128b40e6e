import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * Serves `GET /metrics` (Prometheus text format) from a prom-client registry. Returns the server
 * and its bound port (pass port 0 for an ephemeral one). Other paths answer 404.
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
  await new Promise<void>((resolve) => server.listen(options.port ?? 9464, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
