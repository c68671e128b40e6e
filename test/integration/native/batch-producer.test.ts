import assert from 'node:assert/strict';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import { BatchPacker, createAddonBatchProducer } from '../../../src/native/batch-producer.js';
import type { BatchProducerEvents, NativeBatchProducer, NativeConfig, NativeHeaders } from '../../../src/native/types.js';
import { createTopic, readAll, rng, testConfig, uniqueName, waitFor } from '../helpers.js';

interface Sent {
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
  timestamp: number | null;
}

/** A producer on the addon whose reports settle per id. */
function open(global: NativeConfig, topic: NativeConfig): { native: NativeBatchProducer; reports: Map<number, { ok: boolean; code?: number; partition: number; offset?: number; timestamp?: number }>; errors: string[] } {
  const reports = new Map<number, { ok: boolean; code?: number; partition: number; offset?: number; timestamp?: number }>();
  const errors: string[] = [];
  const events: BatchProducerEvents = {
    onReports(ok, okPos, failed) {
      if (ok !== null && okPos !== null) for (let i = 0; i < ok.length; i += 2) reports.set(ok[i]!, { ok: true, partition: ok[i + 1]!, offset: okPos[i]!, timestamp: okPos[i + 1]! });
      if (failed !== null) for (let i = 0; i < failed.length; i += 4) reports.set(failed[i]!, { ok: false, code: failed[i + 1]!, partition: failed[i + 2]! });
    },
    onError: (e) => errors.push(`${e.code} ${e.message}`),
    onLog: () => undefined,
    onStats: () => undefined,
  };
  return { native: createAddonBatchProducer(global, topic, events), reports, errors };
}

const MIB = 1 << 20;

describe('batch producer addon against the real broker', function () {
  this.timeout(120_000);

  it('random batches (null/empty keys and values, 0-64 binary headers with NUL and invalid UTF-8, 1 MiB values) read back byte-exact', async () => {
    const seed = Number(process.env.GOCOFFEE_FUZZ_SEED ?? 20261206);
    const rand = rng(seed);
    const int = (n: number) => Math.floor(rand() * n);
    const bytes = (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    };
    const topic = uniqueName('native-fuzz');
    await createTopic(topic, 1, 1, { 'max.message.bytes': String(4 * MIB) });
    const cfg = toLibrdkafkaConfig(testConfig(), 'producer');
    const { native, reports, errors } = open({ ...cfg.global, 'message.max.bytes': 4 * MIB }, cfg.topic);
    const sent: Sent[] = [];
    const packer = new BatchPacker(64, 'message_id');
    let id = 0;
    try {
      for (let batch = 0; batch < 12; batch++) {
        const n = 1 + int(64);
        packer.reset();
        for (let i = 0; i < n; i++) {
          const kr = int(5);
          const key = kr === 0 ? null : kr === 1 ? Buffer.alloc(0) : kr === 2 ? `k-${int(1000)}-☕` : kr === 3 ? '' : bytes(1 + int(40));
          const vr = int(20);
          const value = vr === 0 ? null : vr === 1 ? Buffer.alloc(0) : vr === 2 && batch % 4 === 0 ? bytes(MIB) : bytes(int(2048));
          const hc = int(5) === 0 ? 64 : int(4);
          const headers: Array<[string, Buffer]> = [];
          for (let j = 0; j < hc; j++) {
            const hr = int(4);
            const hv = hr === 0 ? Buffer.from([0, 0xff, 0xfe, 0x80, 0]) : hr === 1 ? Buffer.alloc(0) : hr === 2 ? Buffer.from('x\0y', 'latin1') : bytes(int(64));
            headers.push([`h${j}-${int(10)}`, hv]);
          }
          const timestamp = int(3) === 0 ? 1_700_000_000_000 + int(1_000_000) : null;
          const native: NativeHeaders | undefined = headers.length === 0 ? undefined : headers.map(([k, v]) => ({ [k]: v }));
          packer.add(id++, topic, null, key, value, native, timestamp);
          sent.push({ key, value, headers, timestamp });
        }
        let start = 0;
        while (start < packer.count) {
          start += native.produceBatch(packer.topics, packer.bytes, packer.table, packer.count, start);
          if (start < packer.count) await new Promise((r) => setTimeout(r, 5)); // queue full: reports free room
        }
      }
      await waitFor(() => reports.size === sent.length, 60_000, 'every delivery report');
      const failed = [...reports.entries()].filter(([, r]) => !r.ok);
      assert.deepEqual(failed, [], `failed deliveries (seed ${seed})`);
      assert.deepEqual(errors, []);
      assert.equal(await native.flush(5000), 0);
    } finally {
      await native.close();
    }
    const got = await readAll(topic, sent.length, 60_000);
    assert.equal(got.length, sent.length, `read back every message (seed ${seed})`);
    for (let i = 0; i < sent.length; i++) {
      const s = sent[i]!;
      const m = got[i]!;
      const r = reports.get(i)!;
      assert.equal(m.offset, r.offset, `message ${i}: offset reported = offset read`);
      const key = s.key === null ? null : Buffer.from(s.key);
      assert.deepEqual(m.key === undefined || m.key === null ? null : Buffer.from(m.key as Buffer), key, `message ${i} key (seed ${seed})`);
      assert.ok(m.value === null ? s.value === null : s.value !== null && m.value.equals(s.value), `message ${i} value (seed ${seed})`);
      const hs = (m.headers ?? []).map((h) => Object.entries(h).map(([k, v]) => [k, Buffer.from(v as Buffer)] as [string, Buffer])[0]!);
      assert.deepEqual(hs, s.headers, `message ${i} headers (seed ${seed})`);
      if (s.timestamp !== null) {
        assert.equal(m.timestamp, s.timestamp, `message ${i} timestamp`);
        assert.equal(r.timestamp, s.timestamp, `message ${i} reported timestamp`);
      }
    }
  });

  it('topic-level properties take effect: acks (request.required.acks) and idempotence are checked together, acks=0 reports no offsets', async () => {
    const topic = uniqueName('native-acks');
    await createTopic(topic, 3);
    const cfg = toLibrdkafkaConfig(testConfig(), 'producer');
    // The idempotent producer needs acks=all: librdkafka refuses the combination, which it can
    // only do if the topic-level acks reached it.
    assert.throws(() => open(cfg.global, { ...cfg.topic, 'request.required.acks': 0 }), /acks|idempotence/i);
    for (const acks of [0, -1]) {
      const { native, reports } = open({ ...cfg.global, 'enable.idempotence': false }, { ...cfg.topic, 'request.required.acks': acks, partitioner: 'murmur2_random' });
      try {
        const packer = new BatchPacker(10, 'message_id');
        for (let i = 0; i < 10; i++) packer.add(i, topic, null, `key-${i}`, Buffer.from(`v${i}`), undefined, null);
        assert.equal(native.produceBatch(packer.topics, packer.bytes, packer.table, packer.count, 0), 10);
        await waitFor(() => reports.size === 10, 30_000, 'reports');
        for (const [i, r] of reports) {
          assert.ok(r.ok, `message ${i}`);
          if (acks === 0) assert.ok(r.offset! < 0, `acks=0: the broker does not answer, no offset (got ${r.offset})`);
          else assert.ok(r.offset! >= 0, 'acks=all: a real offset');
        }
        // murmur2_random: a key's partition is the Java client's (same keys as producer.test.ts's check).
        if (acks === -1) {
          const parts = new Set([...reports.values()].map((r) => r.partition));
          assert.ok(parts.size > 1, 'keys spread over partitions');
        }
      } finally {
        await native.close();
      }
    }
  });
});
