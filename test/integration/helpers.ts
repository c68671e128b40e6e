import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig, type KafkaConfig, type KafkaConfigInput } from '../../src/config/index.js';
import { loadNativeBinding, type NativeMessage } from '../../src/native/index.js';
import { toLibrdkafkaConfig } from '../../src/config/index.js';
import { connectClient, disconnectClient } from '../../src/native/lifecycle.js';
import { ConnectionManager } from '../../src/client.js';

function required(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new Error(`${name} is not set: run the integration tests through "npm run test:integration" (it starts the local stack) or point ${name} at a cluster`);
  }
  return v;
}

export const BROKERS = required('GOCOFFEE_KAFKA_BROKERS');
export const REGISTRY_URL = required('GOCOFFEE_SCHEMA_REGISTRY_URL');

/** Kafka and registry versions: from the local stack, or asked from the services themselves. */
export async function clusterVersions(): Promise<{ kafka: string; registry: string }> {
  let kafka = process.env.GOCOFFEE_KAFKA_VERSION ?? 'unknown (external cluster; set GOCOFFEE_KAFKA_VERSION)';
  let registry = 'unknown';
  const stack = process.env.GOCOFFEE_STACK_VERSIONS;
  if (stack) {
    const v = JSON.parse(stack) as { kafka?: string; apicurio?: string; registry?: string };
    if (v.kafka) kafka = `${v.kafka} (local stack)`;
    if (v.apicurio) registry = `Apicurio Registry ${v.apicurio} (Confluent-compatible API)`;
    else if (v.registry) registry = v.registry;
  }
  if (registry === 'unknown') {
    // Apicurio answers /apis/registry/v3/system/info; Confluent's registry has /v1/metadata/version.
    const base = REGISTRY_URL.replace(/\/apis\/ccompat\/v\d+\/?$/, '');
    for (const [path, pick] of [
      ['/apis/registry/v3/system/info', (j: Record<string, string>) => `Apicurio Registry ${j.version}`],
      ['/v1/metadata/version', (j: Record<string, string>) => `Confluent Schema Registry ${j.version}`],
    ] as const) {
      try {
        const res = await fetch(base + path);
        if (res.ok) {
          registry = pick((await res.json()) as Record<string, string>);
          break;
        }
      } catch {
        /* try the next */
      }
    }
  }
  return { kafka, registry };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testConfig(input: KafkaConfigInput = {}): KafkaConfig {
  return resolveConfig({ brokers: BROKERS, clientId: 'gocoffee-it', connectTimeoutMs: 10_000, ...input });
}

/** Creates a topic through the native admin client (same security settings as everything else). */
/**
 * A connected client for each test of the calling describe(): built and initialized before each,
 * closed after each (the set-up most integration tests share). Read it as `client.cm` inside tests.
 */
export function useClient(input: KafkaConfigInput = {}): { readonly cm: ConnectionManager } {
  const ref: { cm: ConnectionManager } = { cm: undefined as unknown as ConnectionManager };
  beforeEach(async () => {
    ref.cm = new ConnectionManager(testConfig(input));
    await ref.cm.initialize();
  });
  afterEach(async () => {
    await ref.cm?.close();
  });
  return ref;
}

export async function createTopic(topic: string, partitions = 1, replicationFactor = 1, config: Record<string, string> = {}): Promise<void> {
  const binding = loadNativeBinding();
  const admin = binding.createAdmin(toLibrdkafkaConfig(testConfig(), 'admin').global);
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: replicationFactor, config }, 15_000, (err) =>
        err ? reject(new Error(`createTopic ${topic}: ${err.message}`)) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
  await waitForTopic(topic, partitions);
}

/** Waits until every partition of the topic has a leader in the metadata. */
export async function waitForTopic(topic: string, partitions: number): Promise<void> {
  const binding = loadNativeBinding();
  const cfg = toLibrdkafkaConfig(testConfig(), 'producer');
  const p = binding.createProducer(cfg.global, cfg.topic);
  await connectClient(p, 10_000, 'test cluster');
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const md = await new Promise<import('../../src/native/index.js').NativeMetadata>((resolve, reject) =>
        p.getMetadata({ topic, timeout: 5000 }, (err, m) => (err ? reject(err) : resolve(m))),
      );
      const t = md.topics.find((x) => x.name === topic);
      if (t && t.partitions.length === partitions && t.partitions.every((x) => x.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic} not ready`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await disconnectClient(p, 2000);
  }
}

/**
 * Reads `count` messages from the beginning of a topic with a raw native consumer in a fresh
 * group (independent of the library's own reader/consumer code).
 */
export async function readAll(topic: string, count: number, timeoutMs = 30_000, until?: (m: NativeMessage) => boolean): Promise<NativeMessage[]> {
  const binding = loadNativeBinding();
  const cfg = toLibrdkafkaConfig(testConfig({ groupId: uniqueName('verify') }), 'consumer');
  const c = binding.createConsumer({ ...cfg.global, 'enable.auto.commit': false }, { ...cfg.topic, 'auto.offset.reset': 'earliest' });
  await connectClient(c, 10_000, 'test cluster');
  c.subscribe([topic]);
  c.setDefaultConsumeTimeout(200);
  const out: NativeMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (out.length < count && Date.now() < deadline) {
      const batch = await new Promise<NativeMessage[]>((resolve, reject) => c.consume(1000, (err, m) => (err ? reject(err) : resolve(m))));
      out.push(...batch);
      if (until !== undefined && batch.some(until)) break;
    }
  } finally {
    await disconnectClient(c, 5000);
  }
  return out;
}

/** The repository root (the working directory of CLI runs). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a CLI run printed and how it ended (-1: killed, e.g. after the 60 s timeout). */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the gocoffee-kafka CLI from source (src/cli/main.ts) as a child process in the repository root. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: REPO_ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Small deterministic PRNG (mulberry32): a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Polls `cond` every 10 ms; fails with "timed out waiting for <what>" after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
