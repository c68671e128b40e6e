import assert from 'node:assert/strict';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import { BatchConsumer, newBatchConsumer } from '../../../src/native/batch-consumer.js';
import { BatchPacker, createAddonBatchProducer } from '../../../src/native/batch-producer.js';
import type { BatchProducerEvents, NativeConfig, NativeError, NativeHeaders, NativeMessage, NativeTopicPartition } from '../../../src/native/types.js';
import { createTopic, rng, testConfig, uniqueName, waitFor } from '../helpers.js';

interface Sent {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

/** Produces through the batch producer addon; resolves with [partition, offset] of each message by id. */
async function produce(topic: string, msgs: Sent[]): Promise<Map<number, { partition: number; offset: number }>> {
  const cfg = toLibrdkafkaConfig(testConfig(), 'producer');
  const reports = new Map<number, { partition: number; offset: number }>();
  const failed: string[] = [];
  const events: BatchProducerEvents = {
    onReports(ok, okPos, bad) {
      if (ok !== null && okPos !== null) for (let i = 0; i < ok.length; i += 2) reports.set(ok[i]!, { partition: ok[i + 1]!, offset: okPos[i]! });
      if (bad !== null) for (let i = 0; i < bad.length; i += 4) failed.push(`id ${bad[i]} code ${bad[i + 1]}`);
    },
    onError: () => undefined,
    onLog: () => undefined,
    onStats: () => undefined,
  };
  const native = createAddonBatchProducer(cfg.global, cfg.topic, events);
  try {
    const packer = new BatchPacker(Math.max(1, msgs.length), 'message_id');
    msgs.forEach((m, id) => {
      const headers: NativeHeaders | undefined = m.headers.length === 0 ? undefined : m.headers.map(([k, v]) => ({ [k]: v }));
      packer.add(id, topic, m.partition, m.key, m.value, headers, null);
    });
    let start = 0;
    while (start < packer.count) {
      start += native.produceBatch(packer.topics, packer.bytes, packer.table, packer.count, start);
      if (start < packer.count) await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => reports.size + failed.length === msgs.length, 60_000, 'delivery reports');
    assert.deepEqual(failed, []);
  } finally {
    await native.close();
  }
  return reports;
}

function consumerConfig(groupId: string, extra: NativeConfig = {}): { global: NativeConfig; topic: NativeConfig } {
  const cfg = toLibrdkafkaConfig(testConfig({ groupId }), 'consumer');
  return { global: { ...cfg.global, ...extra }, topic: cfg.topic };
}

function connect(c: BatchConsumer): Promise<void> {
  return new Promise((resolve, reject) => c.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
}

function close(c: BatchConsumer): Promise<void> {
  return new Promise((resolve) => c.disconnect(() => resolve()));
}

const tpk = (t: NativeTopicPartition) => `${t.topic}/${t.partition}`;

describe('batch consumer addon against the real broker', function () {
  this.timeout(120_000);

  it('reads binary keys, values and headers (NUL, invalid UTF-8, empty, null) back byte-exact through the slab; commits; counts slabs', async () => {
    const topic = uniqueName('native-consume-bin');
    await createTopic(topic, 2);
    const rand = rng(20261206);
    const int = (n: number) => Math.floor(rand() * n);
    const bytes = (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    };
    const sent: Sent[] = [];
    for (let i = 0; i < 600; i++) {
      const kr = int(4);
      const key = kr === 0 ? null : kr === 1 ? Buffer.alloc(0) : kr === 2 ? Buffer.from(`k${i}`) : bytes(1 + int(30));
      const vr = int(10);
      const value = vr === 0 ? null : vr === 1 ? Buffer.alloc(0) : bytes(int(3000));
      const headers: Array<[string, Buffer]> = [];
      const hc = int(6) === 0 ? 20 : int(4);
      for (let j = 0; j < hc; j++) {
        const hr = int(4);
        headers.push([`h${j}`, hr === 0 ? Buffer.from([0, 0xff, 0xfe, 0x80, 0, 0xc3]) : hr === 1 ? Buffer.alloc(0) : hr === 2 ? Buffer.from('x\0y', 'latin1') : bytes(int(64))]);
      }
      sent.push({ partition: i % 2, key, value, headers });
    }
    const reports = await produce(topic, sent);
    const byPos = new Map<string, number>();
    for (const [id, r] of reports) byPos.set(`${r.partition}@${r.offset}`, id);

    const groupId = uniqueName('native-consume-g');
    const { global, topic: tconf } = consumerConfig(groupId, { 'gocoffee.batch': 100 });
    const c = newBatchConsumer(global, tconf);
    const got: NativeMessage[] = [];
    const errors: NativeError[] = [];
    let batches = 0;
    let maxBatch = 0;
    try {
      await connect(c);
      c.subscribe([topic]);
      c.startFetching({
        batch: (msgs) => {
          batches++;
          maxBatch = Math.max(maxBatch, msgs.length);
          got.push(...msgs);
        },
        error: (e) => errors.push(e),
        room: () => 100,
      });
      await waitFor(() => got.length >= sent.length, 60_000, 'every message');
      assert.deepEqual(errors, []);
      assert.equal(got.length, sent.length);
      assert.ok(maxBatch <= 100, `slabs are bounded by gocoffee.batch (largest ${maxBatch})`);
      for (const m of got) {
        assert.equal(m.topic, topic);
        const id = byPos.get(`${m.partition}@${m.offset}`);
        assert.ok(id !== undefined, `message ${m.partition}@${m.offset} was produced`);
        const s = sent[id]!;
        assert.deepEqual(m.key ?? null, s.key, `key of ${id}`);
        assert.deepEqual(m.value, s.value, `value of ${id}`);
        const hs = (m.headers ?? []).map((h) => Object.entries(h)[0]! as [string, Buffer]);
        assert.deepEqual(hs, s.headers, `headers of ${id}`);
        assert.equal(typeof m.timestamp, 'number');
      }
      const stats = c.engineStats();
      assert.equal(stats.messages, sent.length);
      assert.ok(stats.slabs >= batches && stats.slabs >= Math.ceil(sent.length / 100), `slabs counted: ${JSON.stringify(stats)}`);
      assert.ok(stats.slabBytes > 0);
      // offsets: store + a commit waited for on a worker (commitWait), read back with committed()
      const last = new Map<number, number>();
      for (const m of got) last.set(m.partition, Math.max(last.get(m.partition) ?? -1, m.offset));
      const offsets = [...last].map(([partition, o]) => ({ topic, partition, offset: o + 1 }));
      c.offsetsStore(offsets);
      const answered = await new Promise<Array<{ partition: number; code: number }>>((resolve, reject) => c.commitWait(offsets, 10_000, (err, r) => (err ? reject(err) : resolve(r))));
      assert.deepEqual(answered.map((r) => r.code), offsets.map(() => 0), 'the broker accepted every partition');
      const committed = await new Promise<Array<{ partition: number; offset: number }>>((resolve, reject) =>
        c.committed(offsets.map(({ partition }) => ({ topic, partition })), 5000, (err, r) => (err ? reject(err) : resolve(r))),
      );
      assert.deepEqual(committed.map((o) => [o.partition, o.offset]).sort(), offsets.map((o) => [o.partition, o.offset]).sort());
      const wm = c.getWatermarkOffsets(topic, 0);
      assert.equal(wm.highOffset, last.get(0)! + 1);
    } finally {
      await close(c);
    }
  });

  for (const strategy of ['cooperative-sticky', 'range'] as const) {
    const coop = strategy === 'cooperative-sticky';
    it(`${coop ? 'cooperative' : 'eager (range)'} rebalance with two consumers: assign applied in C++, revoke finished by JS (commit, then ${coop ? 'incrementalUnassign' : 'unassign'}); close revokes in C++`, async () => {
      const topic = uniqueName('native-consume-coop');
      await createTopic(topic, 4);
      const groupId = uniqueName('native-coop-g');
      const sent: Sent[] = [];
      for (let i = 0; i < 40; i++) sent.push({ partition: i % 4, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: [] });
      await produce(topic, sent);
      const events: string[] = [];
      const make = (name: string) => {
        const { global, topic: tconf } = consumerConfig(groupId, { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'partition.assignment.strategy': strategy });
        const seen = new Set<string>();
        const owned = new Set<string>();
        let c: BatchConsumer;
        const rebalance_cb = (err: NativeError, tps: NativeTopicPartition[]) => {
          const kind = err.code === -175 ? 'assign' : 'revoke';
          events.push(`${name} ${kind} ${tps.map((t) => t.partition).sort().join(',')} ${c.rebalanceProtocol()}`);
          if (kind === 'assign') {
            for (const t of tps) owned.add(tpk(t));
            c.incrementalAssign(tps); // a no-op: applied by the addon already
            return;
          }
          for (const t of tps) owned.delete(tpk(t));
          // what JS does on a revoke: later (after its bounded wait), commit what it read of them and
          // wait for the answer (on a worker), then give them up
          setTimeout(() => {
            const next = tps.map((t) => ({ topic: t.topic, partition: t.partition, offset: 1 + Math.max(-1, ...[...seen].filter((k) => k.startsWith(`${t.partition}@`)).map((k) => Number(k.split('@')[1]))) }));
            const giveUp = () => {
              try {
                if (coop) c.incrementalUnassign(tps);
                else c.unassign();
              } catch {
                /* closed meanwhile: the close revoked them in C++ */
              }
            };
            const read = next.filter((o) => o.offset > 0);
            if (read.length === 0) return giveUp();
            try {
              c.commitWait(read, 5000, giveUp);
            } catch {
              /* closed meanwhile: the close revoked them in C++ */
            }
          }, 50);
        };
        c = newBatchConsumer({ ...global, rebalance_cb: rebalance_cb as never }, tconf);
        return { c, seen, owned };
      };
      const a = make('A');
      const b = make('B');
      try {
        await connect(a.c);
        a.c.subscribe([topic]);
        a.c.startFetching({ batch: (msgs) => msgs.forEach((m) => a.seen.add(`${m.partition}@${m.offset}`)), error: () => undefined, room: () => 1000 });
        await waitFor(() => a.owned.size === 4 && a.seen.size === 40, 30_000, 'A owns all 4 partitions and read everything');
        assert.deepEqual(a.c.assignments().length, 4);
        await connect(b.c);
        b.c.subscribe([topic]);
        b.c.startFetching({ batch: (msgs) => msgs.forEach((m) => b.seen.add(`${m.partition}@${m.offset}`)), error: () => undefined, room: () => 1000 });
        await waitFor(() => a.owned.size === 2 && b.owned.size === 2, 30_000, `2 + 2 after B joined: ${events.join(' | ')}`);
        await waitFor(() => a.c.assignments().length === 2 && b.c.assignments().length === 2, 10_000, 'assignments applied');
        if (coop) {
          assert.ok(events.some((e) => e.startsWith('A revoke') && e.endsWith('COOPERATIVE')), events.join(' | '));
          assert.ok(!events.some((e) => e.startsWith('A revoke 0,1,2,3')), 'cooperative: A kept two partitions');
        } else {
          assert.ok(events.some((e) => e.startsWith('A revoke 0,1,2,3 EAGER')), `eager: A gave everything up first: ${events.join(' | ')}`);
        }
      } finally {
        await close(b.c);
        await close(a.c);
      }
      // B's close revoked its partitions in C++; they are reported after the close
      assert.ok(events.filter((e) => e.startsWith('B revoke')).length >= 1, events.join(' | '));
    });
  }

  it('pause stops a partition (nothing delivered), resume continues from the position', async () => {
    const topic = uniqueName('native-consume-pause');
    await createTopic(topic, 1);
    const sent: Sent[] = [];
    for (let i = 0; i < 50; i++) sent.push({ partition: 0, key: null, value: Buffer.from(`v${i}`), headers: [] });
    await produce(topic, sent.slice(0, 10));
    const groupId = uniqueName('native-pause-g');
    const { global, topic: tconf } = consumerConfig(groupId);
    const c = newBatchConsumer(global, tconf);
    const got: number[] = [];
    let paused = false;
    try {
      await connect(c);
      c.subscribe([topic]);
      c.startFetching({
        batch: (msgs) => {
          for (const m of msgs) got.push(m.offset);
          if (!paused) {
            paused = true;
            c.pause([{ topic, partition: 0 }]);
          }
        },
        error: () => undefined,
        room: () => 1000,
      });
      await waitFor(() => paused, 30_000, 'first batch');
      const before = got.length;
      await produce(topic, sent.slice(10));
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(got.length, before, 'nothing delivered while paused');
      c.resume([{ topic, partition: 0 }]);
      await waitFor(() => new Set(got).size === 50, 30_000, 'the rest after resume');
      assert.deepEqual([...new Set(got)].sort((x, y) => x - y), [...Array(50).keys()]);
    } finally {
      await close(c);
    }
  });
});
