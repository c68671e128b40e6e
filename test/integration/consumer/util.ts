import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectionManager } from '../../../src/connection/index.js';
import { loadNativeBinding } from '../../../src/native/index.js';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import { connectClient, disconnectClient } from '../../../src/native/lifecycle.js';

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what()}`);
    await delay(50);
  }
}

/** End offsets (high watermarks) of each partition. */
export async function highWatermarks(cm: ConnectionManager, topic: string, partitions: number): Promise<number[]> {
  const binding = loadNativeBinding();
  const cfg = toLibrdkafkaConfig(cm.config, 'producer');
  const p = binding.createProducer(cfg.global, cfg.topic);
  await connectClient(p, 10_000, 'test');
  try {
    return await Promise.all(
      Array.from({ length: partitions }, (_, i) =>
        new Promise<number>((resolve, reject) => p.queryWatermarkOffsets(topic, i, 5000, (err, w) => (err ? reject(err) : resolve(w.highOffset)))),
      ),
    );
  } finally {
    await disconnectClient(p, 2000);
  }
}

/** Committed offsets of a group (-1001 when none), read by a separate consumer that does not join. */
export async function committedOffsets(cm: ConnectionManager, group: string, topic: string, partitions: number): Promise<number[]> {
  const binding = loadNativeBinding();
  const cfg = toLibrdkafkaConfig(cm.config, 'consumer');
  const c = binding.createConsumer({ ...cfg.global, 'group.id': group }, cfg.topic);
  await connectClient(c, 10_000, 'test');
  try {
    const tps = await new Promise<{ partition: number; offset: number }[]>((resolve, reject) =>
      c.committed(Array.from({ length: partitions }, (_, i) => ({ topic, partition: i })), 5000, (err, r) => (err ? reject(err) : resolve(r))),
    );
    return tps.sort((a, b) => a.partition - b.partition).map((t) => t.offset);
  } finally {
    await disconnectClient(c, 2000);
  }
}
