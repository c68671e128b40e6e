import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryError } from '../../../src/serde/index.js';
import { SchemaRegistry } from '../../../src/serde/registry.js';

describe('SchemaRegistry client (unit, local HTTP server)', () => {
  let server: Server;
  let requests = 0;
  before(async () => {
    // Accepts every request and never answers: a hung registry.
    server = createServer(() => void requests++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('a registry that never answers fails the lookup with a RegistryError after the request timeout instead of hanging', async function () {
    this.timeout(10_000);
    const { port } = server.address() as AddressInfo;
    const registry = new SchemaRegistry({ url: `http://127.0.0.1:${port}`, timeoutMs: 200 });
    const t0 = Date.now();
    await assert.rejects(registry.schemaById(42), (e: unknown) => e instanceof RegistryError && /could not fetch schema id 42/.test(e.message));
    assert.ok(Date.now() - t0 < 8000);
    assert.ok(requests >= 1);
    registry.close();
  });
});
