/**
 * Cluster plumbing shared by every scenario: the library configuration the bench uses, topic
 * creation/deletion with the native AdminClient (through src/native, so the same security
 * settings apply), and waiting until a fresh topic has leaders.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolveConfig, toLibrdkafkaConfig, type KafkaConfig, type KafkaConfigInput, type LibrdkafkaConfig } from '../../src/config/index.js';
import { loadNativeBinding, type NativeAdmin, type NativeMetadata } from '../../src/native/index.js';

export const DEFAULT_BROKERS = '127.0.0.1:9092';

/** GOCOFFEE_KAFKA_BROKERS (set by scripts/with-stack.mjs or by you) or the local stack's address. */
export function benchBrokers(): string {
  return process.env.GOCOFFEE_KAFKA_BROKERS || DEFAULT_BROKERS;
}

/**
 * The configuration every client of a run is built from. The GOCOFFEE_KAFKA_* environment is read
 * (so SASL/TLS settings of another cluster apply), then the bench's own fields win.
 */
export function benchConfig(input: KafkaConfigInput = {}): KafkaConfig {
  return resolveConfig({ brokers: benchBrokers(), clientId: 'gocoffee-bench', ...input }, process.env);
}

/** The exact librdkafka properties the library's producer uses; the raw baseline gets the same. */
export function producerProperties(config: KafkaConfig): LibrdkafkaConfig {
  return toLibrdkafkaConfig(config, 'producer');
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** node-rdkafka itself, for raw baselines (src/ reaches it only through src/native). */
export function rdkafka(): typeof import('node-rdkafka') {
  return createRequire(import.meta.url)('node-rdkafka') as typeof import('node-rdkafka');
}

export interface TopicSpec {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Record<string, string>;
}

/** One admin client for the whole bench process. */
export class TopicAdmin {
  readonly #admin: NativeAdmin;

  constructor(config: KafkaConfig) {
    this.#admin = loadNativeBinding().createAdmin(toLibrdkafkaConfig(config, 'admin').global);
  }

  create(topic: string, spec: TopicSpec): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#admin.createTopic(
        { topic, num_partitions: spec.partitions, replication_factor: spec.replicationFactor, config: spec.config ?? {} },
        30_000,
        (err) => (err ? reject(new Error(`createTopic ${topic}: ${err.message}`)) : resolve()),
      ),
    );
  }

  /** Deletes a topic; failures are reported but never fail the bench. */
  delete(topic: string): Promise<void> {
    return new Promise((resolve) =>
      this.#admin.deleteTopic(topic, 30_000, (err) => {
        if (err) console.error(`  (deleteTopic ${topic}: ${err.message})`);
        resolve();
      }),
    );
  }

  close(): void {
    this.#admin.disconnect();
  }
}

/**
 * Polls `metadata` until every partition of `topic` has a leader: a produce to a topic whose
 * metadata is not known yet waits for a metadata round trip, which would land inside the timed run.
 */
export async function waitForLeaders(
  metadata: (topic: string) => Promise<NativeMetadata>,
  topic: string,
  partitions: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await metadata(topic);
      const t = md.topics.find((x) => x.name === topic);
      if (t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)) return;
    } catch {
      /* not there yet */
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic}: partitions without a leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Number of brokers the cluster reports (to pick a replication factor). */
export async function brokerCount(config: KafkaConfig): Promise<number> {
  const binding = loadNativeBinding();
  const cfg = toLibrdkafkaConfig(config, 'producer');
  const p = binding.createProducer(cfg.global, cfg.topic);
  const { connectClient, disconnectClient } = await import('../../src/native/index.js');
  try {
    const md = await connectClient(p, config.connectTimeoutMs, `Kafka cluster ${config.brokers.join(',')}`);
    return md.brokers.length;
  } finally {
    await disconnectClient(p, 2000);
  }
}

/**
 * Messages that landed in a fresh topic: the sum of the partitions' high watermarks (the topic was
 * empty before the run). A cross-check that does not trust any client's own acknowledgements:
 * a client that reports success for messages the broker did not append (e.g. deduplicated as a
 * repeated idempotent sequence) shows up here. One raw node-rdkafka producer, reused for the whole
 * bench process; closeWatermarkClient() disconnects it.
 */
let watermarkClient: Promise<import('node-rdkafka').Producer> | undefined;

export async function landedMessages(config: KafkaConfig, topic: string, partitions: number): Promise<number> {
  const Kafka = rdkafka();
  const client = await (watermarkClient ??= (async () => {
    const { global } = producerProperties(config);
    const p = new Kafka.Producer({ ...global, 'client.id': 'gocoffee-bench-watermarks', dr_cb: false } as never, {});
    await new Promise<void>((resolve, reject) => p.connect({ timeout: config.connectTimeoutMs } as never, (err) => (err ? reject(err) : resolve())));
    return p;
  })());
  let total = 0;
  for (let partition = 0; partition < partitions; partition++) {
    total += await new Promise<number>((resolve, reject) =>
      client.queryWatermarkOffsets(topic, partition, 10_000, (err, offsets) => (err ? reject(err) : resolve(Number(offsets.highOffset)))),
    );
  }
  return total;
}

export async function closeWatermarkClient(): Promise<void> {
  const pending = watermarkClient;
  watermarkClient = undefined;
  if (pending === undefined) return;
  const client = await pending.catch(() => undefined);
  if (client !== undefined) await new Promise<void>((resolve) => client.disconnect(5000, () => resolve()));
}
