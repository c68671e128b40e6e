import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConfigError, toLibrdkafkaConfig } from '../../../src/config/index.js';
import { ConnectionManager } from '../../../src/client.js';
import { Reader, type ConsumedMessage } from '../../../src/consumer/index.js';
import { ConnectionError } from '../../../src/errors/index.js';
import { loadNativeBinding } from '../../../src/native/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, testConfig, uniqueName } from '../helpers.js';
import { committedOffsets } from './util.js';

/** A Reader built as ConnectionManager.getReader builds one, with its buffer bounds given. */
function readerOf(cm: ConnectionManager, topic: string, group: string, options: ConstructorParameters<typeof Reader>[6]): Reader {
  const cfg = toLibrdkafkaConfig(cm.config, 'consumer');
  return new Reader(loadNativeBinding(), { ...cfg.global, 'group.id': group }, cfg.topic, topic, group, cm.config.connectTimeoutMs, options);
}

/** Reads until `n` messages came (or `timeoutMs` passed), checking each call's size and the buffer bound. */
async function readN(r: Reader, n: number, perCall: number, bound: number, timeoutMs = 30_000): Promise<{ got: ConsumedMessage[]; calls: number; peak: number }> {
  const got: ConsumedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  let calls = 0;
  let peak = 0;
  while (got.length < n && Date.now() < deadline) {
    const batch = await r.read(Math.min(perCall, n - got.length), 2000);
    calls++;
    assert.ok(batch.length <= perCall, `read(${perCall}) returned ${batch.length}`);
    got.push(...batch);
    peak = Math.max(peak, r.buffered);
    assert.ok(r.buffered <= bound, `buffer ${r.buffered} above its bound ${bound}`);
  }
  return { got, calls, peak };
}

/** Offsets per partition, each checked to be consecutive (no gap, no repeat). */
function byPartition(msgs: readonly ConsumedMessage[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of msgs) {
    const list = out.get(m.partition) ?? [];
    if (list.length > 0) assert.equal(m.offset, list[list.length - 1]! + 1, `partition ${m.partition}: offset ${m.offset} after ${list[list.length - 1]}`);
    list.push(m.offset);
    out.set(m.partition, list);
  }
  return out;
}

describe('Reader on the batch engine (real broker)', function () {
  this.timeout(90_000);
  let cm: ConnectionManager;

  before(async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
  });
  after(async () => {
    await cm.close();
  });

  it('reads across many slabs with a bounded buffer, commits, and a new Reader of the group continues after the committed offsets: every message once', async () => {
    const topic = uniqueName('reader-slabs');
    const group = uniqueName('rg');
    await createTopic(topic, 3);
    const total = 3000;
    const outcomes = await cm.producer.publishBatch(Array.from({ length: total }, (_, i) => newMessage(topic, `v${i}`).withKey(`k${i % 97}`)));
    assert.ok(outcomes.every((o) => o.ok));

    // slabs of at most 64, at most 300 buffered: 2000 messages take many slabs and several pauses
    const a = readerOf(cm, topic, group, { fetchBatchSize: 64, bufferMessages: 300 });
    await a.connect();
    const head = await a.read(1, 20_000);
    assert.equal(head.length, 1);
    // not reading for a while: the buffer fills to its bound and fetching pauses there
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(a.buffered > 0 && a.buffered <= 300, `buffered ${a.buffered} while nobody reads (bound 300)`);
    const first = await readN(a, 1999, 100, 300);
    first.got.unshift(...head);
    assert.equal(first.got.length, 2000, 'the first reader got 2000');
    assert.ok(first.calls >= 20, `${first.calls} reads`);
    const firstParts = byPartition(first.got);
    for (const [p, offs] of firstParts) assert.equal(offs[0], 0, `partition ${p} starts at 0`);
    a.commit(first.got);
    const none = (o: number | undefined) => (typeof o === 'number' && o >= 0 ? o : -1001);
    // librdkafka's commit is asynchronous: wait until the group has it, then close
    const expected = [0, 1, 2].map((p) => (firstParts.get(p)?.length ?? 0) || -1001);
    const deadline = Date.now() + 10_000;
    let committed: number[] = [];
    while (Date.now() < deadline) {
      committed = (await a.committed([0, 1, 2])).sort((x, y) => x.partition - y.partition).map((t) => none(t.offset));
      if (committed.every((o, i) => o === expected[i])) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(committed, expected, 'committed offsets after the read messages');
    await a.close();
    assert.equal(a.state, 'closed');
    assert.deepEqual((await committedOffsets(cm, group, topic, 3)).map(none), expected, 'the group kept them (close committed nothing else)');

    const b = readerOf(cm, topic, group, { fetchBatchSize: 64, bufferMessages: 300 });
    await b.connect();
    const rest = await readN(b, total - 2000, 100, 300);
    assert.equal(rest.got.length, total - 2000, 'the second reader got the remaining 1000');
    const restParts = byPartition(rest.got);
    for (const [p, offs] of restParts) assert.equal(offs[0], firstParts.get(p)?.length ?? 0, `partition ${p} continues after the committed offset`);
    const values = new Set([...first.got, ...rest.got].map((m) => m.value!.toString()));
    assert.equal(values.size, total, 'every message exactly once');
    assert.deepEqual(await b.read(100, 500), [], 'nothing more');
    await b.close();
  });

  it('connect(): an unreachable cluster is a ConnectionError within connect_timeout; a refused librdkafka property is a ConfigError', async () => {
    const down = new ConnectionManager(testConfig({ brokers: '127.0.0.1:1', connectTimeoutMs: 1500 }));
    const r = readerOf(down, uniqueName('nowhere'), uniqueName('rg'), {});
    const t0 = Date.now();
    await assert.rejects(r.connect(), (e: unknown) => e instanceof ConnectionError && e.code === 'GCK_CONNECT');
    assert.ok(Date.now() - t0 < 5000, `after ${Date.now() - t0} ms`);
    assert.equal(r.state, 'failed');
    const cfg = toLibrdkafkaConfig(cm.config, 'consumer');
    const bad = new Reader(loadNativeBinding(), { ...cfg.global, 'group.id': 'g', 'fetch.wait.max.ms': 'banana' }, cfg.topic, 't', 'g', 5000);
    await assert.rejects(bad.connect(), (e: unknown) => e instanceof ConfigError && /librdkafka refused the consumer configuration.*fetch\.wait\.max\.ms/.test(e.message));
    assert.equal(bad.state, 'failed');
  });

  it('binary header values, keys and values round-trip byte-exact through read()', async () => {
    const topic = uniqueName('reader-binhdr');
    await createTopic(topic, 1);
    const cases: Array<{ key: Buffer; value: Buffer; headers: Array<[string, Buffer | string]> }> = [
      { key: Buffer.from([0, 0xff, 0]), value: Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x00]), headers: [['bin', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x00])]] },
      { key: Buffer.from('k1'), value: Buffer.alloc(0), headers: [['nul-text', 'a\0b\0'], ['empty', Buffer.alloc(0)]] },
      { key: Buffer.from('k2'), value: randomBytes(200_000), headers: [['big', randomBytes(64 * 1024)], ['dup', Buffer.from([1])], ['dup', Buffer.from([0, 2])]] },
      { key: Buffer.from('k3'), value: Buffer.from('☕'), headers: [['utf8', 'héllo ☕'], ['random', randomBytes(37)]] },
    ];
    const outcomes = await cm.producer.publishBatch(
      cases.map((c, i) => {
        const m = newMessage(topic, c.value).withKey(c.key).withId(`id-${i}`);
        for (const [name, value] of c.headers) m.withHeader(name, value);
        return m;
      }),
    );
    assert.ok(outcomes.every((o) => o.ok));
    const r = cm.getReader(topic, uniqueName('rg'));
    await r.connect();
    const got: ConsumedMessage[] = [];
    const deadline = Date.now() + 20_000;
    while (got.length < cases.length && Date.now() < deadline) got.push(...(await r.read(10, 2000)));
    assert.equal(got.length, cases.length);
    got.forEach((m, i) => {
      const c = cases[i]!;
      assert.equal(m.id, `id-${i}`);
      assert.equal(m.offset, i);
      assert.equal(m.key!.toString('hex'), c.key.toString('hex'), `key ${i}`);
      assert.equal(m.value!.toString('hex'), c.value.toString('hex'), `value ${i}`);
      const own = m.headerList.filter(([name]) => c.headers.some(([n]) => n === name));
      assert.deepEqual(
        own.map(([name, value]) => [name, Buffer.from(value).toString('hex')]),
        c.headers.map(([name, value]) => [name, Buffer.from(value).toString('hex')]),
        `headers of message ${i}`,
      );
    });
    r.commit(got);
    await r.close();
  });

  it('read() with a timeout on an empty topic returns [] after the timeout without busy looping, and hands a message over as it arrives', async () => {
    const topic = uniqueName('reader-empty');
    await createTopic(topic, 2);
    const r = cm.getReader(topic, uniqueName('rg'));
    await r.connect();
    // let the group assign the partitions (their first fetches find nothing)
    assert.deepEqual(await r.read(10, 3000), []);
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    let turns = 0;
    const counting = setInterval(() => turns++, 100);
    const got = await r.read(10, 2000);
    const wall = Date.now() - t0;
    clearInterval(counting);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    assert.deepEqual(got, []);
    assert.ok(wall >= 1990 && wall < 3000, `returned after ${wall} ms`);
    // a read that polled (or spun) would use about a core for those 2 s; waiting costs librdkafka's idle threads only
    assert.ok(cpuMs < wall * 0.2, `used ${cpuMs.toFixed(0)} ms CPU in ${wall} ms`);
    assert.ok(turns >= 15, `the event loop ran meanwhile (${turns} timer turns)`);

    const t1 = Date.now();
    const pending = r.read(10, 10_000);
    await new Promise((res) => setTimeout(res, 200));
    assert.ok((await cm.producer.publish(newMessage(topic, 'late').withKey('x'))).partition >= 0);
    const [m] = await pending;
    assert.equal(m?.text(), 'late');
    assert.ok(Date.now() - t1 < 5000, `handed over after ${Date.now() - t1} ms`);
    r.commit([m!]);
    await r.close();
  });
});
