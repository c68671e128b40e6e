/**
 * One producer-only run of the library, for CPU profiles and before/after comparisons of the
 * producer's JS hot path. Produces --messages × --bytes keyed messages (--keys string keys,
 * round-robin, like bench/scenarios/producer.ts) to a fresh --partitions topic through the public
 * API (publish() / send() / publishBatch() / writable()), after a --warmup run on the same topic, and prints one
 * JSON line per run: msgs/s, main-thread CPU µs/msg, GC pause µs/msg. Several modes (comma-separated)
 * run in turn in one process, --rounds times (like the suite, which interleaves its clients).
 *
 *   node --import tsx [--cpu-prof --cpu-prof-dir=/tmp/prof] bench/experiments/producer-profile.ts \
 *     [--mode publish|send|batch|batch-failures|packed|stream[,...]] [--rounds 1] [--messages 1000000] [--bytes 100] [--keys 100] \
 *     [--no-ids] [--max-in-flight N] [--root /path] [--dist]
 *
 * --dist: load <root>/dist/ (tsc output; set GOCOFFEE_NATIVE_BUILD to the addons' folder if <root>
 * has no build/): CPU profiles then have line numbers (tsx's output is one line per module).
 * --root: a checkout (or a copy of src/ with build/ and node_modules/ beside it) whose library is
 * loaded instead of this one, so an old and a new copy can be run alternately in one session.
 */
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuWindow } from '../lib/cpu.js';
import { TopicAdmin, benchConfig, uniqueName, waitForLeaders } from '../lib/kafka.js';
import { payload, keySet } from '../scenarios/producer.js';

const { values } = parseArgs({
  options: {
    /** One mode, or several (comma-separated) run in turn in this process, --rounds times. */
    mode: { type: 'string', default: 'send' },
    rounds: { type: 'string', default: '1' },
    messages: { type: 'string', default: '1000000' },
    warmup: { type: 'string', default: '100000' },
    bytes: { type: 'string', default: '100' },
    keys: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '6' },
    root: { type: 'string' },
    label: { type: 'string' },
    /** Load <root>/dist/*.js (compiled with tsc: line numbers in CPU profiles) instead of <root>/src/*.ts. */
    dist: { type: 'boolean', default: false },
    /** Config message_ids: false (no id header): prices the header in produceBatch. */
    'no-ids': { type: 'boolean', default: false },
    /** ConnectionManager maxInFlight (the engine's in-flight window); default: the library's. */
    'max-in-flight': { type: 'string' },
  },
});
const modes = values.mode!.split(',') as Array<'publish' | 'send' | 'batch' | 'batch-failures' | 'packed' | 'stream'>;
const messages = Number(values.messages);
const partitions = Number(values.partitions);
const root = values.root === undefined ? new URL('../../', import.meta.url) : pathToFileURL(resolve(values.root) + '/');

type Lib = {
  ConnectionManager: new (config: unknown, opts: { pollIntervalMs: number; maxInFlight?: number }) => {
    initialize(): Promise<void>;
    metadata(topic: string, timeout: number): Promise<unknown>;
    close(): Promise<void>;
    readonly producer: {
      publish(m: unknown): Promise<unknown>;
      send(m: unknown, cb: (err: Error | null) => void): void;
      publishBatch(ms: unknown[]): Promise<Array<{ ok: boolean }>>;
      publishBatch(ms: unknown[], o: { results: 'failures' }): Promise<{ failed: unknown[] }>;
      writable(): import('node:stream').Writable & { failed: number };
      createBatch(): { add(topic: string, key: string | null, value: Buffer): number };
      sendBatch(b: unknown): Promise<{ failed: unknown[] }>;
      readonly needsDrain: boolean;
      drain(): Promise<void>;
    };
  };
  newMessage(topic: string, value: Buffer): { withKey(k: string): unknown };
};
const lib = (path: string): string => new URL(values.dist ? `dist/${path}.js` : `src/${path}.ts`, root).href;
const client = (await import(lib('client'))) as Pick<Lib, 'ConnectionManager'>;
const prod = (await import(lib('producer/index'))) as Pick<Lib, 'newMessage'>;

const config = benchConfig(values['no-ids'] ? { messageIds: false } : {});
const admin = new TopicAdmin(config);
const topic = uniqueName('prof');
await admin.create(topic, { partitions, replicationFactor: 1 });
const value = payload(Number(values.bytes));
const keys = keySet(Number(values.keys));

const cm = new client.ConnectionManager(config, {
  pollIntervalMs: 5,
  ...(values['max-in-flight'] !== undefined ? { maxInFlight: Number(values['max-in-flight']) } : {}),
});
await cm.initialize();
await waitForLeaders((t) => cm.metadata(t, 5000) as never, topic, partitions);
const producer = cm.producer;

async function run(mode: string, n: number): Promise<{ ms: number; errors: number }> {
  let settled = 0;
  let errors = 0;
  let t1 = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const onOk = (): void => {
    if (++settled === n) {
      t1 = performance.now();
      done();
    }
  };
  const onErr = (): void => {
    errors++;
    onOk();
  };
  const onReport = (err: Error | null): void => {
    if (err !== null) errors++;
    onOk();
  };
  const build = (i: number): unknown => {
    const m = prod.newMessage(topic, value);
    if (keys !== null) m.withKey(keys[i % keys.length]!);
    return m;
  };
  const t0 = performance.now();
  if (mode === 'batch' || mode === 'batch-failures' || mode === 'packed') {
    for (let start = 0; start < n; start += 10_000) {
      if (producer.needsDrain) await producer.drain();
      const c = Math.min(10_000, n - start);
      const settle = (failed: number): void => {
        errors += failed;
        settled += c;
        if (settled === n) {
          t1 = performance.now();
          done();
        }
      };
      if (mode === 'packed') {
        // createBatch() / sendBatch(): packed as added, no message object.
        const batch = producer.createBatch();
        for (let j = 0; j < c; j++) batch.add(topic, keys === null ? null : keys[(start + j) % keys.length]!, value);
        void producer.sendBatch(batch).then((s) => settle(s.failed.length));
        continue;
      }
      const batch = new Array<unknown>(c);
      for (let j = 0; j < c; j++) batch[j] = build(start + j);
      if (mode === 'batch') {
        void producer.publishBatch(batch).then((outcomes) => settle(outcomes.filter((o) => !o.ok).length));
      } else {
        void producer.publishBatch(batch, { results: 'failures' }).then((s) => settle(s.failed.length));
      }
    }
  } else if (mode === 'stream') {
    // producer.writable(): a generator of messages piped in; the clock stops at 'finish' (all acknowledged).
    const source = Readable.from((function* () {
      for (let i = 0; i < n; i++) yield build(i);
    })());
    const stream = producer.writable();
    await pipeline(source, stream);
    errors += stream.failed;
    settled = n;
    t1 = performance.now();
    done();
  } else {
    for (let i = 0; i < n; i++) {
      if (producer.needsDrain) await producer.drain();
      if (mode === 'publish') void producer.publish(build(i)).then(onOk, onErr);
      else producer.send(build(i), onReport);
    }
  }
  await finished;
  return { ms: t1 - t0, errors };
}

try {
  for (const mode of modes) await run(mode, Number(values.warmup));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const mode of modes) {
      const cpu = cpuWindow();
      const r = await run(mode, messages);
      const use = cpu.stop(messages);
      console.log(
        JSON.stringify({ label: values.label ?? root.pathname, mode, round, msgsPerSec: Math.round((messages / r.ms) * 1000), errors: r.errors, ...use }),
      );
    }
  }
} finally {
  await cm.close();
  await admin.delete(topic);
  admin.close();
}
process.exit(0);
