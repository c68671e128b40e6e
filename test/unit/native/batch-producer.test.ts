import assert from 'node:assert/strict';
import { BatchPacker, createAddonBatchProducer, HDR_STRIDE, M_HDR_COUNT, M_HDR_START, M_KEY_LEN, M_KEY_OFF, M_PART, M_TOPIC, M_VAL_LEN, M_VAL_OFF, MSG_STRIDE, addonConfig } from '../../../src/native/batch-producer.js';
import type { NativeBatchProducer } from '../../../src/native/types.js';
import { GENERATED_ID_PREFIX, newMessage } from '../../../src/message/outgoing.js';
import { FakeBinding, type FakeProducer } from '../../helpers/fake-binding.js';

/**
 * The real addon (build/Release/gocoffee_producer.node), no broker: bootstrap.servers points at a
 * closed port and nothing waits for a delivery. What is checked is the validation of the packed
 * table in C++ (a corrupted table is refused with RangeError / TypeError and enqueues nothing).
 */
describe('batch producer addon: packed-table validation (no broker)', () => {
  let native: NativeBatchProducer;
  before(() => {
    native = createAddonBatchProducer({ 'bootstrap.servers': '127.0.0.1:1', 'enable.idempotence': false, 'log_level': 0, dr_cb: true }, { 'message.timeout.ms': 60_000 }, {
      onReports: () => undefined,
      onError: () => undefined,
      onLog: () => undefined,
      onStats: () => undefined,
    });
  });
  after(async () => {
    await native.close();
  });

  /** A valid 3-message batch (keys, values, 2 headers on the second). */
  function packed(): BatchPacker {
    const p = new BatchPacker(8, 'message_id');
    p.add(1, 't', null, 'k1', Buffer.from('v1'), undefined, null);
    p.add(2, 't', 3, Buffer.from([0, 1]), null, [{ a: Buffer.from([0, 0xff]) }, { b: 'text' }], 1_700_000_000_000);
    p.add(3, 'u', null, null, Buffer.alloc(0), undefined, null);
    return p;
  }

  const corruptions: Array<[string, (p: BatchPacker) => void, RegExp]> = [
    ['key span past the buffer', (p) => (p.table[M_KEY_OFF] = p.bytes.length), /span outside the buffer/],
    ['value length below -1', (p) => (p.table[MSG_STRIDE + M_VAL_LEN] = -2), /span outside the buffer/],
    ['negative value offset', (p) => (p.table[2 * MSG_STRIDE + M_VAL_OFF] = -5), /span outside the buffer/],
    ['huge key length', (p) => (p.table[M_KEY_LEN] = 0x7fffffff), /span outside the buffer/],
    ['header records past the table', (p) => (p.table[MSG_STRIDE + M_HDR_START] = p.table.length - 2), /header records outside the table/],
    ['negative header count', (p) => (p.table[MSG_STRIDE + M_HDR_COUNT] = -1), /header records outside the table/],
    ['null header name', (p) => (p.table[p.table[MSG_STRIDE + M_HDR_START]! + 1] = -1), /header name must not be null/],
    ['header value past the buffer', (p) => (p.table[p.table[MSG_STRIDE + M_HDR_START]! + HDR_STRIDE + 2] = p.bytes.length + 10), /span outside the buffer/],
    ['topic index out of range', (p) => (p.table[2 * MSG_STRIDE + M_TOPIC] = 7), /topic index outside the topics/],
    ['negative topic index', (p) => (p.table[M_TOPIC] = -1), /topic index outside the topics/],
    ['partition below -1', (p) => (p.table[M_PART] = -3), /bad partition/],
  ];

  for (const [what, corrupt, message] of corruptions) {
    it(`refuses a table with ${what} (RangeError) and enqueues nothing`, async () => {
      const p = packed();
      corrupt(p);
      assert.throws(() => native.produceBatch(p.topics, p.bytes, p.table, p.count, 0), (e: unknown) => e instanceof RangeError && message.test(e.message));
      assert.equal(await native.flush(0), 0, 'nothing enqueued');
    });
  }

  it('refuses bad counts, tables and topic lists', async () => {
    const p = packed();
    assert.throws(() => native.produceBatch(p.topics, p.bytes, p.table, p.table.length, 0), RangeError);
    assert.throws(() => native.produceBatch(p.topics, p.bytes, p.table, 3, 4), RangeError);
    assert.throws(() => native.produceBatch(p.topics, p.bytes, p.table, -1, 0), RangeError);
    assert.throws(() => native.produceBatch(p.topics, p.bytes, new Float64Array(64) as never, 3, 0), TypeError);
    assert.throws(() => native.produceBatch(['t', 'u\0x'], p.bytes, p.table, 3, 0), /without NUL/);
    assert.throws(() => native.produceBatch([], p.bytes, p.table, 3, 0), RangeError);
    assert.throws(() => native.produceBatch('t' as never, p.bytes, p.table, 3, 0), TypeError);
    assert.equal(await native.flush(0), 0, 'nothing enqueued');
  });

  it('a valid table is enqueued whole (then held by librdkafka: no broker)', async () => {
    const p = packed();
    assert.equal(native.produceBatch(p.topics, p.bytes, p.table, p.count, 0), 3);
    assert.equal(await native.flush(0), 3);
  });

  it('refuses a configuration librdkafka does not know, naming the property', () => {
    assert.throws(
      () => createAddonBatchProducer({ 'bootstrap.servers': '127.0.0.1:1', frobnicate: 1 }, {}, { onReports: () => undefined, onError: () => undefined, onLog: () => undefined, onStats: () => undefined }),
      /frobnicate/,
    );
  });
});

describe('BatchPacker pack → decode (fake addon)', () => {
  it('random messages come back as packed: keys, values, binary headers, partitions, topics', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const int = (n: number) => Math.floor(rand() * n);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
    const binding = new FakeBinding();
    const fake = binding.createBatchProducer({}, {}, { onReports: () => undefined, onError: () => undefined, onLog: () => undefined, onStats: () => undefined }) as FakeProducer;
    fake.connected = true;
    const packer = new BatchPacker(100, 'message_id');
    const expected: Array<{ topic: string; partition: number | null; key: unknown; value: Buffer | null; headers: unknown }> = [];
    for (let round = 0; round < 5; round++) {
      packer.reset();
      for (let i = 0; i < 100; i++) {
        // Strings short and long on both sides of the packer's ASCII loop / Buffer#write switch (24), ASCII and not.
        const key = [null, '', 'ascii-key', 'ключ-☕', bytes(int(30)), 'k'.repeat(20 + int(60)), `${'x'.repeat(int(30))}ключ-☕`.repeat(1 + int(4))][int(7)]!;
        const value = [null, Buffer.alloc(0), bytes(int(3000)), round === 4 && i === 0 ? Buffer.alloc(2 << 20, 7) : bytes(3)][int(4)]!;
        const headers = int(3) === 0 ? undefined : Array.from({ length: int(65) }, (_, j) => ({ [`h${j}`]: int(2) === 0 ? bytes(int(20)) : `t${j}\0é` }));
        const topic = ['a', 'b', 'c'][int(3)]!;
        const partition = int(2) === 0 ? null : int(50);
        // A message id (the message_id header BatchPacker writes first, no object) on most messages.
        const messageId = int(4) === 0 ? undefined : `id-${round}-${i}-${'x'.repeat(int(80))}`;
        packer.add(i, topic, partition, key, value, headers, null, messageId);
        const all = [...(messageId !== undefined ? [{ message_id: messageId }] : []), ...(headers ?? [])];
        expected.push({ topic, partition, key, value, headers: all.length > 0 ? all : undefined });
      }
      assert.equal(fake.produceBatch(packer.topics, packer.bytes, packer.table, packer.count, 0), 100);
    }
    assert.equal(fake.produced.length, expected.length);
    fake.produced.forEach((r, i) => {
      const e = expected[i]!;
      assert.equal(r.topic, e.topic);
      assert.equal(r.partition, e.partition);
      assert.deepEqual(r.key, e.key, `key ${i}`);
      assert.deepEqual(r.value, e.value, `value ${i}`);
      assert.deepEqual(r.headers, e.headers, `headers ${i}`);
    });
  });

  it('library-generated ids written from prefix and suffix come back as the message id, byte for byte (buffer growth, mixed with custom ids)', () => {
    const binding = new FakeBinding();
    const fake = binding.createBatchProducer({}, {}, { onReports: () => undefined, onError: () => undefined, onLog: () => undefined, onStats: () => undefined }) as FakeProducer;
    fake.connected = true;
    const packer = new BatchPacker(500, 'message_id', GENERATED_ID_PREFIX);
    const ids: string[] = [];
    for (let round = 0; round < 4; round++) {
      packer.reset();
      for (let i = 0; i < 500; i++) {
        const m = newMessage('t', Buffer.alloc(i % 7 === 0 ? 9000 : 3, 1)).withKey(`k${i % 3 === 0 ? 'é' : ''}${i}`);
        if (i % 11 === 0) m.withId(`custom-${round}-${i}-ключ`);
        const id = m.id;
        ids.push(id);
        packer.add(i, m.topic, null, m.key as string, m.value as Buffer, undefined, null, id, m.generatedIdSuffix);
      }
      assert.equal(fake.produceBatch(packer.topics, packer.bytes, packer.table, packer.count, 0), 500);
    }
    assert.equal(fake.produced.length, ids.length);
    fake.produced.forEach((r, i) => assert.deepEqual(r.headers, [{ message_id: ids[i] }], `message ${i}`));
    assert.ok(ids.some((id) => id.startsWith(GENERATED_ID_PREFIX)) && ids.some((id) => id.startsWith('custom-')));
  });

  it('generated ids count in base 36 across the digit boundaries (the cached high part)', () => {
    const seq: number[] = [];
    for (let i = 0; i < 36 * 37 + 3; i++) {
      const m = newMessage('t', 'v');
      const id = m.id;
      assert.equal(id, GENERATED_ID_PREFIX + m.generatedIdSuffix);
      seq.push(parseInt(m.generatedIdSuffix!, 36));
    }
    for (let i = 1; i < seq.length; i++) assert.equal(seq[i], seq[i - 1]! + 1, `after ${seq[i - 1]!.toString(36)}`);
  });

  it('addonConfig drops node-rdkafka-only switches and stringifies values', () => {
    assert.deepEqual(addonConfig({ dr_cb: true, dr_msg_cb: false, event_cb: true, 'linger.ms': 5, 'enable.idempotence': true, 'client.id': 'x' }), { 'linger.ms': '5', 'enable.idempotence': 'true', 'client.id': 'x' });
  });
});
