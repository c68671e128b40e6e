import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { DedicatedProducer, newMessage, type DeliveryResult } from '../../../src/producer/index.js';
import { InvalidArgumentError, StateError } from '../../../src/errors/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';

/**
 * Producer guarantees chosen per producer (issue 18 item 7) against the real broker. A single
 * broker cannot lose an acknowledged message, nor refuse acks=all for want of replicas (Kafka 4.4
 * caps min.insync.replicas at the replication factor: an RF 1 topic with min.insync.replicas 2
 * takes acks=all produces, measured here), so the difference the choice makes is shown by
 * test/integration/faults/acks-leader-kill.test.ts on three brokers. Here: each choice publishes
 * through every API, acks 'none' says what its promise means, and the lifecycle.
 */
describe('Producer guarantees per producer (createProducer) against the real broker', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;

  beforeEach(async () => {
    cm = new ConnectionManager(testConfig(), { closeTimeoutMs: 5000 });
    await cm.initialize();
  });
  afterEach(async () => {
    await cm.close();
  });

  it("acks 'leader' (not idempotent): publish, send and publishBatch resolve with the offsets the broker assigned", async () => {
    const topic = uniqueName('acks-leader');
    await createTopic(topic, 1);
    const leader = await cm.createProducer({ acks: 'leader', idempotent: false });
    assert.ok(leader instanceof DedicatedProducer);
    assert.deepEqual(leader.guarantees, { acks: 'leader', idempotent: false });
    assert.equal(leader.state, 'ready');

    const first = await leader.publish(newMessage(topic, 'p0').withKey('k'));
    const sent = await new Promise<DeliveryResult>((resolve, reject) => leader.send(newMessage(topic, 's1').withKey('k'), (e, r) => (e ? reject(e) : resolve(r!))));
    const batch = await leader.publishBatch([newMessage(topic, 'b2').withKey('k'), newMessage(topic, 'b3').withKey('k')]);
    assert.deepEqual([first.offset, sent.offset, ...batch.map((o) => (o.ok ? o.result.offset : o.error.message))], [0, 1, 2, 3]);

    const read = await readAll(topic, 4);
    assert.deepEqual(read.map((m) => [m.offset, String(m.value)]), [[0, 'p0'], [1, 's1'], [2, 'b2'], [3, 'b3']]);
    await leader.close();
    assert.equal(leader.state, 'closed');
  });

  it("acks 'none': the promise resolves once the request was sent, with offset -1 (the broker does not answer, so no offset is known); the messages do arrive here", async () => {
    const topic = uniqueName('acks-none');
    await createTopic(topic, 2);
    const none = await cm.createProducer({ acks: 'none' });
    assert.deepEqual(none.guarantees, { acks: 'none', idempotent: false }, 'acks none alone: not idempotent (the config default applies to acks all only)');
    const outcomes = await none.publishBatch(Array.from({ length: 50 }, (_, i) => newMessage(topic, `n${i}`).withKey(`k${i % 5}`)));
    for (const o of outcomes) {
      assert.ok(o.ok, o.error?.message);
      assert.equal(o.result.offset, -1, 'offset unknown with acks none');
      assert.ok(o.result.partition === 0 || o.result.partition === 1);
      assert.equal(o.result.topic, topic);
    }
    const r = await none.publish(newMessage(topic, 'last'));
    assert.equal(r.offset, -1);
    // Not a promise of acks none (nothing confirms a write), but what this healthy broker did.
    const read = await readAll(topic, 51);
    assert.equal(read.length, 51);
    assert.deepEqual(new Set(read.map((m) => String(m.value))), new Set([...outcomes.map((_, i) => `n${i}`), 'last']));
  });

  it("acks 'all' with idempotent: false is a producer of its own; the client's shared producer keeps acks all + idempotence", async () => {
    const topic = uniqueName('acks-all-plain');
    await createTopic(topic, 1);
    const plain = await cm.createProducer({ acks: 'all', idempotent: false });
    const defaults = await cm.createProducer();
    assert.deepEqual(plain.guarantees, { acks: 'all', idempotent: false });
    assert.deepEqual(defaults.guarantees, { acks: 'all', idempotent: true });
    const a = await plain.publish(newMessage(topic, 'a'));
    const b = await defaults.publish(newMessage(topic, 'b'));
    const c = await cm.producer.publish(newMessage(topic, 'c'));
    assert.deepEqual([a.offset, b.offset, c.offset], [0, 1, 2]);
  });

  it('idempotent with acks other than all is refused with InvalidArgumentError naming the conflict; nothing is opened', async () => {
    await assert.rejects(cm.createProducer({ acks: 'leader', idempotent: true }), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.equal(e.code, 'GCK_INVALID_ARGUMENT');
      assert.match(e.message, /idempotent: true requires acks: 'all', got acks: 'leader'/);
      return true;
    });
    await assert.rejects(cm.createProducer({ acks: 1 as never }), /acks: expected 'all', 'leader' or 'none', got 1 \(acks=1 is 'leader'\)/);
  });

  it("client.close() closes every producer it created (their publishes then reject with StateError); a producer's own close() leaves the client working", async () => {
    const topic = uniqueName('acks-close');
    await createTopic(topic, 1);
    const own = await cm.createProducer({ acks: 'leader' });
    await own.publish(newMessage(topic, 'x'));
    await own.close();
    await own.close(); // idempotent
    assert.equal(own.state, 'closed');
    await assert.rejects(own.publish(newMessage(topic, 'y')), StateError);
    assert.equal((await cm.producer.publish(newMessage(topic, 'z'))).offset, 1, 'the shared producer is untouched');

    const byClient = await cm.createProducer({ acks: 'none' });
    const inflight = byClient.publish(newMessage(topic, 'w'));
    await cm.close();
    await inflight; // flushed by the client's close
    assert.equal(byClient.state, 'closed');
    await assert.rejects(byClient.publish(newMessage(topic, 'v')), StateError);
    await assert.rejects(cm.createProducer(), StateError);
  });
});
