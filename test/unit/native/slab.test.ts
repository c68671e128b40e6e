import assert from 'node:assert/strict';
import { META_STRIDE, Slab, SlabMessage } from '../../../src/native/slab.js';

/** Builds a slab as the addon lays it out (slab.h). */
function slabOf(msgs: Array<{ partition: number; offset: number; key: Buffer | null; value: Buffer | null; headers: Array<[string, Buffer | null]>; ts?: number }>): Slab {
  const parts: Buffer[] = [];
  let off = 0;
  const put = (b: Buffer | null): [number, number] => {
    if (b === null) return [off, -1];
    parts.push(b);
    const at = off;
    off += b.length;
    return [at, b.length];
  };
  const meta = new Int32Array(msgs.length * META_STRIDE);
  const pos = new Float64Array(msgs.length * 2);
  const hdrs: number[] = [];
  msgs.forEach((m, i) => {
    const r = i * META_STRIDE;
    meta[r] = 0;
    meta[r + 1] = m.partition;
    [meta[r + 2], meta[r + 3]] = put(m.key);
    [meta[r + 4], meta[r + 5]] = put(m.value);
    meta[r + 6] = hdrs.length / 4;
    meta[r + 7] = m.headers.length;
    for (const [name, v] of m.headers) hdrs.push(...put(Buffer.from(name)), ...put(v));
    meta[r + 8] = 0;
    meta[r + 9] = m.ts === undefined ? 0 : 1;
    pos[i * 2] = m.offset;
    pos[i * 2 + 1] = m.ts ?? -1;
  });
  const all = Buffer.concat(parts);
  const ab = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  return new Slab(msgs.length, ab as ArrayBuffer, meta, pos, Int32Array.from(hdrs), ['t']);
}

describe('batch consumer: slab message views (no broker)', () => {
  it('key, value and headers are byte-exact views; null and empty are kept apart; no headers is undefined', () => {
    const bin = Buffer.from([0, 0xff, 0xfe, 0x80, 0]);
    const slab = slabOf([
      { partition: 3, offset: 2 ** 40, key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [['a', bin], ['a', Buffer.alloc(0)], ['n', null]], ts: 1_700_000_000_123 },
      { partition: 4, offset: 7, key: null, value: null, headers: [] },
      { partition: 4, offset: 8, key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [] },
    ]);
    const [a, b, c] = [0, 1, 2].map((i) => new SlabMessage(slab, i)) as [SlabMessage, SlabMessage, SlabMessage];
    assert.equal(a.topic, 't');
    assert.equal(a.partition, 3);
    assert.equal(a.offset, 2 ** 40);
    assert.deepEqual(a.key, Buffer.from('k1'));
    assert.deepEqual(a.value, Buffer.from('v1'));
    assert.equal(a.size, 2);
    assert.equal(a.timestamp, 1_700_000_000_123);
    assert.deepEqual(a.headers, [{ a: bin }, { a: Buffer.alloc(0) }, { n: Buffer.alloc(0) }]);
    assert.equal(a.value!.buffer, slab.buf.buffer, 'a view of the slab, not a copy');
    assert.equal(b.key, null);
    assert.equal(b.value, null);
    assert.equal(b.headers, undefined);
    assert.equal(b.timestamp, -1);
    assert.deepEqual(c.key, Buffer.alloc(0));
    assert.deepEqual(c.value, Buffer.alloc(0));
  });
});
