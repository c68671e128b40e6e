import assert from 'node:assert/strict';
import { BatchConsumer, newBatchConsumer } from '../../../src/native/batch-consumer.js';
import type { NativeError } from '../../../src/native/types.js';

describe('batch consumer addon (no broker)', function () {
  this.timeout(20_000);
  const config = { 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'unit-batch-consumer', 'socket.connection.setup.timeout.ms': 1000 };

  it('refuses a configuration librdkafka does not know, naming the property', () => {
    assert.throws(() => newBatchConsumer({ ...config, 'no.such.property': 1 }, {}), /no\.such\.property/);
    assert.throws(() => newBatchConsumer({ ...config, 'gocoffee.batch': 0 }, {}), /gocoffee\.batch/);
  });

  it('connect to an unreachable broker fails with the librdkafka error; close is idempotent and calls every waiter once', async () => {
    const c: BatchConsumer = newBatchConsumer(config, { 'auto.offset.reset': 'earliest' });
    const err = await new Promise<NativeError | null | undefined>((resolve) => c.connect({ timeout: 300 }, (e) => resolve(e)));
    assert.ok(err, 'an error');
    assert.equal(typeof err.code, 'number');
    assert.equal(c.isConnected(), false);
    c.subscribe(['t']);
    c.startFetching({ batch: () => undefined, error: () => undefined, room: () => 10 });
    let calls = 0;
    await Promise.all([new Promise<void>((r) => c.disconnect(() => (calls++, r()))), new Promise<void>((r) => c.disconnect(() => (calls++, r())))]);
    assert.equal(calls, 2);
    await new Promise<void>((r) => c.disconnect(() => r()));
    assert.throws(() => c.offsetsStore([{ topic: 't', partition: 0, offset: 1 }]), /closed/);
    c.pause([{ topic: 't', partition: 0 }]); // no-ops once closed
    c.incrementalUnassign([{ topic: 't', partition: 0 }]);
    assert.deepEqual(c.assignments(), []);
  });

  it('close() from inside an event callback is deferred to the end of the drain and completes', async () => {
    const c: BatchConsumer = newBatchConsumer({ ...config, debug: 'generic' }, {});
    const closed = new Promise<void>((resolve) => {
      c.on('event.log', () => c.disconnect(() => resolve()));
    });
    await closed;
  });
});
