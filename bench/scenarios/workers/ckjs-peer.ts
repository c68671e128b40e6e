/**
 * The ck-js peer's process (forked by bench/lib/ckjs.ts with --import tsx --expose-gc): loads
 * @confluentinc/kafka-javascript from bench/peers/ — the first and only librdkafka of this process —
 * and runs one producer or consumer run per IPC request with its KafkaJS-compatible API, measuring
 * it the way the in-process clients are measured (lib/drive.ts, lib/clock.ts, lib/cpu.ts). Imports
 * nothing from src/ or lib/kafka.ts (they would load node-rdkafka's librdkafka.so.1).
 */
import { createRequire } from 'node:module';
import { Clock } from '../../lib/clock.js';
import { cpuWindow } from '../../lib/cpu.js';
import { driveBatches } from '../../lib/drive.js';
import type { CkjsConsumeRequest, CkjsHello, CkjsProduceRequest, CkjsRequest, CkjsResponse, WireMeasurement } from '../../lib/ckjs.js';

const requirePeer = createRequire(new URL('../../peers/package.json', import.meta.url));
// the package is not a dependency of the root project: it has no types at type-check time
type Any = any;
const ck = requirePeer('@confluentinc/kafka-javascript') as Any;
const ckPkg = requirePeer('@confluentinc/kafka-javascript/package.json') as { version: string; librdkafka?: string };
const { Kafka, logLevel } = ck.KafkaJS as Any;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Waits until the producer's own metadata shows a leader for every partition (as lib/kafka.ts waitForLeaders). */
async function waitForLeaders(internal: Any, topic: string, partitions: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const md = await new Promise<Any>((resolve) => internal.getMetadata({ topic, timeout: 5000 }, (err: unknown, m: Any) => resolve(err ? undefined : m)));
    const t = md?.topics?.find((x: Any) => x.name === topic);
    if (t && t.partitions.length === partitions && t.partitions.every((p: Any) => p.leader >= 0)) return;
    if (Date.now() > deadline) throw new Error(`topic ${topic}: partitions without a leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const values = new Map<string, Buffer>();

async function produce(req: CkjsProduceRequest): Promise<WireMeasurement> {
  let value = values.get(req.value);
  if (value === undefined) values.set(req.value, (value = Buffer.from(req.value, 'base64')));
  const v = value;
  const kafka = new Kafka({ kafkaJS: { logLevel: logLevel.ERROR } });
  const producer = kafka.producer({ ...req.config, kafkaJS: req.kafkaJS });
  await producer.connect();
  try {
    await waitForLeaders(producer._getInternalClient(), req.topic, req.partitions);
    const keys = req.keys;
    gc();
    const cpu = cpuWindow();
    const r = await driveBatches(req.messages, req.batch, req.concurrency, (start, n) => {
      const batch = new Array<{ key?: string; value: Buffer }>(n);
      for (let j = 0; j < n; j++) batch[j] = keys === null ? { value: v } : { key: keys[(start + j) % keys.length]!, value: v };
      return producer.send({ topic: req.topic, messages: batch });
    });
    const cpuUse = cpu.stop(req.messages);
    if (r.firstError !== undefined) console.error(`  ck-js: ${r.errors} messages failed, first error: ${String(r.firstError)}`);
    return { messages: req.messages, bytes: req.messages * v.length, elapsedMs: r.t1 - r.t0, latenciesMs: Array.from(r.latencies), errors: r.errors, extra: { ...cpuUse } };
  } finally {
    await producer.disconnect();
  }
}

async function consume(req: CkjsConsumeRequest): Promise<WireMeasurement> {
  const kafka = new Kafka({ kafkaJS: { logLevel: logLevel.ERROR } });
  const consumer = kafka.consumer({ ...req.config, kafkaJS: { ...req.kafkaJS, groupId: req.groupId } });
  const clock = new Clock(req.messages, req.messageBytes);
  let cpu: ReturnType<typeof cpuWindow> | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [req.topic] });
    gc();
    await consumer.run({
      partitionsConsumedConcurrently: req.partitionsConsumedConcurrently,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }: Any) => {
        cpu ??= cpuWindow();
        clock.add(batch.messages.length);
      },
    });
    await clock.wait(req.timeoutMs, 'ck-js');
    const use = cpu?.stop(req.messages);
    const { latenciesMs: _none, ...m } = clock.measurement({ ...(use ?? {}) });
    return m;
  } finally {
    await consumer.disconnect();
  }
}

async function handle(req: CkjsRequest): Promise<unknown> {
  switch (req.op) {
    case 'hello':
      return { version: ckPkg.version, librdkafka: String(ck.librdkafkaVersion), bundledLibrdkafka: ckPkg.librdkafka ?? 'unknown', pid: process.pid } satisfies CkjsHello;
    case 'produce':
      return produce(req);
    case 'consume':
      return consume(req);
  }
}

process.on('message', (req: CkjsRequest) => {
  handle(req).then(
    (result) => process.send?.({ id: req.id, ok: true, result } satisfies CkjsResponse),
    (err: unknown) => {
      // the stack goes to this process's stderr (the bench's); the reason travels back
      console.error(`  ck-js child: ${req.op} failed:`, err);
      process.send?.({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies CkjsResponse);
    },
  );
});
// the bench went away (or closed the channel): nothing more to do
process.on('disconnect', () => process.exit(0));
