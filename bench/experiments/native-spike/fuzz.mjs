// Fuzz of the pack → produceBatch → broker → slab → SlabView path, meant to run under ASan:
// random key/value sizes (null, empty, up to 1 MiB), 0–64 headers with binary / invalid UTF-8 /
// null values, then byte-exact comparison after consuming. Also feeds corrupted tables to
// produceBatch, which must throw RangeError and enqueue nothing.
//   node fuzz.mjs [messages=600] [seed=1]
import assert from 'node:assert/strict';
import { loadAddon, BatchPacker, SlabView, MSG_STRIDE } from './lib/spike.mjs';
import { BROKERS, createTopic, deleteTopic, uniqueName } from './lib/admin.mjs';

const addon = loadAddon();
const N = Number(process.argv[2] ?? 600);
let seed = Number(process.argv[3] ?? 1);
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
const int = (n) => Math.floor(rnd() * n);
const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
function blob() {
  const r = rnd();
  if (r < 0.1) return null;
  if (r < 0.2) return Buffer.alloc(0);
  if (r < 0.22) return bytes(1 << 20); // 1 MiB
  return bytes(int(2000));
}
function header() {
  const r = rnd();
  const value = r < 0.2 ? null : r < 0.4 ? Buffer.from([0xc3, 0x28, 0, 0xff]) /* invalid UTF-8 */ : bytes(int(64));
  return [`h${int(1000)}\u00e9`, value];
}
const msgs = Array.from({ length: N }, (_, id) => {
  const headers = rnd() < 0.5 ? null : Array.from({ length: int(65) }, header);
  const key = rnd() < 0.3 ? `k${id}` : blob();
  return { id, key, value: Buffer.concat([Buffer.from(`${id}:`), blob() ?? Buffer.alloc(0)]), headers };
});

const topic = uniqueName('spike-fuzz');
await createTopic(topic, 3, { 'max.message.bytes': '10000000' });
const config = { 'bootstrap.servers': BROKERS, 'message.max.bytes': '10000000', 'enable.idempotence': 'true', 'compression.type': 'lz4' };
let reported = 0, failed = 0, done;
const allReported = new Promise((r) => (done = r));
const p = new addon.Producer({ ...config, 'spike.wake': 'pipe' }, (ok, f) => {
  reported += ok.length + (f ? f.length / 2 : 0);
  if (f) failed += f.length / 2;
  if (reported === N) done();
});

// Corrupted tables: every one must throw before enqueuing anything.
const good = new BatchPacker(4, 1 << 16);
good.add('k', Buffer.from('v'), -1, [['a', 'b']]);
const corrupt = [
  (t) => (t[0] = 1 << 20), // key offset outside the buffer
  (t) => (t[3] = 1 << 30), // value length outside
  (t) => (t[1] = -2), // invalid length
  (t) => (t[5] = 1 << 28), // header records outside the table
  (t) => (t[6] = -1), // negative header count
  (t) => (t[good.hdrBase + 1] = -1), // null header name
  (t) => (t[good.hdrBase + 2] = 1 << 20), // header value outside
];
for (const c of corrupt) {
  const t = good.table.slice();
  c(t);
  assert.throws(() => p.produceBatch(topic, good.bytes, t, 1, 0), RangeError);
}
assert.throws(() => p.produceBatch(topic, good.bytes, good.table, 1 << 20, 0), RangeError);
assert.throws(() => p.produceBatch(topic, good.bytes, new Uint32Array(16), 1, 0), TypeError);
assert.equal(p.stats().outq, 0);

// Random batches of random sizes; queue-full leftovers retried.
const packer = new BatchPacker(64, 3 << 20, 64 * 65);
let next = 0;
while (next < N) {
  packer.reset();
  const first = next;
  const want = 1 + int(64);
  while (next < N && packer.count < want && packer.add(msgs[next].key, msgs[next].value, -1, msgs[next].headers)) next++;
  let start = 0;
  while (start < packer.count) {
    start += p.produceBatch(topic, packer.bytes, packer.table, packer.count, first, start);
    if (start < packer.count) await new Promise((r) => setTimeout(r, 5));
  }
}
await allReported;
assert.equal(failed, 0);
p.close(10000);

const seen = new Map();
let cdone;
const consumed = new Promise((r) => (cdone = r));
const c = new addon.Consumer(
  { ...config, 'group.id': uniqueName('spike-fuzz'), 'auto.offset.reset': 'earliest', 'fetch.max.bytes': '20000000', 'spike.wake': 'pipe', 'spike.batch': String(1 + int(300)) },
  (count, ab, meta, pos, hdrs, topics) => {
    const v = new SlabView(count, ab, meta, pos, hdrs, topics);
    for (let i = 0; i < count; i++) {
      const value = Buffer.from(v.value(i)); // copy: compare after the slab is gone
      const id = Number(value.subarray(0, value.indexOf(58)).toString());
      seen.set(id, { key: v.key(i) && Buffer.from(v.key(i)), value, headers: v.headers(i).map(([k, hv]) => [k, hv && Buffer.from(hv)]) });
    }
    if (seen.size === N) cdone();
  },
);
c.subscribe([topic]);
await consumed;
c.close();
const asBuf = (x) => (x === null ? null : Buffer.from(x));
for (const m of msgs) {
  const got = seen.get(m.id);
  assert.deepEqual(got.key, asBuf(m.key), `key of ${m.id}`);
  assert.deepEqual(got.value, m.value, `value of ${m.id}`);
  assert.deepEqual(got.headers, (m.headers ?? []).map(([k, hv]) => [k, asBuf(hv)]), `headers of ${m.id}`);
}
await deleteTopic(topic);
console.log(JSON.stringify({ fuzz: 'ok', messages: N, corruptTablesRejected: corrupt.length + 2 }));
