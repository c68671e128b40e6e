import { fromNativeError, RD, type NativeErrorLike } from '../../errors/librdkafka.js';
import type { BatchConsumerControl, NativePartitionResult } from '../../native/batch-consumer.js';
import type { NativeBatchConsumer, NativeError, NativeWatermarks } from '../../native/types.js';
import { tpKey } from './backpressure.js';

/**
 * The native calls consumer control (control.ts) makes, as promises. Each asks the broker, or
 * waits for librdkafka, on a worker thread of the addon (never the JS thread).
 */

/** The batch consumer as control uses it (native/batch-consumer.ts has every call). */
export type ControlNative = NativeBatchConsumer & BatchConsumerControl;

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** How many watermark queries lag() runs at once (the libuv threadpool has 4 threads by default). */
export const LAG_QUERIES = 2;

/** A per-partition call as a promise: rejects with a KafkaError for an error of the whole call. */
export function perPartition(what: string, call: (cb: (err: NativeError | null | undefined, r: NativePartitionResult[]) => void) => void, context: Record<string, unknown> = {}): Promise<NativePartitionResult[]> {
  return new Promise((resolve, reject) => {
    const fail = (e: NativeErrorLike) => reject(fromNativeError(e, what, context));
    try {
      call((err, results) => (err ? fail(err) : resolve(results)));
    } catch (e) {
      fail(e as NativeError);
    }
  });
}

/** librdkafka's answers that leave a seek in doubt: its op is queued and may still apply (it cannot be withdrawn). */
export const SEEK_IN_DOUBT: ReadonlySet<number> = new Set([RD.ERR__TIMED_OUT, RD.ERR__IN_PROGRESS]);

/**
 * One rd_kafka_seek_partitions of one partition (with a timeout, on a worker): the partition's
 * code (0: applied), or the whole call's (__TIMED_OUT: not answered in time, the seek may still
 * apply later; the partition's own code is then __IN_PROGRESS). Never rejects.
 */
export function seekOnce(native: ControlNative, tp: TopicPartition, offset: number, timeoutMs: number): Promise<{ code: number; message: string }> {
  const of = (e: NativeErrorLike) => ({ code: typeof e.code === 'number' ? e.code : RD.ERR__FAIL, message: e.message ?? 'unknown librdkafka error' });
  return new Promise((resolve) => {
    try {
      native.seekPartitions([{ topic: tp.topic, partition: tp.partition, offset }], timeoutMs, (err, results) => {
        if (err) return resolve(of(err));
        const r = results.find((x) => x.topic === tp.topic && x.partition === tp.partition);
        // (No answer for the partition: taken as a refusal, asked again.)
        resolve(r === undefined ? { code: RD.ERR__STATE, message: 'no answer for the partition' } : { code: r.code, message: r.code === 0 ? '' : `librdkafka refused the seek to offset ${offset}` });
      });
    } catch (e) {
      resolve(of(e as NativeError));
    }
  });
}

/** The KafkaError of one partition's failed answer (`code` not 0). */
export function partitionError(r: { readonly code: number; readonly topic: string; readonly partition: number }, what: string, message: string, context: Record<string, unknown> = {}): Error {
  return fromNativeError({ code: r.code, message }, `${what} ${r.topic}[${r.partition}]`, { topic: r.topic, partition: r.partition, ...context });
}

/**
 * The first offset whose timestamp is at or after `timestamp` (-1: none, the end). A partition the
 * broker failed to answer for (its own code, e.g. NOT_LEADER during a leader move, while the call
 * as a whole succeeded) rejects: its offset is not "none".
 */
export async function offsetForTime(native: ControlNative, tp: TopicPartition, timestamp: number, timeoutMs: number, context: Record<string, unknown>): Promise<number> {
  const what = `offsets for times ${tp.topic}[${tp.partition}]`;
  const [r] = await perPartition(what, (cb) => native.offsetsForTimes([{ topic: tp.topic, partition: tp.partition, offset: timestamp }], timeoutMs, cb), context);
  if (r === undefined) throw fromNativeError({ code: RD.ERR__FAIL, message: 'no answer for the partition' }, what, context);
  if (r.code !== 0) throw partitionError(r, 'offsets for times', `the broker could not look up timestamp ${timestamp}`, context);
  if (r.offset >= 0 || r.offset === -1) return r.offset;
  throw fromNativeError({ code: RD.ERR__FAIL, message: `unexpected offset ${r.offset}` }, what, context);
}

/** The log watermarks of a partition, asked from its leader. */
export function watermarksOf(native: Pick<NativeBatchConsumer, 'queryWatermarkOffsets'>, tp: TopicPartition, timeoutMs: number): Promise<NativeWatermarks> {
  return new Promise((resolve, reject) => {
    const fail = (e: NativeErrorLike) => reject(fromNativeError(e, `watermark offsets of ${tp.topic}[${tp.partition}]`, { topic: tp.topic, partition: tp.partition }));
    try {
      native.queryWatermarkOffsets(tp.topic, tp.partition, timeoutMs, (err, wm) => (err ? fail(err) : resolve(wm)));
    } catch (e) {
      fail(e as NativeError);
    }
  });
}

/**
 * The log watermarks of many partitions, by tpKey, within one deadline: a partition in `cached`
 * (fetching: librdkafka's watermarks of its last fetch response, both known) costs no request; the
 * others are asked at most LAG_QUERIES at a time (each a blocking call on a threadpool thread), each
 * bounded by what is left of the deadline. Rejects with the first failure, or GCK_KAFKA__TIMED_OUT
 * when the deadline passes before every partition was asked.
 */
export async function watermarksFor(native: ControlNative, tps: readonly TopicPartition[], cached: (tp: TopicPartition) => boolean, deadline: number): Promise<Map<string, NativeWatermarks>> {
  const out = new Map<string, NativeWatermarks>();
  const ask: TopicPartition[] = [];
  for (const tp of tps) {
    let wm: NativeWatermarks | undefined;
    if (cached(tp)) {
      try {
        wm = native.getWatermarkOffsets(tp.topic, tp.partition);
      } catch {
        /* not known: asked below */
      }
    }
    if (wm !== undefined && wm.lowOffset >= 0 && wm.highOffset >= 0) out.set(tpKey(tp.topic, tp.partition), wm);
    else ask.push(tp);
  }
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < ask.length) {
      const tp = ask[next++]!;
      const left = deadline - Date.now();
      if (left <= 0) {
        failed = true;
        throw fromNativeError({ code: RD.ERR__TIMED_OUT, message: `${ask.length - next + 1} of ${ask.length} partitions not asked within the deadline` }, 'watermark offsets', { topic: tp.topic, partition: tp.partition });
      }
      try {
        out.set(tpKey(tp.topic, tp.partition), await watermarksOf(native, tp, left));
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LAG_QUERIES, ask.length) }, worker));
  return out;
}

/** The group's committed offsets of these partitions (by tpKey; -1001 when none); a partition's error rejects. */
export async function committedOf(native: ControlNative, tps: readonly TopicPartition[], timeoutMs: number, context: Record<string, unknown> = {}): Promise<Map<string, number>> {
  const list = tps.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
  const results = await perPartition('committed offsets', (cb) => native.committed(list, timeoutMs, cb), context);
  const bad = results.find((r) => r.code !== 0);
  if (bad !== undefined) throw partitionError(bad, 'committed offset of', 'the coordinator could not answer for the partition', context);
  return new Map(results.map((r) => [tpKey(r.topic, r.partition), r.offset]));
}

/** The error of a commit the broker refused for some partitions: the first one's code, every one listed. */
export function refusedCommit(failed: readonly NativePartitionResult[], groupId: string): Error {
  const list = failed.map((r) => `${r.topic}[${r.partition}]`).join(', ');
  return partitionError(failed[0]!, `commit (group ${groupId}) of`, `the broker refused the commit (of ${list})`, {
    groupId,
    failed: failed.map((r) => ({ topic: r.topic, partition: r.partition, code: r.code })),
  });
}
