import assert from 'node:assert/strict';
import { newProgress, packMessages, progressViews, unpackMessages } from '../../../src/pool/codec.js';
import type { NativeMessage } from '../../../src/native/types.js';

describe('pool codec (one transferred ArrayBuffer per task)', () => {
  it('packs a task into one ArrayBuffer that is moved (not copied) to the receiver', async () => {
    const msgs: NativeMessage[] = [
      { topic: 'orders', partition: 3, offset: 5, value: Buffer.from('x'.repeat(100)), size: 100, key: 'k1', headers: [{ h: 'v' }] },
      { topic: 'orders', partition: 3, offset: 6, value: Buffer.from('y'.repeat(100)), size: 100, key: 'k2' },
    ];
    const packed = packMessages(msgs, [0, 1], [1, 1]);
    assert.deepEqual(packed.topics, ['orders']);
    assert.equal(packed.count, 2);
    assert.ok(packed.buffer instanceof ArrayBuffer);
    const size = packed.buffer.byteLength;
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<ArrayBuffer>((resolve) => port2.once('message', resolve));
    port1.postMessage(packed.buffer, [packed.buffer]);
    const buf = await received;
    port1.close();
    port2.close();
    assert.equal(packed.buffer.byteLength, 0, 'the sender no longer has it: moved');
    assert.equal(buf.byteLength, size);
    const out = unpackMessages({ buffer: buf, topics: packed.topics, count: packed.count });
    assert.deepEqual(
      out.map((m) => [m.offset, String(m.key), m.value!.toString().slice(0, 1), m.lane]),
      [
        [5, 'k1', 'x', 0],
        [6, 'k2', 'y', 1],
      ],
    );
  });

  it('unpacks what it packed', () => {
    const msgs: NativeMessage[] = [
      { topic: 'orders', partition: 3, offset: 9_007_199_254_740_000, value: Buffer.from('héllo'), size: 6, key: 'k1', timestamp: 1_700_000_000_123, headers: [{ a: 'x' }, { a: Buffer.from([0, 255]) }, { 'ü-name': 'ünï' }] },
      { topic: 'payments', partition: 0, offset: 0, value: null, size: 0, key: null },
      { topic: 'orders', partition: 1, offset: 42, value: Buffer.alloc(0), size: 0, key: Buffer.from([1, 2, 3]), timestamp: 0 },
      { topic: 'orders', partition: 2, offset: 7, value: Buffer.from('v'), size: 1, key: undefined, headers: [] },
    ];
    const out = unpackMessages(packMessages(msgs, [0, 0, 1, 4_000_000_000], [1, 2, 70_000, 3]));
    assert.equal(out.length, 4);
    const [a, b, c, d] = out as [(typeof out)[0], (typeof out)[0], (typeof out)[0], (typeof out)[0]];
    assert.equal(a.topic, 'orders');
    assert.equal(a.partition, 3);
    assert.equal(a.offset, 9_007_199_254_740_000);
    assert.equal(a.timestamp, 1_700_000_000_123);
    assert.deepEqual(a.key, Buffer.from('k1'));
    assert.equal(a.value!.toString(), 'héllo');
    assert.equal(a.size, 6);
    assert.deepEqual(
      a.headers!.map((h) => Object.entries(h).map(([n, v]) => [n, Buffer.from(v as Buffer).toString('hex')])[0]),
      [
        ['a', Buffer.from('x').toString('hex')],
        ['a', '00ff'],
        ['ü-name', Buffer.from('ünï').toString('hex')],
      ],
    );
    assert.equal(a.lane, 0);
    assert.equal(a.attempt, 1);
    assert.equal(b.topic, 'payments');
    assert.equal(b.key, null);
    assert.equal(b.value, null);
    assert.equal(b.timestamp, undefined);
    assert.equal(b.headers, undefined);
    assert.equal(b.attempt, 2);
    assert.equal(c.timestamp, 0, 'timestamp 0 is a timestamp');
    assert.deepEqual(c.key, Buffer.from([1, 2, 3]));
    assert.equal(c.value!.length, 0, 'empty value stays empty, not null');
    assert.equal(c.attempt, 65_535, 'attempt saturates at u16');
    assert.equal(c.lane, 1);
    assert.equal(d.key, null, 'undefined key reads back as null');
    assert.equal(d.lane, 4_000_000_000);
    assert.equal(d.headers, undefined);
  });

  it('progress views share memory between the two sides', () => {
    const shared = newProgress(3);
    const w = progressViews(shared, 3);
    const m = progressViews(shared, 3);
    w.statuses[1] = 1;
    Atomics.store(w.progress, 0, 2);
    assert.equal(m.statuses[1], 1);
    assert.equal(Atomics.load(m.progress, 0), 2);
    assert.equal(Atomics.load(m.progress, 1), 0, 'not started');
  });
});
