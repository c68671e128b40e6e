/**
 * The batch engine's ceiling without the library's per-message JS objects: the project's producer
 * addon driven directly by the library's own BatchPacker — same librdkafka properties as the bench
 * (benchConfig → toLibrdkafkaConfig), same keys, payload and message-id header as `send()` (a
 * generated id: the library's prefix + a base-36 counter) — but no OutgoingMessage, no Outbound,
 * no result object per message: the delivery reports are only counted. An in-flight window like
 * the engine's (--window, default 6,000 messages), batches of up to 1,000 messages like the
 * engine's. Prints one JSON line per run (msgs/s, main-thread and process CPU µs/msg, GC pause
 * µs/msg, the broker's CPU µs/msg), like producer-profile.ts, so the two can be alternated:
 *
 *   node --import tsx bench/experiments/engine-ceiling.ts [--rounds 3] [--messages 1000000] [--bytes 100] [--no-ids] [--window 6000]
 *
 * What it shows: how much of the library's per-message cost is its JS object model (message,
 * Outbound, result, outcome, and their GC) rather than the addon + librdkafka, i.e. what an API
 * over caller-owned buffers with one outcome per batch could reach (bench/RESULTS.md "where the
 * time goes"). Not a client: no retries, no ordering guarantees beyond librdkafka's, no close.
 */
import { parseArgs } from 'node:util';
import { cpuWindow } from '../lib/cpu.js';
import { TopicAdmin, benchConfig, closeWatermarkClient, landedMessages, producerProperties, uniqueName } from '../lib/kafka.js';
import { payload, keySet } from '../scenarios/producer.js';
import { BatchPacker, createAddonBatchProducer } from '../../src/native/batch-producer.js';
import { GENERATED_ID_PREFIX } from '../../src/message/outgoing.js';
import { HEADERS } from '../../src/message/headers.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1' },
    messages: { type: 'string', default: '1000000' },
    warmup: { type: 'string', default: '100000' },
    bytes: { type: 'string', default: '100' },
    keys: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '6' },
    window: { type: 'string', default: '6000' },
    'no-ids': { type: 'boolean', default: false },
  },
});
const partitions = Number(values.partitions);
const windowSize = Number(values.window);
const ids = !values['no-ids'];
const BATCH = 1000;

const config = benchConfig();
const admin = new TopicAdmin(config);
const topic = uniqueName('ceiling');
await admin.create(topic, { partitions, replicationFactor: 1 });
const value = payload(Number(values.bytes));
const keys = keySet(Number(values.keys));
const { global, topic: topicConf } = producerProperties(config);

let acked = 0;
let failed = 0;
let onProgress: () => void = () => {};
const native = createAddonBatchProducer(global, topicConf, {
  onReports: (ok, _okPos, bad) => {
    if (ok !== null) acked += ok.length >> 1;
    if (bad !== null) {
      failed += bad.length >> 2;
      acked += bad.length >> 2;
    }
    onProgress();
  },
  onError: (e) => {
    if (e.fatal) console.error('fatal', e);
  },
  onLog: () => {},
  onStats: () => {},
});
await native.metadata({ topic, timeout: 10_000 });

const packer = new BatchPacker(BATCH, HEADERS.MESSAGE_ID, GENERATED_ID_PREFIX);
let counter = 0;

/** Produces n messages, at most windowSize unacknowledged; resolves when all are reported. */
function run(n: number): Promise<number> {
  const base = acked;
  let sent = 0;
  return new Promise<number>((resolve) => {
    const t0 = performance.now();
    let retry: NodeJS.Immediate | undefined;
    const pump = (): void => {
      retry = undefined;
      while (sent < n && sent - (acked - base) < windowSize) {
        if (packer.count === 0) {
          const c = Math.min(BATCH, n - sent, windowSize - (sent - (acked - base)));
          for (let j = 0; j < c; j++) {
            const i = sent + j;
            const key = keys === null ? null : keys[i % keys.length]!;
            if (ids) {
              const suffix = (++counter).toString(36);
              packer.add(i, topic, null, key, value, undefined, null, suffix, suffix);
            } else packer.add(i, topic, null, key, value, undefined, null);
          }
        }
        const done = native.produceBatch(packer.topics, packer.bytes, packer.table, packer.count, 0);
        if (done < packer.count) {
          // librdkafka's queue is full: keep the rest for the next wake-up (a simplification: the
          // engine resumes at the index; at this window size it does not happen).
          sent += done;
          retry = setImmediate(pump);
          packer.reset();
          return;
        }
        sent += done;
        packer.reset();
      }
      if (acked - base >= n) {
        onProgress = () => {};
        resolve(performance.now() - t0);
      }
    };
    onProgress = () => {
      if (retry === undefined) pump();
    };
    pump();
  });
}

await run(Number(values.warmup));
for (let r = 0; r < Number(values.rounds); r++) {
  const n = Number(values.messages);
  const cpu = cpuWindow();
  const ms = await run(n);
  console.log(JSON.stringify({ label: 'engine-ceiling', ids, round: r, msgsPerSec: Math.round((n * 1000) / ms), failed, ...cpu.stop(n) }));
}
await native.close();
// Cross-check against the broker: every reported message landed, once.
const expected = Number(values.warmup) + Number(values.rounds) * Number(values.messages);
const landed = await landedMessages(config, topic, partitions);
console.log(JSON.stringify({ label: 'engine-ceiling', landed, expected, failed }));
if (landed !== expected || failed !== 0) process.exitCode = 1;
await closeWatermarkClient();
await admin.delete(topic);
process.exit(process.exitCode ?? 0);
