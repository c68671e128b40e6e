// One measurement in its own process (so clients never share a heap, GC or threadpool):
//   node run-client.mjs '{"client":"addon","op":"produce","mode":"pipe","topic":"t","n":300000}'
// Prints one JSON line. Clients: addon (modes pipe | async | thread), node-rdkafka.
import { loadAddon, BatchPacker, SlabView } from './lib/spike.mjs';
import { rdkafka } from './lib/admin.mjs';
import { CONSUMER, KEYS, PRODUCER, payload } from './lib/workload.mjs';

const args = JSON.parse(process.argv[2]);
const N = args.n ?? 300_000;
const RUN_TIMEOUT_MS = 180_000;

function deferred() {
  let resolve, reject;
  const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
  const timer = setTimeout(() => reject(new Error(`timeout after ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  promise.finally(() => clearTimeout(timer)).catch(() => {});
  return { promise, resolve, reject };
}

/** Messages/s from the first delivery report to the last (excludes connection and idempotent-PID set-up). */
function steady(n, dFirst, tFirst, tLast) {
  return Math.round(((n - dFirst) / (tLast - tFirst)) * 1000);
}

function cpuSince(c0) {
  const c = process.cpuUsage(c0);
  return { cpuUserMs: c.user / 1000, cpuSysMs: c.system / 1000 };
}

async function produceAddon() {
  const addon = loadAddon();
  const batch = args.batch ?? 1000;
  const inflight = args.inflight ?? 100_000;
  const value = payload(100);
  const packer = new BatchPacker(batch, batch * 256);
  const done = deferred();
  let delivered = 0, failed = 0, next = 0, first = 0, start = 0, queueFull = 0, t0 = 0, t1 = 0, crossings = 0;
  let tFirst = 0, dFirst = 0; // first delivery report: the steady-state rate is measured from there
  let warm = null;
  const timeline = [];
  const p = new addon.Producer({ ...PRODUCER, 'spike.wake': args.mode }, (ok, f) => {
    if (warm) {
      warm();
      warm = null;
      return;
    }
    if (args.timeline) timeline.push([Math.round(performance.now() - t0), next, delivered]);
    delivered += ok.length;
    if (tFirst === 0) {
      tFirst = performance.now();
      dFirst = delivered;
    }
    if (f) failed += f.length / 2;
    if (delivered + failed >= N) {
      t1 = performance.now();
      return done.resolve();
    }
    pump();
  });
  function pump() {
    for (;;) {
      if (packer.count === 0) {
        if (next >= N || next - delivered - failed >= inflight) return;
        first = next;
        start = 0;
        const end = Math.min(N, next + batch);
        for (; next < end; next++) packer.add(KEYS[next % 1000], value);
      }
      crossings++;
      start += p.produceBatch(args.topic, packer.bytes, packer.table, packer.count, first, start);
      if (start < packer.count) {
        queueFull++;
        return; // the rest is retried from the next delivery callback
      }
      packer.reset();
    }
  }
  if (args.warmup) {
    // one message first, so that connection, metadata and the idempotent PID are not timed
    const w = new BatchPacker(1, 1024);
    w.add('warmup', value);
    await new Promise((resolve) => {
      warm = resolve;
      p.produceBatch(args.topic, w.bytes, w.table, 1, -1);
    });
  }
  const c0 = process.cpuUsage();
  t0 = performance.now();
  pump();
  await done.promise;
  const cpu = cpuSince(c0);
  if (args.timeline) console.error(JSON.stringify(timeline));
  const stats = p.stats();
  p.close(10_000);
  return { elapsedMs: t1 - t0, messages: N, errors: failed, ...cpu, steady: steady(N, dFirst, tFirst, t1), extra: { firstReportMs: tFirst - t0, queueFull, crossings, ...stats } };
}

async function produceRaw() {
  // bench/scenarios/producer.ts rawRunner: dr_cb, setPollInterval(5), at most 10k awaiting reports.
  const Kafka = rdkafka();
  const value = payload(100);
  const { acks, partitioner, ...global } = PRODUCER;
  const producer = new Kafka.Producer({ ...global, dr_cb: true }, { 'request.required.acks': -1, partitioner });
  await new Promise((resolve, reject) => producer.connect({ timeout: 10000 }, (err) => (err ? reject(err) : resolve())));
  const maxOutstanding = args.inflight ?? 10_000;
  const resumeAt = maxOutstanding - Math.ceil(maxOutstanding / 4);
  const done = deferred();
  let delivered = 0, errors = 0, i = 0, t1 = 0, capped = false, polledOnFull = false, queueFull = 0;
  let tFirst = 0, dFirst = 0, t0 = 0;
  producer.on('delivery-report', (err) => {
    if (err) errors++;
    if (tFirst === 0) {
      // reports of one poll are emitted synchronously in a row: count the whole first burst
      tFirst = performance.now();
      setImmediate(() => (dFirst = delivered));
    }
    if (++delivered === N) {
      t1 = performance.now();
      done.resolve();
    }
    if (capped && i - delivered <= resumeAt) {
      capped = false;
      pump();
    }
  });
  producer.setPollInterval(5);
  const pump = () => {
    while (i < N) {
      if (i - delivered >= maxOutstanding) {
        capped = true;
        return;
      }
      try {
        producer.produce(args.topic, null, value, KEYS[i % 1000], null, i);
      } catch (e) {
        if (e.code !== -184) throw e;
        queueFull++;
        if (!polledOnFull) {
          polledOnFull = true;
          producer.poll();
          setImmediate(pump);
        } else {
          polledOnFull = false;
          setTimeout(pump, 1);
        }
        return;
      }
      polledOnFull = false;
      i++;
    }
  };
  if (args.warmup) {
    // one delivered message first (connection, metadata, idempotent PID), as for the addon
    await new Promise((resolve) => {
      producer.once('delivery-report', () => resolve());
      producer.produce(args.topic, null, value, 'warmup', null, -1);
    });
    delivered = 0;
    errors = 0;
    tFirst = 0;
  }
  const c0 = process.cpuUsage();
  t0 = performance.now();
  pump();
  await done.promise;
  const cpu = cpuSince(c0);
  producer.setPollInterval(0);
  await new Promise((resolve) => producer.disconnect(10_000, () => resolve()));
  return { elapsedMs: t1 - t0, messages: N, errors, ...cpu, steady: steady(N, dFirst, tFirst, t1), extra: { firstReportMs: tFirst - t0, queueFull } };
}

/** Times like bench/scenarios/consumer.ts Clock: from the first batch to the last, first batch excluded. */
class Clock {
  count = 0;
  first = 0;
  t0 = 0;
  t1 = 0;
  c0 = null;
  cpu = null;
  done = deferred();
  add(n) {
    if (this.count === 0) {
      this.t0 = performance.now();
      this.c0 = process.cpuUsage();
      this.first = n;
    }
    this.count += n;
    if (this.count >= N && this.t1 === 0) {
      this.t1 = performance.now();
      this.cpu = cpuSince(this.c0);
      this.done.resolve();
    }
  }
  result(extra) {
    return { elapsedMs: this.t1 - this.t0, messages: N - this.first, errors: 0, ...this.cpu, extra: { firstBatch: this.first, ...extra } };
  }
}

async function consumeAddon() {
  const addon = loadAddon();
  const clock = new Clock();
  const handler = args.handler ?? 'trivial';
  let sink = 0;
  const c = new addon.Consumer(
    { ...CONSUMER, 'group.id': args.group, 'spike.wake': args.mode, 'spike.batch': String(args.batch ?? 1000), ...args.config },
    (count, bytes, meta, pos, hdrs, topics) => {
      const v = new SlabView(count, bytes, meta, pos, hdrs, topics);
      if (handler === 'view') {
        // what a handler reading every message does: key as string, value as a Buffer view
        for (let i = 0; i < count; i++) sink += v.keyString(i).length + v.value(i).length;
      } else {
        for (let i = 0; i < count; i++) sink += meta[i * 10 + 5]; // value length
      }
      c.storeOffsets(topics[0], v.watermarks());
      clock.add(count);
    },
  );
  c.subscribe([args.topic]);
  await clock.done.promise;
  const stats = c.stats();
  c.close();
  return clock.result({ ...stats, sink });
}

async function consumeRaw() {
  // bench/scenarios/consumer.ts rawConsumer: consume(1000) loop, offsetsStore per batch, auto-commit.
  const Kafka = rdkafka();
  const { 'auto.offset.reset': reset, ...global } = CONSUMER;
  const consumer = new Kafka.KafkaConsumer({ ...global, 'group.id': args.group }, { 'auto.offset.reset': reset });
  await new Promise((resolve, reject) => consumer.connect({ timeout: 10000 }, (err) => (err ? reject(err) : resolve())));
  const clock = new Clock();
  let running = true;
  consumer.subscribe([args.topic]);
  const last = new Map();
  const loop = (wait) => {
    if (!running) return;
    consumer.setDefaultConsumeTimeout(wait ? 100 : 0);
    consumer.consume(wait ? 1 : 1000, (err, msgs) => {
      if (err || !running) {
        if (running) setTimeout(() => loop(true), 100);
        return;
      }
      if (msgs.length === 0) return loop(true);
      last.clear();
      for (const m of msgs) last.set(m.partition, m.offset);
      consumer.offsetsStore([...last].map(([partition, offset]) => ({ topic: args.topic, partition, offset: offset + 1 })));
      clock.add(msgs.length);
      loop(false);
    });
  };
  loop(true);
  await clock.done.promise;
  running = false;
  await new Promise((resolve) => consumer.disconnect(() => resolve()));
  return clock.result({});
}

const run = { 'addon:produce': produceAddon, 'addon:consume': consumeAddon, 'node-rdkafka:produce': produceRaw, 'node-rdkafka:consume': consumeRaw }[`${args.client}:${args.op}`];
if (!run) throw new Error(`unknown client/op ${args.client}:${args.op}`);
const r = await run();
console.log(JSON.stringify({ ...args, ...r, msgsPerSec: Math.round((r.messages / r.elapsedMs) * 1000) }));
process.exit(0);
