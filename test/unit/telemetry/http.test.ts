import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { serveMetrics } from '../../../src/telemetry/http.js';

describe('serveMetrics (the /metrics HTTP helper)', () => {
  it('serves GET /metrics in the Prometheus text format, 404 elsewhere, and closes', async () => {
    const registry = new Registry();
    new Counter({ name: 'probe_total', help: 'h', registers: [registry] }).inc(3);
    const m = await serveMetrics(registry, { port: 0 });
    try {
      const ok = await fetch(`http://127.0.0.1:${m.port}/metrics`);
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(await ok.text(), /^probe_total 3$/m);
      assert.equal((await fetch(`http://127.0.0.1:${m.port}/other`)).status, 404);
    } finally {
      await m.close();
    }
  });

  it('a port in use rejects with InvalidArgumentError naming it (no uncaught error event, no pending promise)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const outcome = await Promise.race([
        serveMetrics(new Registry(), { port }).then((m) => m.close().then(() => 'listened')),
        new Promise((resolve) => setTimeout(() => resolve('pending'), 2000)),
      ]).catch((e: unknown) => e);
      assert.ok(outcome instanceof InvalidArgumentError, `expected an InvalidArgumentError, got ${String(outcome)}`);
      assert.match(outcome.message, new RegExp(`127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
