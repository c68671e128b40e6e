import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/config/index.js';
import { ConsumedMessage } from '../../../src/consumer/message.js';
import { Reader } from '../../../src/consumer/reader.js';
import { KafkaError, StateError } from '../../../src/errors/index.js';
import type { NativeConfig, NativeConsumer } from '../../../src/native/types.js';
import { ConsumerBinding, ErrorAfterWakeUp, type FakeConsumer } from './fake-consumer.js';

/** librdkafka refuses the configuration: node-rdkafka's KafkaConsumer constructor throws. */
class RefusingBinding extends ConsumerBinding {
  calls = 0;
  override createConsumer(): NativeConsumer {
    this.calls++;
    throw new Error('Invalid value "banana" for configuration property "fetch.wait.max.ms"');
  }
}

const GLOBAL: NativeConfig = { 'bootstrap.servers': 'fake:9092', 'group.id': 'g' };

describe('Reader with a fake native consumer', () => {
  it('connect(): a consumer configuration librdkafka refuses rejects with ConfigError and leaves the reader failed (not connecting)', async () => {
    const binding = new RefusingBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000);
    let p: Promise<void> | undefined;
    assert.doesNotThrow(() => (p = r.connect()), 'rejects, does not throw');
    await assert.rejects(p!, (e: unknown) => {
      assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
      assert.equal(e.issues[0]!.path, 'kafka.librdkafka');
      assert.match(e.message, /librdkafka refused the consumer configuration: Invalid value "banana"/);
      assert.match(String((e.cause as Error).message), /banana/);
      return true;
    });
    assert.equal(r.state, 'failed', 'a cache (ConnectionManager.getReader) replaces a failed reader');
    await assert.rejects(r.read(1, 10), StateError);
    await assert.rejects(r.connect(), StateError);
    assert.equal(binding.calls, 1);
    await r.close();
    assert.equal(r.state, 'closed');
  });

  it('commit(): a native error (e.g. after the partition was revoked) is a KafkaError', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000);
    await r.connect();
    const native = binding.consumers[0] as FakeConsumer;
    native.commit = () => {
      throw Object.assign(new Error('Local: Erroneous state'), { code: -172 });
    };
    const m = new ConsumedMessage({ topic: 't', partition: 0, offset: 5, key: null, value: Buffer.from('x'), size: 1 });
    assert.throws(
      () => r.commit([m]),
      (e: unknown) => {
        assert.ok(e instanceof KafkaError, `a KafkaError, got ${String(e)}`);
        assert.equal(e.code, 'ERR__STATE');
        assert.match(e.message, /commit.*\bt\b.*Erroneous state/);
        assert.deepEqual({ topic: e.context.topic, groupId: e.context.groupId }, { topic: 't', groupId: 'g' });
        return true;
      },
    );
    native.offsetsStore = () => {
      throw Object.assign(new Error('Local: Unknown partition'), { code: -190 });
    };
    assert.throws(() => r.commit([m]), (e: unknown) => e instanceof KafkaError && e.code === 'ERR__UNKNOWN_PARTITION');
    await r.close();
  });

  it('read(): a message the wake-up consume(1) returned is returned even when the follow-up consume fails; the error comes with the next read()', async () => {
    const binding = new ConsumerBinding((global) => new ErrorAfterWakeUp(global));
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000);
    await r.connect();
    const native = binding.consumers[0] as FakeConsumer;
    native.incrementalAssign([{ topic: 't', partition: 0 }]);
    native.append('t', 0, 3); // consume(10) finds nothing, consume(1) takes offset 0, consume(9) fails
    const first = await r.read(10, 500);
    assert.deepEqual(
      first.map((m) => m.offset),
      [0],
      'offset 0 is returned, not lost with the error',
    );
    await assert.rejects(r.read(10, 500), (e: unknown) => e instanceof KafkaError && e.code === 'ERR_UNKNOWN_TOPIC_OR_PART' && /consume from t/.test(e.message));
    const rest = await r.read(10, 500);
    assert.deepEqual(
      rest.map((m) => m.offset),
      [1, 2],
    );
    r.commit([...first, ...rest]);
    assert.equal(native.stored.get('t/0'), 3);
    await r.close();
  });
});
