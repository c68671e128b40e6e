import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { StateError } from '../../../src/errors/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, testConfig, uniqueName, waitFor } from '../helpers.js';
import { readUntil, valueOf } from './transaction-helpers.js';

/** Issue 18 item 1 through the client: client.transform() runs on the client's configuration and its close() stops it. */
describe('client.transform(): exactly-once consume-transform-produce through the ConnectionManager', function () {
  this.timeout(120_000);

  it('transforms every input once (read_committed), and the client\'s close() stops the transform; transform() needs a ready client', async () => {
    const input = uniqueName('tx-client-in');
    const output = uniqueName('tx-client-out');
    await createTopic(input, 2);
    await createTopic(output, 2);
    const cm = new ConnectionManager(testConfig());
    assert.throws(() => cm.transform({ groupId: 'g', inputTopics: [input], transactionalId: 'x', transform: () => [] }), (e: unknown) => e instanceof StateError);
    await cm.initialize();
    const N = 200;
    try {
      for (let i = 0; i < N; i++) await cm.producer.publish(newMessage(input, `v${i}`).withKey(`k${i % 5}`));
      let committed = 0;
      const t = cm.transform({
        groupId: uniqueName('tx-client-g'),
        inputTopics: [input],
        transactionalId: uniqueName('tx-client-id'),
        transform: (m) => [newMessage(output, `${m.value!.toString()}!`).withKey(m.key!.toString())],
        onCommit: (info) => {
          committed += info.inputs;
        },
      });
      await t.start();
      await waitFor(() => committed >= N, 60_000, 'every input committed');
      const seen = await readUntil([output], 'read_committed', (all) => all.length >= N, 45_000, 2);
      assert.deepEqual(seen.map(valueOf).sort(), Array.from({ length: N }, (_, i) => `v${i}!`).sort());
      await cm.close();
      assert.equal(t.state, 'stopped', 'stopped by the client\'s close()');
    } finally {
      await cm.close().catch(() => undefined);
    }
  });
});
