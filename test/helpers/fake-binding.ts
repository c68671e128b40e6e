import { EventEmitter } from 'node:events';
import type {
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

export const ALL_FEATURES = ['gzip', 'snappy', 'ssl', 'sasl', 'regex', 'lz4', 'sasl_gssapi', 'sasl_plain', 'sasl_scram', 'plugins', 'zstd', 'sasl_oauthbearer'];

export interface ProducedRecord {
  topic: string;
  partition: number | null;
  value: Buffer | null;
  key: NativeKey;
  headers: NativeHeaders | undefined;
  opaque: unknown;
}

/**
 * A fake librdkafka producer for unit tests (no broker): records produce() calls, throws
 * ERR__QUEUE_FULL past `queueLimit`, and delivers (or fails) when the test calls `deliverAll`.
 */
export class FakeProducer extends EventEmitter implements NativeProducer {
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
  pollCalls = 0;

  constructor(readonly global: NativeConfig, readonly topicConf: NativeConfig) {
    super();
  }

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
  flush(_t: number, cb: (err: NativeError | null) => void): this {
    setImmediate(() => cb(null));
    return this;
  }
  /** Emits a delivery report for every queued message. */
  deliverAll(): void {
    const batch = this.queue.splice(0);
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
  readonly errorCodes = { ERR__QUEUE_FULL: -184, ERR_MSG_SIZE_TOO_LARGE: 10, ERR__MSG_TIMED_OUT: -192 };
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
  createConsumer(): NativeConsumer {
    throw new Error('FakeBinding: consumers are not faked');
  }
  createAdmin(): NativeAdmin {
    throw new Error('FakeBinding: admin is not faked');
  }
}
