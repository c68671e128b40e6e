import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectionManager } from '../../../src/client.js';
import { loadNativeBinding } from '../../../src/native/index.js';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import { connectClient, disconnectClient } from '../../../src/native/lifecycle.js';
import { newMessage } from '../../../src/producer/index.js';

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

/** One handling reported by a test handler (see test/fixtures/handlers/recording.ts). */
export interface Rec {
  readonly partition: number;
  readonly offset: number;
  readonly attempt: number;
  readonly thread: number;
  /** process.hrtime.bigint() when the handling started (one monotonic clock for all threads). */
  readonly t: bigint;
  readonly ok: boolean;
  readonly value: string;
  readonly key: string;
  readonly seq: number;
  readonly flags: string;
}

export function parseRec(line: string): Rec {
  const [partition, offset, attempt, thread, t, ok, ...rest] = line.split('|');
  const value = rest.join('|');
  const [key, seq, flags] = value.split(':') as [string, string, string];
  return { partition: Number(partition), offset: Number(offset), attempt: Number(attempt), thread: Number(thread), t: BigInt(t!), ok: ok === '1', value, key, seq: Number(seq), flags };
}

/** A record line for in-process handlers (same format as the worker fixture's). */
export function recLine(m: { partition: number; offset: number; attempt: number; text(): string | null }, ok: boolean, t = process.hrtime.bigint(), thread = 0): string {
  return `${m.partition}|${m.offset}|${m.attempt}|${thread}|${t}|${ok ? 1 : 0}|${m.text() ?? ''}`;
}

/** Collects what the worker-pool fixture handler reports for `topic`. */
export function listen(topic: string): { readonly records: Rec[]; close(): void } {
  const records: Rec[] = [];
  const ch = new BroadcastChannel(`gocoffee-test:${topic}`);
  ch.onmessage = (e) => {
    for (const line of (e as { data: string[] }).data) records.push(parseRec(line));
  };
  return { records, close: () => ch.close() };
}

/** Publishes values with keys, in chunks (keeps the producer queue and memory small). */
export async function publishKeyed(cm: ConnectionManager, topic: string, items: ReadonlyArray<{ key: string; value: string }>, chunk = 20_000): Promise<void> {
  for (let i = 0; i < items.length; i += chunk) {
    const out = await cm.producer.publishBatch(items.slice(i, i + chunk).map((x) => newMessage(topic, x.value).withKey(x.key)));
    const bad = out.find((o) => !o.ok);
    if (bad) throw bad.error;
  }
}

/** Groups records by key, each list sorted by handling start time. */
export function byKey(records: readonly Rec[]): Map<string, Rec[]> {
  const m = new Map<string, Rec[]>();
  for (const r of records) {
    let l = m.get(r.key);
    if (l === undefined) m.set(r.key, (l = []));
    l.push(r);
  }
  for (const l of m.values()) l.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return m;
}

/**
 * Per-key order within one consumer session without re-deliveries: sorted by start time, the
 * handlings of a key (failed attempts included) never go back to an earlier sequence number, and
 * the successful ones are strictly increasing (each message succeeds once, after every earlier one
 * of its key). Returns the first violation, or undefined.
 */
export function orderViolation(records: readonly Rec[]): string | undefined {
  for (const [key, list] of byKey(records)) {
    let lastOk = -1;
    let last = -1;
    for (const r of list) {
      if (r.seq < last) return `key ${key}: seq ${r.seq} (attempt ${r.attempt}) handled after seq ${last}`;
      last = r.seq;
      if (!r.ok) continue;
      if (r.seq <= lastOk) return `key ${key}: seq ${r.seq} succeeded after seq ${lastOk} had succeeded`;
      lastOk = r.seq;
    }
  }
  return undefined;
}

/** Header list of a native message as a name → text map (last value wins). */
export function headerMap(headers: ReadonlyArray<Record<string, string | Buffer>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of headers ?? []) for (const [k, v] of Object.entries(h)) out[k] = v.toString();
  return out;
}

/** Sum of (end offset) over partitions: the number of records in a topic without compaction. */
export async function topicSize(cm: ConnectionManager, topic: string, partitions: number): Promise<number> {
  return (await highWatermarks(cm, topic, partitions)).reduce((a, b) => a + b, 0);
}
