/**
 * A local node:http server for the registry client tests: answers each request with the next
 * scripted answer (the last one repeats), and records what it got and when.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: status, body (an object is sent as registry JSON) and content type. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly contentType?: string;
}

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

export interface ScriptedServer {
  readonly url: string;
  readonly server: Server;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

/** A plain 404 page, as an nginx proxy or a Kubernetes ingress sends it. */
export const PROXY_404: Answer = { status: 404, body: '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>', contentType: 'text/html' };
export const BAD_GATEWAY: Answer = { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' };
export const UNAVAILABLE: Answer = { status: 503, body: 'upstream connect error or disconnect/reset before headers', contentType: 'text/plain' };
/** The registry's own "schema not found". */
export const SCHEMA_NOT_FOUND: Answer = { status: 404, body: { error_code: 40403, message: 'Schema 7 not found.' } };
export const SUBJECT_NOT_FOUND: Answer = { status: 404, body: { error_code: 40401, message: "Subject 'x' not found." } };

/** Serves `answers` in order (the last repeats); `route` may answer instead (return true when it did). */
export async function scriptedServer(answers: readonly Answer[], route?: (req: Recorded, res: ServerResponse) => boolean): Promise<ScriptedServer> {
  const requests: Recorded[] = [];
  let next = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() };
      requests.push(rec);
      if (route?.(rec, res) === true) return;
      const a = answers[Math.min(next++, answers.length - 1)];
      if (a === undefined) return; // no answers: never answer
      const text = typeof a.body === 'string' ? a.body : a.body === undefined ? '' : JSON.stringify(a.body);
      res.writeHead(a.status, { 'content-type': a.contentType ?? 'application/vnd.schemaregistry.v1+json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
