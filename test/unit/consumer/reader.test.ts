import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError } from '../../../src/config/index.js';
import { ConsumedMessage } from '../../../src/message/consumed.js';
import { Reader } from '../../../src/consumer/reader.js';
import { ConnectionError, InvalidArgumentError, KafkaError, StateError } from '../../../src/errors/index.js';
import { RD } from '../../../src/errors/librdkafka.js';
import type { NativeBatchConsumer, NativeConfig, NativeConsumer, NativeTopicPartitionOffset } from '../../../src/native/types.js';
import { ConsumerBinding, ErrorAfterWakeUp, FakeConsumer, RefusedConnect } from './fake-consumer.js';

/**
 * librdkafka refuses the configuration: node-rdkafka's KafkaConsumer constructor throws, and so does
 * the batch engine's consumer (the Reader's since it moved onto the engine).
 */
class RefusingBinding extends ConsumerBinding {
  calls = 0;
  override createConsumer(): NativeConsumer {
    this.calls++;
    throw new Error('Invalid value "banana" for configuration property "fetch.wait.max.ms"');
  }
  override createBatchConsumer(): NativeBatchConsumer {
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

  it('committed(): partitions that are not non-negative integers and a bad timeout reject with InvalidArgumentError naming them, before any native call', async () => {
    const r = new Reader(new ConsumerBinding(), GLOBAL, {}, 't', 'g', 1000);
    const named = (what: RegExp) => (e: unknown) => e instanceof InvalidArgumentError && what.test(e.message);
    await assert.rejects(r.committed('0' as never), named(/committed\(partitions\)/));
    await assert.rejects(r.committed([0, -1]), named(/committed\(partitions\)\[1\].*got -1/));
    await assert.rejects(r.committed([1.5]), named(/committed\(partitions\)\[0\]/));
    await assert.rejects(r.committed([0], 3e9), named(/committed\(timeoutMs\).*got 3000000000/));
    await assert.rejects(r.committed([0], 0), named(/committed\(timeoutMs\)/));
    await assert.rejects(r.committed([0]), StateError, 'valid arguments: the state is checked next (not connected)');
    await r.close();
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
        assert.equal(e.code, 'GCK_KAFKA__STATE');
        assert.match(e.message, /commit.*\bt\b.*Erroneous state/);
        assert.deepEqual({ topic: e.context.topic, groupId: e.context.groupId }, { topic: 't', groupId: 'g' });
        return true;
      },
    );
    native.offsetsStore = () => {
      throw Object.assign(new Error('Local: Unknown partition'), { code: -190 });
    };
    assert.throws(() => r.commit([m]), (e: unknown) => e instanceof KafkaError && e.code === 'GCK_KAFKA__UNKNOWN_PARTITION');
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
    await assert.rejects(r.read(10, 500), (e: unknown) => e instanceof KafkaError && e.code === 'GCK_KAFKA_UNKNOWN_TOPIC_OR_PART' && /consume from t/.test(e.message));
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

/** A fake whose async commit() records the committed offsets (a re-assigned partition fetches from them). */
class CommittingConsumer extends FakeConsumer {
  override commit(offsets?: NativeTopicPartitionOffset[]): void {
    for (const o of offsets ?? []) this.commits.set(`${o.topic}/${o.partition}`, o.offset);
  }
}

async function until(cond: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

const offsetsOf = (ms: readonly ConsumedMessage[], partition: number) => ms.filter((m) => m.partition === partition).map((m) => m.offset);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('Reader on the batch engine (fake engine consumer)', () => {
  it('fetches through the engine consumer: subscribe, startFetching, slabs of at most fetchBatchSize (gocoffee.batch), a rebalance callback', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { fetchBatchSize: 7 });
    await r.connect();
    const native = binding.consumers[0]!;
    assert.deepEqual(native.calls.slice(0, 2), ['subscribe t', 'startFetching']);
    assert.equal(native.global['gocoffee.batch'], 7);
    assert.equal(typeof native.global.rebalance_cb, 'function');
    native.assign([{ topic: 't', partition: 0 }]);
    native.append('t', 0, 20);
    await until(() => r.buffered === 20, 2000, 'buffered 20');
    const got = await r.read(100, 10);
    assert.deepEqual(offsetsOf(got, 0), range(0, 20));
    assert.ok(native.consumeSizes.every((n) => n <= 7), `no slab above fetchBatchSize: ${native.consumeSizes.join(',')}`);
    await r.close();
  });

  it('the buffer is bounded: fetching pauses at bufferMessages and resumes at half; reads in many calls return every message once, in order', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { fetchBatchSize: 50, bufferMessages: 180 });
    await r.connect();
    const native = binding.consumers[0]!;
    native.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    native.append('t', 0, 2500);
    native.append('t', 1, 2500);
    await until(() => r.buffered >= 180, 2000, 'a full buffer');
    await delay(50); // the fetch stays paused: nothing more comes in
    assert.equal(r.buffered, 180, 'never more than bufferMessages (the last slab is cut to the room left)');
    assert.deepEqual([...native.paused].sort(), ['t/0', 't/1']);
    assert.ok(native.consumeSizes.every((n) => n <= 50), 'no slab above fetchBatchSize');

    const got: ConsumedMessage[] = [];
    let maxSeen = 0;
    let resumed = false;
    while (got.length < 5000) {
      const batch = await r.read(64, 2000);
      assert.ok(batch.length > 0, `read() returned nothing after ${got.length}`);
      assert.ok(batch.length <= 64);
      got.push(...batch);
      maxSeen = Math.max(maxSeen, r.buffered);
      if (native.paused.size === 0) resumed = true;
    }
    assert.ok(maxSeen <= 180, `buffer peaked at ${maxSeen}`);
    assert.ok(resumed, 'fetching resumed once the buffer was drained to half');
    assert.deepEqual(offsetsOf(got, 0), range(0, 2500), 'partition 0: every offset once, in order');
    assert.deepEqual(offsetsOf(got, 1), range(0, 2500), 'partition 1: every offset once, in order');
    assert.deepEqual(await r.read(10, 20), []);
    r.commit(got);
    assert.equal(native.stored.get('t/0'), 2500);
    assert.equal(native.stored.get('t/1'), 2500);
    await r.close();
  });

  it('bufferBytes bounds the buffer too (checked per slab)', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { fetchBatchSize: 3, bufferMessages: 1000, bufferBytes: 5 });
    await r.connect();
    const native = binding.consumers[0]!;
    native.assign([{ topic: 't', partition: 0 }]);
    native.append('t', 0, 100); // the fake's messages have size 1
    await until(() => native.paused.size === 1, 2000, 'paused');
    await delay(30);
    assert.ok(r.buffered >= 5 && r.buffered <= 6, `buffered ${r.buffered}`);
    const got: ConsumedMessage[] = [];
    while (got.length < 100) got.push(...(await r.read(100, 1000)));
    assert.deepEqual(offsetsOf(got, 0), range(0, 100));
    await r.close();
  });

  it('a revoke drops what the buffer holds of the revoked partition (resumed before the unassign); a new assignment continues from the committed offset, nothing twice', async () => {
    const binding = new ConsumerBinding((global) => new CommittingConsumer(global));
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { fetchBatchSize: 10, bufferMessages: 20 });
    await r.connect();
    const native = binding.consumers[0]!;
    native.append('t', 0, 10);
    native.append('t', 1, 10);
    native.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    await until(() => r.buffered === 20, 2000, 'a full buffer');
    assert.equal(native.paused.size, 2);
    const first = await r.read(5, 100);
    assert.deepEqual(offsetsOf(first, 0), range(0, 5));
    r.commit(first);
    assert.equal(r.buffered, 15, 'still full (above half): paused');
    assert.equal(native.paused.size, 2);

    native.calls.length = 0;
    native.revoke([{ topic: 't', partition: 0 }]);
    assert.equal(r.buffered, 10, 'the revoked partition\'s 5 buffered messages are dropped');
    assert.deepEqual(native.calls.slice(0, 2), ['resume 0', 'incrementalUnassign 0'], 'resumed before it was given up');
    assert.ok(native.calls.includes('resume 1'), 'at half the remaining partition is resumed');

    native.assign([{ topic: 't', partition: 0 }]);
    const rest: ConsumedMessage[] = [];
    while (rest.length < 15) {
      const b = await r.read(100, 1000);
      assert.ok(b.length > 0, `read() returned nothing after ${rest.length}`);
      rest.push(...b);
    }
    assert.deepEqual(offsetsOf(rest, 1), range(0, 10));
    assert.deepEqual(offsetsOf(rest, 0), range(5, 10), 'from the committed offset, not 0..4 again, none twice');
    assert.deepEqual(await r.read(10, 30), []);
    await r.close();
  });

  it('a partition assigned while the buffer is full starts paused', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { fetchBatchSize: 5, bufferMessages: 10 });
    await r.connect();
    const native = binding.consumers[0]!;
    native.append('t', 0, 30);
    native.append('t', 1, 30);
    native.assign([{ topic: 't', partition: 0 }]);
    await until(() => native.paused.size === 1, 2000, 'paused');
    native.assign([{ topic: 't', partition: 1 }]);
    assert.deepEqual([...native.paused].sort(), ['t/0', 't/1']);
    await delay(30);
    assert.equal(r.buffered, 10);
    const got: ConsumedMessage[] = [];
    while (got.length < 60) got.push(...(await r.read(7, 1000)));
    assert.deepEqual(offsetsOf(got, 0), range(0, 30));
    assert.deepEqual(offsetsOf(got, 1), range(0, 30));
    await r.close();
  });

  it('read() waits for the first message: [] after the timeout on an empty topic, at once when a slab arrives', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000);
    await r.connect();
    const native = binding.consumers[0]!;
    native.assign([{ topic: 't', partition: 0 }]);
    let t0 = Date.now();
    assert.deepEqual(await r.read(10, 150), []);
    const waited = Date.now() - t0;
    assert.ok(waited >= 140 && waited < 400, `waited ${waited} ms`);
    t0 = Date.now();
    setTimeout(() => native.append('t', 0, 3), 50);
    const got = await r.read(10, 5000);
    assert.deepEqual(offsetsOf(got, 0), [0, 1, 2]);
    assert.ok(Date.now() - t0 < 1000, `handed over after ${Date.now() - t0} ms`);
    // a timeout that is not a number does not wait (and does not spin)
    assert.deepEqual(await r.read(10, Number.NaN), []);
    // concurrent reads share the buffer: each message goes to one of them
    const [a, b] = [r.read(2, 1000), r.read(2, 1000)];
    native.append('t', 0, 4);
    const both = [...(await a), ...(await b)];
    assert.deepEqual(both.map((m) => m.offset).sort((x, y) => x - y), [3, 4, 5, 6]);
    await r.close();
  });

  it('close(): a waiting read() resolves with [], later calls are StateErrors, the engine consumer is stopped and closed', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000);
    await r.connect();
    const native = binding.consumers[0]!;
    native.assign([{ topic: 't', partition: 0 }]);
    const pending = r.read(10, 5000);
    await delay(10);
    const t0 = Date.now();
    await Promise.all([r.close(), r.close()]);
    assert.deepEqual(await pending, []);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(r.state, 'closed');
    assert.deepEqual(native.calls.filter((c) => c === 'unsubscribe' || c === 'disconnect'), ['unsubscribe', 'disconnect'], 'closed once');
    await assert.rejects(r.read(1, 10), StateError);
    assert.throws(() => r.commit([]), StateError);
    await assert.rejects(r.connect(), StateError);
  });

  it('a fatal consumer error event is thrown by read() (after the messages buffered before it)', async () => {
    const binding = new ConsumerBinding();
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000);
    await r.connect();
    const native = binding.consumers[0]!;
    native.assign([{ topic: 't', partition: 0 }]);
    native.append('t', 0, 2);
    await until(() => r.buffered === 2);
    native.emit('event.error', { code: -1, isFatal: false, message: 'Local: Broker transport failure' }); // librdkafka retries: not an error of read()
    native.emit('event.error', { code: RD.ERR__FATAL, isFatal: true, message: 'Fatal: producer fenced' });
    assert.deepEqual(offsetsOf(await r.read(10, 100), 0), [0, 1]);
    await assert.rejects(r.read(10, 100), (e: unknown) => e instanceof KafkaError && e.fatal && /consume from t/.test(e.message));
    await r.close();
  });

  it('connect(): an unreachable cluster rejects with ConnectionError; the reader is failed and its engine consumer closed', async () => {
    const binding = new ConsumerBinding((global) => new RefusedConnect(global));
    const r = new Reader(binding, GLOBAL, {}, 't', 'g', 1000);
    await assert.rejects(r.connect(), (e: unknown) => e instanceof ConnectionError && e.code === 'GCK_CONNECT' && /fake:9092/.test(e.message));
    assert.equal(r.state, 'failed');
    assert.ok(binding.consumers[0]!.calls.includes('disconnect'), 'closed');
    assert.ok(!binding.consumers[0]!.calls.includes('startFetching'));
    await assert.rejects(r.read(1, 10), StateError);
  });

  it('options are checked', () => {
    const binding = new ConsumerBinding();
    assert.throws(() => new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { bufferMessages: 0 }), InvalidArgumentError);
    assert.throws(() => new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { fetchBatchSize: 1.5 }), InvalidArgumentError);
    assert.throws(() => new Reader(binding, GLOBAL, {}, 't', 'g', 1000, { bufferBytes: -1 }), InvalidArgumentError);
  });
});
