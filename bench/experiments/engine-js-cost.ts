/**
 * The producer's JS cost per message without librdkafka: the real Producer + ProducerEngine over a
 * fake batch addon whose produceBatch() only records the ids and whose reports come back (all ok)
 * on the next macrotask, the way the addon hands them over once per wake-up. Prints ns/message of
 * main-thread CPU (/proc/self/task/<pid>/stat, like bench/lib/cpu.ts) per mode, interleaved: the
 * median and the minimum (the closer estimate on a machine shared with other work).
 *
 *   node --import tsx bench/experiments/engine-js-cost.ts [--messages 1000000] [--runs 5] [--modes send,batch,publish] [--root /path]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'send,batch,publish' },
    root: { type: 'string' },
    label: { type: 'string' },
    /** Load <root>/dist/*.js (tsc output: CPU profiles with line numbers) instead of <root>/src/*.ts. */
    dist: { type: 'boolean', default: false },
  },
});
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const root = values.root === undefined ? new URL('../../', import.meta.url) : pathToFileURL(resolve(values.root) + '/');
const lib = (path: string): string => new URL(values.dist ? `dist/${path}.js` : `src/${path}.ts`, root).href;
const { ProducerEngine } = await import(lib('delivery/engine'));
const { Producer } = await import(lib('producer/producer'));
const { newMessage } = await import(lib('message/outgoing'));
const { Diagnostics } = await import(lib('diagnostics/diagnostics'));

/** The fake addon: ids of produced messages, reported ok at the next macrotask. */
function fakeBinding() {
  let events: { onReports(ok: Int32Array | null, okPos: Float64Array | null, failed: Int32Array | null): void };
  let pending: number[] = [];
  let scheduled = false;
  let offset = 0;
  const deliver = (): void => {
    scheduled = false;
    const ids = pending;
    pending = [];
    const ok = new Int32Array(ids.length * 2);
    const pos = new Float64Array(ids.length * 2);
    for (let i = 0; i < ids.length; i++) {
      ok[2 * i] = ids[i]!;
      ok[2 * i + 1] = ids[i]! % 6;
      pos[2 * i] = offset++;
      pos[2 * i + 1] = 1_700_000_000_000;
    }
    events.onReports(ok, pos, null);
  };
  const native = {
    produceBatch(_topics: string[], _buf: Uint8Array, table: Int32Array, count: number, start: number): number {
      for (let i = start; i < count; i++) pending.push(table[i * 12 + 9]!);
      if (!scheduled) {
        scheduled = true;
        setImmediate(deliver);
      }
      return count - start;
    },
    metadata: () => Promise.resolve({ orig_broker_id: 1, orig_broker_name: 'fake', brokers: [], topics: [] }),
    flush: () => Promise.resolve(0),
    close: () => Promise.resolve(),
    errorString: (c: number) => `error ${c}`,
    ref: () => undefined,
  };
  return {
    librdkafkaVersion: '2.12.0',
    features: ['gzip', 'snappy', 'ssl', 'sasl', 'sasl_plain', 'sasl_scram', 'sasl_oauthbearer', 'lz4', 'zstd', 'http', 'oidc'],
    errorCodeOf: () => -1,
    createBatchProducer: (_g: unknown, _t: unknown, e: typeof events) => {
      events = e;
      return native;
    },
  };
}

const value = Buffer.alloc(100, 65);
const keys = Array.from({ length: 100 }, (_, i) => `customer-${String(i).padStart(5, '0')}`);
const topic = 'bench-topic';
const engine = new ProducerEngine(fakeBinding(), { 'bootstrap.servers': 'fake:9092' }, {}, {
  clientId: 'js-cost', connectTimeoutMs: 1000, retryMax: 0, retryDelivered: false, retryBackoffMs: 100, enqueueTimeoutMs: 30_000, pollIntervalMs: 5,
});
await engine.connect();
const producer = new Producer(engine, { diagnostics: new Diagnostics({ clientId: 'js-cost' }) });

async function run(mode: string, n: number): Promise<number> {
  let settled = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const onOk = (): void => {
    if (++settled === n) done();
  };
  const onReport = (err: Error | null): void => {
    if (err !== null) throw err;
    onOk();
  };
  const build = (i: number) => newMessage(topic, value).withKey(keys[i % 100]!);
  const c0 = mainThreadCpuMs();
  if (mode === 'batch') {
    for (let start = 0; start < n; start += 10_000) {
      if (producer.needsDrain) await producer.drain();
      const batch = new Array(10_000);
      for (let j = 0; j < 10_000; j++) batch[j] = build(start + j);
      void producer.publishBatch(batch).then((o: unknown[]) => {
        settled += o.length;
        if (settled === n) done();
      });
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (producer.needsDrain) await producer.drain();
      if (mode === 'publish') void producer.publish(build(i)).then(onOk, (e: Error) => { throw e; });
      else producer.send(build(i), onReport);
    }
  }
  await finished;
  return ((mainThreadCpuMs() - c0) * 1e6) / n;
}

const modes = values.modes!.split(',');
const n = Number(values.messages);
for (const m of modes) await run(m, 200_000); // warm-up
const res: Record<string, number[]> = {};
for (let r = 0; r < Number(values.runs); r++) for (const m of modes) (res[m] ??= []).push(await run(m, n));
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(JSON.stringify({ label: values.label ?? root.pathname, ...Object.fromEntries(Object.entries(res).flatMap(([m, a]) => [[m, Math.round(med(a))], [`${m}Min`, Math.round(Math.min(...a))]])) }), Object.entries(res).map(([m, a]) => `${m}: ${a.map(Math.round).join(',')}`).join('  '));
await engine.close(1000);
process.exit(0);
