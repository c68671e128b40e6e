/**
 * Counts what the library's engine does per message while publishing for throughput, by handing
 * ConnectionManager a binding whose producer counts produce() calls, QUEUE_FULL throws, poll()
 * calls and delivery reports. Throwaway diagnostics (the counting wrapper itself costs a little).
 *
 *   GOCOFFEE_KAFKA_BROKERS=127.0.0.1:9092 node --import tsx bench/experiments/count-queue-full.ts [messages] [bytes] [pollMs]
 */
import { ConnectionManager } from '../../src/client.js';
import { loadNativeBinding, type NativeBinding, type NativeProducer } from '../../src/native/index.js';
import { newMessage } from '../../src/producer/index.js';
import { TopicAdmin, benchConfig, uniqueName, waitForLeaders } from '../lib/kafka.js';

const messages = Number(process.argv[2] ?? 200_000);
const bytes = Number(process.argv[3] ?? 100);
const pollMs = Number(process.argv[4] ?? 5);

const counts = { produce: 0, queueFull: 0, poll: 0, reports: 0, reportBursts: 0 };
const real = loadNativeBinding();
const binding: NativeBinding = {
  ...real,
  errorCodeOf: real.errorCodeOf,
  createConsumer: real.createConsumer,
  createAdmin: real.createAdmin,
  createProducer(global, topic) {
    const p = real.createProducer(global, topic);
    const produce = p.produce.bind(p);
    const poll = p.poll.bind(p);
    (p as { produce: NativeProducer['produce'] }).produce = (...args) => {
      counts.produce++;
      try {
        return produce(...args);
      } catch (e) {
        if ((e as { code?: number }).code === -184) counts.queueFull++;
        throw e;
      }
    };
    (p as { poll: NativeProducer['poll'] }).poll = () => {
      counts.poll++;
      return poll();
    };
    let lastTick = -1;
    let tick = 0;
    setInterval(() => tick++, 1).unref();
    p.on('delivery-report', () => {
      counts.reports++;
      if (tick !== lastTick) {
        counts.reportBursts++;
        lastTick = tick;
      }
    });
    return p;
  },
};

const config = benchConfig();
const admin = new TopicAdmin(config);
const topic = uniqueName('bench-exp-count');
await admin.create(topic, { partitions: 6, replicationFactor: 1 });
const cm = new ConnectionManager(config, { binding, pollIntervalMs: pollMs });
await cm.initialize();
await waitForLeaders((t) => cm.metadata(t, 5000), topic, 6);
const producer = cm.producer;
const value = Buffer.alloc(bytes, 'x');
let settled = 0;
let drains = 0;
let resolveDone!: () => void;
const done = new Promise<void>((r) => (resolveDone = r));
const onOk = () => {
  if (++settled === messages) resolveDone();
};
const t0 = performance.now();
for (let i = 0; i < messages; i++) {
  if (producer.needsDrain) {
    drains++;
    await producer.drain();
  }
  producer.publish(newMessage(topic, value).withKey(`k${i % 100}`)).then(onOk, onOk);
}
await done;
const ms = performance.now() - t0;
console.log(JSON.stringify({ messages, bytes, pollMs, msgsPerSec: Math.round(messages / (ms / 1000)), drains, ...counts }));
await cm.close();
await admin.delete(topic);
admin.close();
process.exit(0);
