import { EventEmitter } from 'node:events';
import {
  FAILED_REFUSED,
  FLAG_STRING,
  HDR_STRIDE,
  M_FLAGS,
  M_HDR_COUNT,
  M_HDR_START,
  M_ID,
  M_KEY_LEN,
  M_KEY_OFF,
  M_PART,
  M_TOPIC,
  M_VAL_LEN,
  M_VAL_OFF,
  MSG_STRIDE,
} from '../../src/native/batch-producer.js';
import type {
  BatchProducerEvents,
  NativeBatchProducer,
  NativeAdmin,
  NativeBinding,
  NativeConfig,
  NativeConsumer,
  NativeDeliveryReport,
  NativeError,
  NativeHeaders,
  NativeKey,
  NativeMetadata,
  NativeProducer,
} from '../../src/native/types.js';
import type { NativeAdminClient } from '../../src/native/admin-types.js';

export const ALL_FEATURES = ['gzip', 'snappy', 'ssl', 'sasl', 'regex', 'lz4', 'sasl_gssapi', 'sasl_plain', 'sasl_scram', 'plugins', 'zstd', 'sasl_oauthbearer'];

export interface ProducedRecord {
  topic: string;
  partition: number | null;
  value: Buffer | null;
  key: NativeKey;
  headers: NativeHeaders | undefined;
  opaque: unknown;
  /** The batch producer's id of the message (its slot), when produced through produceBatch. */
  id?: number;
}

/**
 * A fake librdkafka producer for unit tests (no broker): records produce() calls, throws
 * GCK_KAFKA__QUEUE_FULL past `queueLimit`, and delivers (or fails) when the test calls `deliverAll`.
 *
 * It is also the fake batch producer (NativeBatchProducer, what the ProducerEngine uses):
 * produceBatch() decodes the packed table back into one produce() call per message (so the knobs
 * and the `produced` records are the same either way), stops at a full queue like the addon, and
 * turns other refusals into failed reports; deliverAll() then hands the reports over as the addon
 * does (typed arrays, once), and an emitted 'event.error' reaches the engine as an addon error.
 */
export class FakeProducer extends EventEmitter implements NativeProducer, NativeBatchProducer {
  queueLimit = Infinity;
  connectError: NativeError | undefined;
  connectDelayMs = 0;
  readonly queue: ProducedRecord[] = [];
  readonly produced: ProducedRecord[] = [];
  connected = false;
  offsets = new Map<string, number>();
  /** Decides each delivery's outcome; default: success. */
  outcome: (r: ProducedRecord) => NativeError | null = () => null;
  autoDeliver = false;
  /** The broker timestamp delivery reports carry (-1: none, as librdkafka reports it then). */
  reportTimestamp = -1;
  pollCalls = 0;

  /** Set when created as a batch producer. */
  events: BatchProducerEvents | undefined;
  binding: FakeBinding | undefined;
  readonly #texts = new Map<number, string>();

  constructor(readonly global: NativeConfig, readonly topicConf: NativeConfig) {
    super();
    this.on('event.error', (e: NativeError) => this.events?.onError({ code: typeof e.code === 'number' ? e.code : -1, fatal: e.isFatal === true, message: e.message }));
  }

  /** The numeric code of an error a test made up (node-rdkafka style: code -1 and a text). */
  #codeOf(err: { message: string; code?: number }): number {
    const code = typeof err.code === 'number' && err.code !== -1 ? err.code : (this.binding?.errorCodeOf(err) ?? -1);
    this.#texts.set(code, err.message);
    return code;
  }

  produceBatch(topics: readonly string[], buf: Uint8Array, table: Int32Array, count: number, start: number): number {
    const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const span = (off: number, len: number): Buffer | null => (len < 0 ? null : Buffer.from(bytes.subarray(off, off + len)));
    const refused: number[] = [];
    let i = start;
    for (; i < count; i++) {
      const r = i * MSG_STRIDE;
      const id = table[r + M_ID]!;
      const keyBytes = span(table[r + M_KEY_OFF]!, table[r + M_KEY_LEN]!);
      const key = keyBytes !== null && (table[r + M_FLAGS]! & FLAG_STRING) !== 0 ? keyBytes.toString('utf8') : keyBytes;
      let headers: NativeHeaders | undefined;
      for (let j = 0; j < table[r + M_HDR_COUNT]!; j++) {
        const h = table[r + M_HDR_START]! + j * HDR_STRIDE;
        const name = span(table[h]!, table[h + 1]!)!.toString('utf8');
        const v = span(table[h + 2]!, table[h + 3]!) ?? Buffer.alloc(0);
        (headers ??= []).push({ [name]: (table[h + 4]! & FLAG_STRING) !== 0 ? v.toString('utf8') : v });
      }
      const partition = table[r + M_PART]! < 0 ? null : table[r + M_PART]!;
      const before = this.produced.length;
      try {
        this.produce(topics[table[r + M_TOPIC]!]!, partition, span(table[r + M_VAL_OFF]!, table[r + M_VAL_LEN]!), key, null, this.events?.lookup?.(id), headers);
      } catch (e) {
        const err = e as NativeError;
        if (err.code === -184) break;
        refused.push(id, this.#codeOf(err), partition ?? -1, FAILED_REFUSED);
        continue;
      }
      for (let k = before; k < this.produced.length; k++) this.produced[k]!.id = id;
    }
    if (refused.length > 0) queueMicrotask(() => this.events?.onReports(null, null, Int32Array.from(refused)));
    return i - start;
  }
  errorString(code: number): string {
    return this.#texts.get(code) ?? `fake error ${code}`;
  }
  metadata(): Promise<NativeMetadata> {
    if (this.connected) return Promise.resolve({ orig_broker_id: 1, orig_broker_name: 'fake', topics: [], brokers: [] });
    return new Promise((resolve, reject) => {
      this.connect({}, (err, md) => (err ? reject(Object.assign(new Error(err.message), { code: err.code })) : resolve(md)));
    });
  }
  close(): Promise<void> {
    this.connected = false;
    return new Promise((resolve) => setImmediate(resolve));
  }
  ref(): void {}

  connect(_o: unknown, cb: (err: NativeError | null | undefined, md: NativeMetadata) => void): this {
    setTimeout(() => {
      if (this.connectError) return cb(this.connectError, undefined as unknown as NativeMetadata);
      this.connected = true;
      cb(null, { orig_broker_id: 1, orig_broker_name: 'fake:9092/1', topics: [], brokers: [{ id: 1, host: 'fake', port: 9092 }] });
    }, this.connectDelayMs);
    return this;
  }
  disconnect(_t: number, cb: (err: unknown) => void): this {
    this.connected = false;
    setImmediate(() => cb(null));
    return this;
  }
  isConnected(): boolean {
    return this.connected;
  }
  getMetadata(_o: unknown, cb: (err: NativeError | null, md: NativeMetadata) => void): this {
    cb(null, { orig_broker_id: 1, orig_broker_name: 'fake', topics: [], brokers: [] });
    return this;
  }
  queryWatermarkOffsets(): this {
    return this;
  }
  produce(topic: string, partition: number | null, value: Buffer | null, key: NativeKey, _ts: number | null, opaque: unknown, headers: NativeHeaders | undefined): boolean {
    if (!this.connected) throw new Error('Producer not connected');
    if (this.queue.length >= this.queueLimit) {
      throw Object.assign(new Error('Local: Queue full'), { code: -184 });
    }
    const rec = { topic, partition, value, key, headers, opaque };
    this.queue.push(rec);
    this.produced.push(rec);
    if (this.autoDeliver) setImmediate(() => this.deliverAll());
    return true;
  }
  poll(): this {
    this.pollCalls++;
    return this;
  }
  setPollInterval(): this {
    return this;
  }
  flush(_t: number, cb?: (err: NativeError | null) => void): this;
  flush(_t: number): Promise<number>;
  flush(_t: number, cb?: (err: NativeError | null) => void): this | Promise<number> {
    if (cb === undefined) return new Promise((resolve) => setImmediate(() => resolve(this.queue.length)));
    setImmediate(() => cb(null));
    return this;
  }
  /** Emits a delivery report for every queued message. */
  deliverAll(): void {
    const batch = this.queue.splice(0);
    if (this.events !== undefined) {
      const ok: number[] = [];
      const pos: number[] = [];
      const failed: number[] = [];
      for (const r of batch) {
        const err = this.outcome(r);
        const partition = r.partition ?? 0;
        const offset = this.offsets.get(`${r.topic}/${partition}`) ?? 0;
        if (err) {
          failed.push(r.id ?? -1, this.#codeOf(err), partition, 0);
        } else {
          this.offsets.set(`${r.topic}/${partition}`, offset + 1);
          ok.push(r.id ?? -1, partition);
          pos.push(offset, this.reportTimestamp);
        }
      }
      if (batch.length > 0) this.events.onReports(ok.length > 0 ? Int32Array.from(ok) : null, ok.length > 0 ? Float64Array.from(pos) : null, failed.length > 0 ? Int32Array.from(failed) : null);
      return;
    }
    for (const r of batch) {
      const err = this.outcome(r);
      const partition = r.partition ?? 0;
      const offset = this.offsets.get(`${r.topic}/${partition}`) ?? 0;
      if (!err) this.offsets.set(`${r.topic}/${partition}`, offset + 1);
      const report: NativeDeliveryReport = { topic: r.topic, partition, offset: err ? -1 : offset, size: r.value?.length ?? 0, opaque: r.opaque, key: r.key };
      // node-rdkafka passes delivery errors as code-less Errors; mimic that.
      this.emit('delivery-report', err ? Object.assign(new Error(err.message), { code: -1 }) : null, report);
    }
  }
}

export class FakeBinding implements NativeBinding {
  readonly librdkafkaVersion = '2.12.0-fake';
  readonly errorCodes = { GCK_KAFKA__QUEUE_FULL: -184, GCK_KAFKA_MSG_SIZE_TOO_LARGE: 10, GCK_KAFKA__MSG_TIMED_OUT: -192 };
  readonly producers: FakeProducer[] = [];
  configure: (p: FakeProducer) => void = () => undefined;
  constructor(readonly features: readonly string[] = ALL_FEATURES) {}
  errorCodeOf(err: { message: string; code?: number }): number {
    const table: Record<string, number> = { 'message size too large': 10, 'message timed out': -192, 'local: message timed out': -192 };
    return table[err.message.toLowerCase()] ?? -1;
  }
  createProducer(global: NativeConfig, topic: NativeConfig): NativeProducer {
    const p = new FakeProducer(global, topic);
    this.configure(p);
    this.producers.push(p);
    return p;
  }
  createBatchProducer(global: NativeConfig, topic: NativeConfig, events: BatchProducerEvents): NativeBatchProducer {
    const p = new FakeProducer(global, topic);
    p.events = events;
    p.binding = this;
    this.configure(p);
    this.producers.push(p);
    return p;
  }
  createConsumer(): NativeConsumer {
    throw new Error('FakeBinding: consumers are not faked');
  }
  createAdmin(): NativeAdmin {
    throw new Error('FakeBinding: admin is not faked');
  }
  createAdminClient(_global: NativeConfig, _onOAuthRefresh?: () => void): NativeAdminClient {
    throw new Error('FakeBinding: the admin addon is not faked');
  }
}
