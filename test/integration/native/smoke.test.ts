import assert from 'node:assert/strict';
import { loadNativeBinding } from '../../../src/native/index.js';
import { connectClient, disconnectClient, flushProducer } from '../../../src/native/lifecycle.js';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';

describe('native layer against the real broker (smoke)', () => {
  it('produces a message through node-rdkafka and consumes it back', async () => {
    const topic = uniqueName('smoke');
    await createTopic(topic, 1);
    const binding = loadNativeBinding();
    const cfg = toLibrdkafkaConfig(testConfig(), 'producer');
    const producer = binding.createProducer(cfg.global, cfg.topic);
    const md = await connectClient(producer, 10_000, 'test cluster');
    assert.ok(md.brokers.length >= 1, 'metadata lists at least one broker');
    const report = new Promise<{ offset: number; partition: number }>((resolve, reject) =>
      producer.on('delivery-report', (err, r) => (err ? reject(err) : resolve(r))),
    );
    producer.setPollInterval(10);
    producer.produce(topic, null, Buffer.from('hello kafka'), 'smoke-key', null, {}, [{ h: 'v' }]);
    const r = await report;
    assert.equal(r.partition, 0);
    assert.equal(r.offset, 0);
    assert.equal(await flushProducer(producer, 5000), true);
    await disconnectClient(producer, 5000);

    const [msg] = await readAll(topic, 1);
    assert.ok(msg, 'message consumed');
    assert.equal(msg.value?.toString(), 'hello kafka');
    assert.equal(msg.key?.toString(), 'smoke-key');
    assert.deepEqual(msg.headers?.map((h) => Object.keys(h)[0]), ['h']);
  });
});
