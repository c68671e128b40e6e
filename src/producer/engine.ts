import { setTimeout as delay } from 'node:timers/promises';
import { StateError } from '../errors/base.js';
import { ConfigError } from '../config/errors.js';
import { ConnectionError, DeliveryError, FlushIncompleteError, QueueFullTimeoutError, type UndeliveredMessage } from '../errors/producer.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import type { NativeBinding, NativeConfig, NativeDeliveryReport, NativeError, NativeHeaders, NativeMetadata, NativeProducer } from '../native/types.js';
import { connectClient, disconnectClient, flushProducer } from '../native/lifecycle.js';

/** What a successful publish resolves with. */
export interface DeliveryResult {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number | undefined;
  readonly messageId: string | undefined;
}

/** A message ready for produce(): value and key already encoded, headers already built. */
export interface PreparedMessage {
  readonly topic: string;
  readonly partition: number | null;
  readonly value: Buffer | null;
  readonly key: Buffer | string | null;
  readonly timestamp: number | null;
  readonly headers: NativeHeaders | undefined;
  readonly messageId: string | undefined;
}

/**
 * Receives the outcome of one message. `Delivery` objects double as node-rdkafka's opaque, so a
 * delivery report finds its caller without a map lookup, and are dropped right after the report.
 */
export interface DeliverySink {
  delivered(result: DeliveryResult, index: number): void;
  failed(error: Error, index: number): void;
}

class Delivery {
  attempts = 0;
  deadline = 0;
  // Intrusive list links (the in-flight list): O(1) add/remove without hashing.
  prev: Delivery | null = null;
  next: Delivery | null = null;
  listed = false;
  constructor(
    readonly msg: PreparedMessage,
    readonly sink: DeliverySink,
    readonly index: number,
  ) {}
}

/** Messages handed to librdkafka and not yet reported, as an intrusive doubly-linked list. */
class InflightList {
  #head: Delivery | null = null;
  #tail: Delivery | null = null;
  size = 0;
  /** Appends (iteration is in hand-over order). */
  add(d: Delivery): void {
    d.listed = true;
    d.next = null;
    d.prev = this.#tail;
    if (this.#tail !== null) this.#tail.next = d;
    else this.#head = d;
    this.#tail = d;
    this.size++;
  }
  delete(d: Delivery): boolean {
    if (!d.listed) return false;
    d.listed = false;
    if (d.prev !== null) d.prev.next = d.next;
    else this.#head = d.next;
    if (d.next !== null) d.next.prev = d.prev;
    else this.#tail = d.prev;
    d.prev = d.next = null;
    this.size--;
    return true;
  }
  clear(): void {
    for (let d = this.#head; d !== null; ) {
      const n = d.next;
      d.listed = false;
      d.prev = d.next = null;
      d = n;
    }
    this.#head = null;
    this.#tail = null;
    this.size = 0;
  }
  *[Symbol.iterator](): Generator<Delivery> {
    for (let d = this.#head; d !== null; d = d.next) yield d;
  }
}

export interface EngineOptions {
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  /** Library-level retries of retriable delivery failures, on top of librdkafka's own. */
  readonly retryMax: number;
  /**
   * Whether a message whose delivery report failed may be produced again (library-level retry).
   * Only without idempotence: a re-produced message is a new message to the broker, so after a
   * possibly-persisted failure (message timed out in flight) it could duplicate a written message
   * and land after later messages of its key — exactly what the idempotent producer rules out.
   * With idempotence librdkafka's own retries (within delivery_timeout) are the safe ones.
   */
  readonly retryDelivered: boolean;
  readonly retryBackoffMs: number;
  /** How long publish waits for room in a full local queue before failing. */
  readonly enqueueTimeoutMs: number;
  /** Delivery-report poll interval while messages are in flight. */
  readonly pollIntervalMs: number;
  /**
   * At most this many messages handed to librdkafka and not yet reported; more wait in the FIFO
   * (like a full local queue). A bounded window keeps librdkafka's queues short: measured on 2
   * vCPUs, 1M × 100 B went ~40 % faster with a 10k window than with a 100k-deep queue, at a
   * fraction of the latency. Default min(10000, queue.buffering.max.messages).
   */
  readonly maxInFlight?: number;
  readonly onError?: (err: Error) => void;
  /** A retriable delivery failure is being retried (library-level). */
  readonly onRetry?: (topic: string, attempt: number, err: Error) => void;
  readonly onStats?: (json: string) => void;
  readonly onLog?: (log: { severity: number; fac: string; message: string }) => void;
}

type State = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';

/**
 * One native librdkafka producer with delivery tracking, backpressure and retries. librdkafka
 * batches per partition across all topics and runs one I/O thread per broker, so one instance per
 * process (shared by every writer) gives the best batching and the fewest connections.
 */
export class ProducerEngine {
  readonly #binding: NativeBinding;
  readonly #global: NativeConfig;
  readonly #topic: NativeConfig;
  readonly #opts: EngineOptions;
  #native: NativeProducer | undefined;
  #state: State = 'idle';
  #connecting: Promise<NativeMetadata> | undefined;
  /** Every message handed to librdkafka and not yet reported. */
  readonly #inflight = new InflightList();
  /** Messages waiting for room in the local queue (FIFO keeps per-key order). */
  #waiting: Delivery[] = [];
  #waitingHead = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  /** Slow background poll while idle: error, log and statistics events need poll() too. */
  #idlePoll: NodeJS.Timeout | undefined;
  #drainWaiters: Array<() => void> = [];
  #fatal: Error | undefined;
  readonly #maxQueue: number;
  readonly #lowWater: number;

  constructor(binding: NativeBinding, global: NativeConfig, topic: NativeConfig, opts: EngineOptions) {
    this.#binding = binding;
    this.#global = global;
    this.#topic = topic;
    this.#opts = opts;
    const q = Number(global['queue.buffering.max.messages'] ?? 100_000);
    const queue = Number.isFinite(q) && q > 0 ? q : 100_000;
    this.#maxQueue = Math.min(queue, opts.maxInFlight ?? 10_000);
    // drain() resumes a paused publisher at 3/4 of the window, so it publishes in bursts instead
    // of one message per delivery report.
    this.#lowWater = Math.floor((this.#maxQueue * 3) / 4);
  }

  get state(): State {
    return this.#state;
  }

  /** Messages handed to librdkafka and not yet acknowledged or failed. */
  get inflightCount(): number {
    return this.#inflight.size;
  }

  /** Messages waiting for room in librdkafka's local queue. */
  get waitingCount(): number {
    return this.#waiting.length - this.#waitingHead;
  }

  /**
   * True while publishers should slow down: messages wait for room in the local queue, or more
   * messages are unreported than the local queue holds (node-rdkafka hands delivery reports to JS
   * about 100 per event-loop turn, so a publisher that rarely yields can pile up reports that
   * librdkafka already released from its queue).
   */
  get needsDrain(): boolean {
    return this.#waiting.length - this.#waitingHead > 0 || this.#inflight.size >= this.#maxQueue;
  }

  get fatalError(): Error | undefined {
    return this.#fatal;
  }

  /** Resolves when no message waits for queue room (immediately when none does). */
  drain(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  connect(): Promise<NativeMetadata> {
    if (this.#state === 'ready' || this.#state === 'connecting') return this.#connecting!;
    if (this.#state !== 'idle') {
      return Promise.reject(new StateError('Producer', 'connect', this.#state, ['idle']));
    }
    this.#state = 'connecting';
    let native: NativeProducer;
    try {
      native = this.#binding.createProducer(this.#global, this.#topic);
    } catch (e) {
      // librdkafka refused a property (an unknown or invalid `librdkafka:` override).
      this.#state = 'failed';
      this.#connecting = Promise.reject(new ConfigError([{ path: 'kafka.librdkafka', message: `librdkafka refused the producer configuration: ${(e as Error).message}` }]));
      return this.#connecting;
    }
    this.#native = native;
    native.on('delivery-report', (err, report) => this.#onReport(err, report));
    native.on('event.error', (err) => this.#onEventError(err));
    if (this.#opts.onLog) native.on('event.log', this.#opts.onLog);
    if (this.#opts.onStats) {
      const onStats = this.#opts.onStats;
      native.on('event.stats', (s) => onStats(s.message));
    }
    this.#connecting = connectClient(native, this.#opts.connectTimeoutMs, this.#describeTarget()).then(
      (md) => {
        if (this.#state === 'connecting') this.#state = 'ready';
        this.#idlePoll = setInterval(() => {
          if (this.#pollTimer === undefined) native.poll();
        }, 250);
        this.#idlePoll.unref();
        return md;
      },
      (err: unknown) => {
        // connectClient has already closed the client (a second disconnect would never call back).
        this.#state = 'failed';
        throw err;
      },
    );
    return this.#connecting;
  }

  #describeTarget(): string {
    const servers = this.#global['bootstrap.servers'];
    return `Kafka cluster ${String(servers)}`;
  }

  /** Sends one message; its sink hears exactly once: delivered or failed. Never throws. */
  send(msg: PreparedMessage, sink: DeliverySink, index: number): void {
    const d = new Delivery(msg, sink, index);
    if (this.#state !== 'ready') {
      sink.failed(this.#stateError('publish'), index);
      return;
    }
    if (this.#waiting.length !== this.#waitingHead) {
      // Others already wait for room: queue behind them so per-key order holds.
      this.#enqueueWaiting(d);
      return;
    }
    this.#produce(d);
  }

  #stateError(op: string): Error {
    if (this.#fatal) return this.#fatal;
    return new StateError('Producer', op, this.#state, ['ready']);
  }

  /** Hands a message to librdkafka; on a full queue parks it in the waiting FIFO. */
  #produce(d: Delivery): boolean {
    if (this.#inflight.size >= this.#maxQueue) {
      this.#enqueueWaiting(d);
      return false;
    }
    const m = d.msg;
    d.attempts++;
    try {
      this.#native!.produce(m.topic, m.partition, m.value, m.key, m.timestamp, d, m.headers);
    } catch (e) {
      const err = e as NativeError;
      d.attempts--;
      if (err.code === RD.ERR__QUEUE_FULL) {
        this.#enqueueWaiting(d);
        return false;
      }
      if (err.code === RD.ERR__FATAL) this.#setFatal(fromNativeError(err, 'producer is in a fatal state', { clientId: this.#opts.clientId }));
      d.sink.failed(new DeliveryError(m.topic, m.partition ?? -1, err, m.messageId, d.attempts + 1), d.index);
      return true;
    }
    this.#inflight.add(d);
    if (this.#pollTimer === undefined) this.#startPolling();
    return true;
  }

  #enqueueWaiting(d: Delivery): void {
    if (d.deadline === 0) d.deadline = Date.now() + this.#opts.enqueueTimeoutMs;
    this.#waiting.push(d);
    if (this.#pollTimer === undefined) this.#startPolling();
  }

  /** Moves waiting messages into librdkafka while it has room; expires those past their deadline. */
  #pumpWaiting(): void {
    const w = this.#waiting;
    let i = this.#waitingHead;
    const now = Date.now();
    while (i < w.length && this.#inflight.size < this.#maxQueue) {
      const d = w[i]!;
      if (now > d.deadline) {
        i++;
        d.sink.failed(new QueueFullTimeoutError(d.msg.topic, this.#opts.enqueueTimeoutMs, d.msg.messageId), d.index);
        continue;
      }
      d.attempts++;
      try {
        this.#native!.produce(d.msg.topic, d.msg.partition, d.msg.value, d.msg.key, d.msg.timestamp, d, d.msg.headers);
      } catch (e) {
        d.attempts--;
        const err = e as NativeError;
        if (err.code === RD.ERR__QUEUE_FULL) break;
        i++;
        d.sink.failed(new DeliveryError(d.msg.topic, d.msg.partition ?? -1, err, d.msg.messageId, d.attempts + 1), d.index);
        continue;
      }
      this.#inflight.add(d);
      i++;
    }
    if (i === w.length) {
      this.#waiting = [];
      this.#waitingHead = 0;
      if (this.#inflight.size <= this.#lowWater) this.#wakeDrainers();
    } else if (i > 1024 && i * 2 > w.length) {
      this.#waiting = w.slice(i);
      this.#waitingHead = 0;
    } else {
      this.#waitingHead = i;
    }
  }

  #startPolling(): void {
    const native = this.#native!;
    this.#pollTimer = setInterval(() => {
      native.poll();
      if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
      if (this.#inflight.size === 0 && this.#waiting.length === this.#waitingHead) {
        clearInterval(this.#pollTimer);
        this.#pollTimer = undefined;
      }
    }, this.#opts.pollIntervalMs);
  }

  #onReport(err: NativeError | null | undefined, report: NativeDeliveryReport): void {
    const d = report.opaque as Delivery | undefined;
    if (d === undefined || !this.#inflight.delete(d)) return;
    if (err) {
      this.#onFailure(d, err, report.partition);
    } else {
      d.sink.delivered(
        { topic: report.topic, partition: report.partition, offset: report.offset, timestamp: report.timestamp, messageId: d.msg.messageId },
        d.index,
      );
    }
    if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
    else if (this.#drainWaiters.length > 0 && this.#inflight.size <= this.#lowWater) this.#wakeDrainers();
  }

  #wakeDrainers(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #onFailure(d: Delivery, rawErr: NativeError, partition: number): void {
    // node-rdkafka hands delivery-report errors over without their numeric code; recover it.
    const code = typeof rawErr.code === 'number' && rawErr.code !== -1 ? rawErr.code : this.#binding.errorCodeOf(rawErr);
    const err: NativeError = { message: rawErr.message, code };
    const error = new DeliveryError(d.msg.topic, partition, err, d.msg.messageId, d.attempts);
    if (this.#opts.retryDelivered && error.retriable && d.attempts <= this.#opts.retryMax && this.#state === 'ready' && this.#fatal === undefined) {
      this.#opts.onRetry?.(d.msg.topic, d.attempts, error);
      this.#scheduleRetry(d);
      return;
    }
    d.sink.failed(error, d.index);
  }

  /** Exponential backoff with full jitter; retried messages go through the waiting FIFO. */
  #scheduleRetry(d: Delivery): void {
    const base = this.#opts.retryBackoffMs * 2 ** (d.attempts - 1);
    const wait = Math.min(base / 2 + Math.random() * base, 30_000);
    d.deadline = Date.now() + wait + this.#opts.enqueueTimeoutMs;
    this.#inflight.add(d); // still ours: counted until it is finally reported
    const t = setTimeout(() => {
      if (!this.#inflight.delete(d)) return; // already failed by close()
      if (this.#state !== 'ready' && this.#state !== 'closing') {
        d.sink.failed(this.#stateError('publish'), d.index);
        return;
      }
      this.#enqueueWaiting(d);
      this.#pumpWaiting();
    }, wait);
    t.unref();
  }

  #onEventError(err: NativeError): void {
    // node-rdkafka reports error events with code -1 and without the fatal flag (and librdkafka's
    // C++ layer replaces ERR__FATAL by the underlying code): recover the code from the text, and
    // recognise a fatal error by its text.
    const fatalText = typeof err.message === 'string' && /fatal/i.test(err.message);
    const code = typeof err.code === 'number' && err.code !== -1 ? err.code : this.#binding.errorCodeOf({ message: String(err.message ?? '') });
    const error = fromNativeError({ message: err.message, code, ...(fatalText ? { isFatal: true } : {}) }, 'producer error', { clientId: this.#opts.clientId });
    if (error.fatal) this.#setFatal(error);
    this.#opts.onError?.(error);
  }

  #setFatal(error: Error): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = error;
    if (this.#state === 'ready') this.#state = 'failed';
  }

  /** Waits for every in-flight message to be reported (or the timeout). Returns how many remain. */
  async flush(timeoutMs: number): Promise<number> {
    if (this.#native === undefined || this.#state === 'closed') return 0;
    const deadline = Date.now() + timeoutMs;
    while (this.#waiting.length !== this.#waitingHead && Date.now() < deadline) {
      this.#pumpWaiting();
      if (this.#waiting.length === this.#waitingHead) break;
      await delay(5);
    }
    const left = Math.max(0, deadline - Date.now());
    await flushProducer(this.#native, left).catch(() => undefined);
    // flush() ran on the threadpool; let the dispatched reports reach us.
    while (this.#inflight.size > 0 && Date.now() < deadline) {
      this.#native.poll();
      await delay(2);
    }
    return this.#inflight.size + this.waitingCount;
  }

  /**
   * Stops intake, flushes within the timeout, disconnects. Every message that was not delivered is
   * failed to its publisher and listed in the FlushIncompleteError this rejects with.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'connecting') await this.#connecting!.catch(() => undefined);
    const native = this.#native;
    this.#state = 'closing';
    let undelivered: UndeliveredMessage[] = [];
    if (native !== undefined) {
      await this.flush(timeoutMs);
      undelivered = this.#failRemaining(timeoutMs);
      if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
      if (this.#idlePoll !== undefined) clearInterval(this.#idlePoll);
      // Timeout 0: node-rdkafka's disconnect flushes again; messages already reported as failed
      // must not be delivered after all.
      await disconnectClient(native, 0).catch(() => undefined);
      native.removeAllListeners();
    }
    this.#state = 'closed';
    if (undelivered.length > 0) throw new FlushIncompleteError(undelivered, timeoutMs);
  }

  #failRemaining(timeoutMs: number): UndeliveredMessage[] {
    const out: UndeliveredMessage[] = [];
    const fail = (d: Delivery) => {
      out.push({ messageId: d.msg.messageId, topic: d.msg.topic, key: typeof d.msg.key === 'string' ? d.msg.key : d.msg.key?.toString('hex') });
      const err = new DeliveryError(d.msg.topic, d.msg.partition ?? -1, { code: RD.ERR__TIMED_OUT, message: `delivery not confirmed before close (${timeoutMs} ms flush timeout); the message may or may not have been written` }, d.msg.messageId, d.attempts);
      d.sink.failed(err, d.index);
    };
    for (let i = this.#waitingHead; i < this.#waiting.length; i++) fail(this.#waiting[i]!);
    this.#waiting = [];
    this.#waitingHead = 0;
    for (const d of this.#inflight) fail(d);
    this.#inflight.clear();
    for (const resolve of this.#drainWaiters) resolve();
    this.#drainWaiters = [];
    return out;
  }

  /** Metadata round trip through this producer's connection. */
  metadata(topic: string | undefined, timeoutMs: number): Promise<NativeMetadata> {
    const native = this.#native;
    if (native === undefined || this.#state !== 'ready') return Promise.reject(this.#stateError('metadata'));
    return new Promise((resolve, reject) => {
      native.getMetadata(topic === undefined ? { timeout: timeoutMs } : { topic, timeout: timeoutMs }, (err, md) => {
        if (err) reject(new ConnectionError(`metadata request failed: ${err.message}`, { cause: err, context: { topic } }));
        else resolve(md);
      });
    });
  }
}
