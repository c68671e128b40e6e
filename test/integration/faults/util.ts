/**
 * Helpers of the broker-fault tests: configuration for the isolated three-broker cluster of
 * scripts/stack-cluster.mjs, topic creation with RF 3, a raw reader that reads a topic completely
 * (independent of the library's consumer), and guards that catch anything escaping as an
 * unhandled rejection or uncaught exception.
 *
 * Knobs: GOCOFFEE_FAULTS_MESSAGES (messages of the leader-kill test, default 200000),
 * GOCOFFEE_FAULTS_VERBOSE=1 (per-second timelines), GOCOFFEE_TEST_KNOWN_BUGS=1 (fail instead of
 * pending on the checks a known src/ bug breaks), GOCOFFEE_FAULTS_PORT_BASE / _TIMEOUT_MS /
 * _WAIT_MS (see scripts/stack-cluster.mjs). Logs of the cluster: .stack/faults/logs/.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { resolveConfig, toLibrdkafkaConfig, type KafkaConfig, type KafkaConfigInput } from '../../../src/config/index.js';
import { loadNativeBinding, type NativeMessage, type NativeWatermarks } from '../../../src/native/index.js';
import { connectClient, disconnectClient } from '../../../src/native/lifecycle.js';
import { CLUSTER_BOOTSTRAP, startCluster, stopCluster, waitForIsr } from '../../../scripts/stack-cluster.mjs';

export { CLUSTER_BOOTSTRAP };

export function clusterConfig(input: KafkaConfigInput = {}): KafkaConfig {
  return resolveConfig({ brokers: CLUSTER_BOOTSTRAP, clientId: 'gocoffee-faults', connectTimeoutMs: 10_000, ...input });
}

/**
 * Registers before/after hooks that start the isolated cluster for the enclosing describe() and
 * stop it afterwards (also when a test failed).
 */
export function useCluster(): void {
  before(async function () {
    this.timeout(180_000);
    const r = await startCluster();
    console.log(`      [faults] three-broker cluster ${r.bootstrapServers} up in ${r.seconds.toFixed(1)} s`);
  });
  after(async function () {
    this.timeout(60_000);
    await stopCluster();
  });
}

/**
 * After each test of a fault suite: disposes the escape guard, stops the consumer and closes the
 * client that `held()` returns (whichever the test made; a failed test leaves nothing running).
 */
export function cleanUpEach(held: () => { guard?: { dispose(): void } | undefined; consumer?: { stop(): Promise<unknown> } | undefined; cm?: { close(): Promise<unknown> } | undefined }): void {
  afterEach(async () => {
    const { guard, consumer, cm } = held();
    guard?.dispose();
    await consumer?.stop().catch(() => undefined);
    await cm?.close().catch(() => undefined);
  });
}

/** Creates a topic with replication factor 3 on the cluster and waits until every replica is in sync. */
export async function createClusterTopic(topic: string, partitions: number, config: Record<string, string> = {}): Promise<void> {
  const admin = loadNativeBinding().createAdmin(toLibrdkafkaConfig(clusterConfig(), 'admin').global);
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 3, config }, 20_000, (err) =>
        err ? reject(new Error(`createTopic ${topic}: ${err.message}`)) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
  await waitForIsr(topic, { isr: 3, timeoutMs: 60_000 });
}

/** End offsets of every partition (asked through a fresh producer connection). */
export async function endOffsets(topic: string, partitions: number): Promise<number[]> {
  const cfg = toLibrdkafkaConfig(clusterConfig(), 'producer');
  const p = loadNativeBinding().createProducer(cfg.global, cfg.topic);
  await connectClient(p, 10_000, 'fault-test cluster');
  try {
    // After a broker fault leadership may still move (preferred-leader election): a query that
    // reaches a former leader fails with "not leader", and a new leader answers "leader high
    // watermark is not caught up" (OFFSET_NOT_AVAILABLE) until its high watermark has caught up;
    // ask again until the cluster has settled.
    const query = (i: number) =>
      new Promise<number>((resolve, reject) =>
        p.queryWatermarkOffsets(topic, i, 10_000, (err, w: NativeWatermarks) => (err ? reject(err) : resolve(w.highOffset))),
      );
    const settled = async (i: number): Promise<number> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          return await query(i);
        } catch (e) {
          const text = String((e as Error).message);
          if (Date.now() > deadline || !/not leader|leader not available|not available|not caught up|timed out|unknown topic or partition/i.test(text)) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    return await Promise.all(Array.from({ length: partitions }, (_, i) => settled(i)));
  } finally {
    await disconnectClient(p, 2000);
  }
}

/**
 * Reads every record of `topic` (all partitions, from offset 0 to the current end) with a raw
 * native consumer using manual assignment (no group), and calls `onMessage` for each in partition
 * offset order. Returns the number of records per partition.
 */
export async function readTopic(topic: string, partitions: number, onMessage: (m: NativeMessage) => void, timeoutMs = 120_000): Promise<number[]> {
  const ends = await endOffsets(topic, partitions);
  const cfg = toLibrdkafkaConfig(clusterConfig({ groupId: `verify-${Date.now()}` }), 'consumer');
  const c = loadNativeBinding().createConsumer(
    { ...cfg.global, 'enable.auto.commit': false, 'fetch.wait.max.ms': 50, 'queued.max.messages.kbytes': 65536 },
    { ...cfg.topic, 'auto.offset.reset': 'earliest' },
  );
  await connectClient(c, 10_000, 'fault-test cluster');
  const next = new Array<number>(partitions).fill(0);
  const counts = new Array<number>(partitions).fill(0);
  try {
    c.assign(Array.from({ length: partitions }, (_, i) => ({ topic, partition: i, offset: 0 }) as never));
    c.setDefaultConsumeTimeout(200);
    const deadline = Date.now() + timeoutMs;
    while (next.some((n, i) => n < ends[i]!)) {
      if (Date.now() > deadline) throw new Error(`readTopic ${topic}: read up to [${next}] of [${ends}] in ${timeoutMs} ms`);
      const batch = await new Promise<NativeMessage[]>((resolve, reject) => c.consume(5000, (err, m) => (err ? reject(err) : resolve(m))));
      for (const m of batch) {
        if (m.offset < next[m.partition]!) continue; // re-fetched after a reconnect
        if (m.offset !== next[m.partition]) throw new Error(`readTopic ${topic}[${m.partition}]: offset gap, expected ${next[m.partition]} got ${m.offset}`);
        next[m.partition] = m.offset + 1;
        counts[m.partition]!++;
        onMessage(m);
      }
    }
  } finally {
    await disconnectClient(c, 5000);
  }
  return counts;
}

export { escapeGuard } from '../bad-input/util.js';

/** A fixed-size value: `<id>|<key>|<seq>|` padded with '.' to `size` bytes. */
export function valueOf(id: number, key: string, seq: number, size = 100): string {
  const head = `${id}|${key}|${seq}|`;
  return head.length >= size ? head : head + '.'.repeat(size - head.length);
}

export function parseValue(value: Buffer | null): { id: number; key: string; seq: number } {
  const text = value?.toString('latin1') ?? '';
  const a = text.indexOf('|');
  const b = text.indexOf('|', a + 1);
  const c = text.indexOf('|', b + 1);
  return { id: Number(text.slice(0, a)), key: text.slice(a + 1, b), seq: Number(text.slice(b + 1, c)) };
}

export const sleep = delay;

/** Error code (or name) of an error, for tallies. */
export function codeOf(err: unknown): string {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : ((err as Error)?.name ?? typeof err);
}

export function tally(errors: readonly unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of errors) out[codeOf(e)] = (out[codeOf(e)] ?? 0) + 1;
  return out;
}
