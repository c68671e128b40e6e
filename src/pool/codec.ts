import type { NativeHeaders, NativeMessage } from '../native/types.js';

/**
 * Packs a task's messages into ONE ArrayBuffer that is transferred (moved, not copied) to the
 * worker thread. Structured-cloning an array of message objects costs far more than one memcpy
 * per payload into a flat buffer plus a zero-copy transfer.
 *
 * Layout per message (little endian):
 *   u16 topicIndex, u32 lane, u16 attempt, i32 partition, f64 offset, f64 timestamp (-1: none),
 *   i32 keyLength (-1: null), key, i32 valueLength (-1: null), value,
 *   u16 headerCount, then per header: u16 nameLength, name (UTF-8), i32 valueLength, value
 */
export interface PackedTask {
  readonly buffer: ArrayBuffer;
  readonly topics: string[];
  readonly count: number;
}

function headerBytes(headers: NativeHeaders | undefined): number {
  if (headers === undefined) return 0;
  let n = 0;
  for (const h of headers) {
    for (const name in h) {
      const v = h[name]!;
      n += 2 + Buffer.byteLength(name) + 4 + (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
    }
  }
  return n;
}

function keyBuffer(key: NativeMessage['key']): Buffer | null {
  if (key === undefined || key === null) return null;
  return typeof key === 'string' ? Buffer.from(key) : key;
}

export function packMessages(messages: readonly NativeMessage[], lanes: ArrayLike<number>, attempts: ArrayLike<number>): PackedTask {
  const topics: string[] = [];
  const topicIdx = new Map<string, number>();
  let size = 0;
  for (const m of messages) {
    const k = keyBuffer(m.key);
    size += 2 + 4 + 2 + 4 + 8 + 8 + 4 + (k?.length ?? 0) + 4 + (m.value?.length ?? 0) + 2 + headerBytes(m.headers);
  }
  const buf = Buffer.allocUnsafeSlow(size);
  let o = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    let ti = topicIdx.get(m.topic);
    if (ti === undefined) {
      ti = topics.length;
      topics.push(m.topic);
      topicIdx.set(m.topic, ti);
    }
    o = buf.writeUInt16LE(ti, o);
    o = buf.writeUInt32LE(lanes[i]!, o);
    o = buf.writeUInt16LE(Math.min(attempts[i]!, 65535), o);
    o = buf.writeInt32LE(m.partition, o);
    o = buf.writeDoubleLE(m.offset, o);
    o = buf.writeDoubleLE(m.timestamp ?? -1, o);
    const k = keyBuffer(m.key);
    if (k === null) o = buf.writeInt32LE(-1, o);
    else {
      o = buf.writeInt32LE(k.length, o);
      o += k.copy(buf, o);
    }
    const v = m.value;
    if (v === null) o = buf.writeInt32LE(-1, o);
    else {
      o = buf.writeInt32LE(v.length, o);
      o += v.copy(buf, o);
    }
    const hs = m.headers;
    let hc = 0;
    if (hs !== undefined) for (const h of hs) for (const _ in h) hc++;
    o = buf.writeUInt16LE(hc, o);
    if (hs !== undefined) {
      for (const h of hs) {
        for (const name in h) {
          const hv = h[name]!;
          const nl = buf.write(name, o + 2);
          buf.writeUInt16LE(nl, o);
          o += 2 + nl;
          if (typeof hv === 'string') {
            const vl = buf.write(hv, o + 4);
            buf.writeInt32LE(vl, o);
            o += 4 + vl;
          } else {
            o = buf.writeInt32LE(hv.length, o);
            o += hv.copy(buf, o);
          }
        }
      }
    }
  }
  return { buffer: buf.buffer as ArrayBuffer, topics, count: messages.length };
}

/**
 * A pool task's shared progress, written by the worker as it goes and read by the main thread when
 * the worker dies or is timed out mid-task (to re-run only what was not done and charge the failure
 * to the running message): `progress[0]` messages finished, `progress[1]` 1 once the worker started
 * the task, `progress[2]` messages begun (the handler-timeout watchdog's heartbeat; count + 1 while a
 * worker module's flush() runs, the statuses then written); one status byte per message; one failure
 * kind byte per failed message (FailureKind), so that a PermanentError stays permanent and an
 * infrastructure failure uncharged even when its details die with the worker.
 */
export function progressViews(shared: SharedArrayBuffer, count: number): { progress: Int32Array; statuses: Uint8Array; kinds: Uint8Array } {
  return { progress: new Int32Array(shared, 0, 3), statuses: new Uint8Array(shared, 12, count), kinds: new Uint8Array(shared, 12 + count, count) };
}

export function newProgress(count: number): SharedArrayBuffer {
  return new SharedArrayBuffer(12 + 2 * count);
}

/** What kind of failure a failed message had (the kinds byte of progressViews). */
export const enum FailureKind {
  Retriable = 0,
  Permanent = 1,
  Infrastructure = 2,
}

/** The kinds byte of a failure. */
export function failureKind(f: { readonly retriable: boolean; readonly infrastructure?: boolean }): FailureKind {
  return !f.retriable ? FailureKind.Permanent : f.infrastructure === true ? FailureKind.Infrastructure : FailureKind.Retriable;
}

export interface UnpackedMessage extends NativeMessage {
  readonly lane: number;
  readonly attempt: number;
}

/** The inverse of packMessages; key, value and header values are views on the buffer. */
export function unpackMessages(task: PackedTask): UnpackedMessage[] {
  const buf = Buffer.from(task.buffer);
  const out: UnpackedMessage[] = new Array(task.count);
  let o = 0;
  for (let i = 0; i < task.count; i++) {
    const topic = task.topics[buf.readUInt16LE(o)]!;
    const lane = buf.readUInt32LE(o + 2);
    const attempt = buf.readUInt16LE(o + 6);
    const partition = buf.readInt32LE(o + 8);
    const offset = buf.readDoubleLE(o + 12);
    const ts = buf.readDoubleLE(o + 20);
    o += 28;
    let key: Buffer | null = null;
    const kl = buf.readInt32LE(o);
    o += 4;
    if (kl >= 0) {
      key = buf.subarray(o, o + kl);
      o += kl;
    }
    let value: Buffer | null = null;
    const vl = buf.readInt32LE(o);
    o += 4;
    if (vl >= 0) {
      value = buf.subarray(o, o + vl);
      o += vl;
    }
    const hc = buf.readUInt16LE(o);
    o += 2;
    let headers: NativeHeaders | undefined;
    if (hc > 0) {
      headers = [];
      for (let h = 0; h < hc; h++) {
        const nl = buf.readUInt16LE(o);
        const name = buf.toString('utf8', o + 2, o + 2 + nl);
        o += 2 + nl;
        const hl = buf.readInt32LE(o);
        headers.push({ [name]: buf.subarray(o + 4, o + 4 + hl) });
        o += 4 + hl;
      }
    }
    const msg: UnpackedMessage = { topic, partition, offset, key, value, size: value?.length ?? 0, lane, attempt, ...(ts >= 0 ? { timestamp: ts } : {}), ...(headers ? { headers } : {}) };
    out[i] = msg;
  }
  return out;
}
