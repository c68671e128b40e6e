import assert from 'node:assert/strict';
import { Manager } from '../../../src/gocoffee/index.js';
import { REGISTRY_URL, testConfig } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';
// @ts-expect-error: plain ESM script without type declarations
import { killBroker, startBroker, stackStatus } from '../../../scripts/stack-lib.mjs';

/**
 * Stops the local stack's broker (SIGTERM) and starts it again with the same data: the health
 * check turns unhealthy, then healthy. It needs the local stack (the one `npm test` starts); with
 * an external cluster (GOCOFFEE_KAFKA_BROKERS set by you) there is no broker this test may stop.
 */
describe('health follows the broker (local stack)', function () {
  this.timeout(180_000);

  it('turns unhealthy when the broker is stopped and healthy again when it returns', async function () {
    const status = (await stackStatus()) as { running: boolean; brokers: number };
    if (process.env.GOCOFFEE_STACK_VERSIONS === undefined || !status.running) {
      this.skip(); // external cluster: nothing to stop
    }
    const m = new Manager(testConfig({ schemaRegistryUrl: REGISTRY_URL, connectTimeoutMs: 2000 }));
    await m.initialize();
    try {
      assert.equal((await m.healthCheck()).healthy, true);
      const nodes = status.brokers === 3 ? [1, 2, 3] : [1];
      for (const id of nodes) await killBroker(id, 'SIGTERM');
      let down: Awaited<ReturnType<Manager['healthCheck']>> | undefined;
      await waitUntil(async () => !(down = await m.healthCheck()).healthy, 30_000, () => 'unhealthy after the broker stopped');
      assert.match(down!.error!, /metadata request failed/);
      assert.equal(down!.details.registry?.reachable, true, 'the registry is still up');
      for (const id of nodes) await startBroker(id);
      let up: Awaited<ReturnType<Manager['healthCheck']>> | undefined;
      await waitUntil(async () => (up = await m.healthCheck()).healthy, 60_000, () => `healthy again (last: ${up?.error})`);
      assert.ok(up!.details.brokers! >= 1);
    } finally {
      await m.close();
    }
  });
});
