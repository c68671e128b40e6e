// Round-trip check: keys/values/headers (binary, NUL, null, empty), partitions, ids, offsets,
// queue-full handling, rebalance + store + commit, for each wake mode.
import assert from 'node:assert/strict';
import { loadAddon, BatchPacker, SlabView } from './lib/spike.mjs';
import { BROKERS, createTopic, uniqueName } from './lib/admin.mjs';

const addon = loadAddon();
const modes = (process.argv[2] ?? 'pipe,async,thread').split(',');
const N = Number(process.env.SMOKE_N ?? 5000);

function expected(i) {
  const key = i % 7 === 0 ? null : i % 11 === 0 ? '' : `k${i % 1000}`;
  const value = i % 13 === 0 ? null : i % 17 === 0 ? Buffer.alloc(0) : Buffer.from(`v${i}-` + 'x'.repeat(i % 300));
  const headers = i % 5 === 0 ? [['bin', Buffer.from([0, 1, 2, 255, 0])], ['utf', 'café'], ['nul', null]] : null;
  return { key, value, headers, partition: i % 3 === 0 ? i % 6 : -1 };
}

for (const mode of modes) {
  const topic = uniqueName(`spike-smoke-${mode}`);
  await createTopic(topic, 6);
  let ok = 0, failed = 0, offsetsSeen = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const p = new addon.Producer(
    { 'bootstrap.servers': BROKERS, 'enable.idempotence': 'true', 'compression.type': 'lz4', 'linger.ms': '5', 'queue.buffering.max.messages': '1000', 'spike.wake': mode, 'spike.offsets': '1' },
    (okIds, failedPairs, offsets) => {
      ok += okIds.length;
      offsetsSeen += offsets ? offsets.length : 0;
      if (failedPairs) failed += failedPairs.length / 2;
      pump();
      if (ok + failed === N) done();
    },
  );
  const packer = new BatchPacker(500, 1 << 20);
  let next = 0, pendingStart = 0, pendingFirst = 0, queueFull = 0;
  function pump() {
    while (true) {
      if (packer.count === 0) {
        pendingFirst = next;
        while (next < N) {
          const e = expected(next);
          if (!packer.add(e.key, e.value, e.partition, e.headers)) break;
          next++;
        }
        pendingStart = 0;
        if (packer.count === 0) return;
      }
      const n = p.produceBatch(topic, packer.bytes, packer.table, packer.count, pendingFirst, pendingStart);
      pendingStart += n;
      if (pendingStart < packer.count) { queueFull++; return; } // wait for reports
      packer.reset();
    }
  }
  pump();
  await finished;
  assert.equal(failed, 0);
  assert.equal(offsetsSeen, N);
  const pst = p.stats();
  p.close(5000);

  const seen = new Map();
  let cdone;
  const cfinished = new Promise((r) => (cdone = r));
  const c = new addon.Consumer(
    { 'bootstrap.servers': BROKERS, 'group.id': uniqueName('spike-smoke'), 'auto.offset.reset': 'earliest', 'enable.auto.offset.store': 'false', 'partition.assignment.strategy': 'cooperative-sticky', 'spike.wake': mode, 'spike.batch': '300' },
    (count, bytes, meta, pos, hdrs, topics) => {
      const v = new SlabView(count, bytes, meta, pos, hdrs, topics);
      for (let i = 0; i < count; i++) {
        assert.equal(v.error(i), 0);
        assert.equal(v.topic(i), topic);
        const val = v.value(i);
        const id = val === null || val.length === 0 ? null : Number(val.toString().split('-')[0].slice(1));
        seen.set(`${v.partition(i)}:${v.offset(i)}`, { id, key: v.key(i), value: val, headers: v.headers(i), partition: v.partition(i) });
      }
      assert.equal(c.storeOffsets(topic, v.watermarks()), 0);
      if (seen.size === N) cdone();
    },
  );
  c.subscribe([topic]);
  await cfinished;
  assert.equal(c.commit(), 0);
  const cst = c.stats();
  c.close();
  // Check every message with an id-bearing value; null/empty values are counted.
  let checked = 0;
  for (const m of seen.values()) {
    if (m.id === null) continue;
    const e = expected(m.id);
    assert.deepEqual(m.key === null ? null : m.key.toString(), e.key);
    assert.deepEqual(m.value, e.value);
    if (e.partition >= 0) assert.equal(m.partition, e.partition);
    const eh = (e.headers ?? []).map(([k, hv]) => [k, hv === null ? null : Buffer.from(hv)]);
    assert.deepEqual(m.headers, eh);
    checked++;
  }
  console.log(JSON.stringify({ mode, produced: ok, queueFull, consumed: seen.size, checked, producer: pst, consumer: cst }));
}
