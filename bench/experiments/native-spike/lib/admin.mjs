// Topic helpers through node-rdkafka's AdminClient (node-rdkafka keeps admin; the spike only
// replaces the produce / consume hot paths).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const BROKERS = process.env.SPIKE_BROKERS ?? '127.0.0.1:9092';

export function rdkafka() {
  return require('node-rdkafka');
}

export async function createTopic(topic, partitions = 6, config = undefined) {
  const Kafka = rdkafka();
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': BROKERS });
  try {
    await new Promise((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1, ...(config ? { config } : {}) }, 15000, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    admin.disconnect();
  }
  await waitForLeaders(topic, partitions);
}

export async function deleteTopic(topic) {
  const admin = rdkafka().AdminClient.create({ 'bootstrap.servers': BROKERS });
  try {
    await new Promise((resolve) => admin.deleteTopic(topic, 15000, () => resolve()));
  } finally {
    admin.disconnect();
  }
}

/** Waits until every partition has a leader (a fresh topic needs a moment on KRaft). */
export async function waitForLeaders(topic, partitions) {
  const Kafka = rdkafka();
  const p = new Kafka.Producer({ 'bootstrap.servers': BROKERS });
  await new Promise((resolve, reject) => p.connect({ timeout: 10000 }, (err) => (err ? reject(err) : resolve())));
  try {
    for (let i = 0; i < 100; i++) {
      const md = await new Promise((resolve, reject) => p.getMetadata({ topic, timeout: 5000 }, (err, m) => (err ? reject(err) : resolve(m))));
      const t = md.topics.find((x) => x.name === topic);
      if (t && t.partitions.length === partitions && t.partitions.every((q) => q.leader >= 0)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no leaders for ${topic}`);
  } finally {
    await new Promise((resolve) => p.disconnect(5000, () => resolve()));
  }
}

export function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
