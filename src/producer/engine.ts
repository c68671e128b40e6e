import { setTimeout as delay } from 'node:timers/promises';
import { StateError } from '../errors/base.js';
import { ConnectionError, DeliveryError, FlushIncompleteError, QueueFullTimeoutError, type UndeliveredMessage } from '../errors/producer.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import type { NativeBinding, NativeConfig, NativeDeliveryReport, NativeError, NativeHeaders, NativeMetadata, NativeProducer } from '../native/types.js';
import { connectClient, createProducerClient, disconnectClient, flushProducer } from '../native/lifecycle.js';

/** What a successful publish resolves with. */
export interface DeliveryResult {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number | undefined;
  readonly messageId: string | undefined;
}

/**
 * One message on its way to the broker, and the only object the library keeps for it while it is
 * in flight: the produce() arguments, the delivery state (attempts, deadline, in-flight list links)
 * and, in subclasses, whoever waits for the outcome (a publish promise, a batch slot, the
 * dead-letter writer). It doubles as node-rdkafka's opaque, so a delivery report finds its caller
 * without a map lookup. One object instead of message + tracking + sink (+ telemetry) objects:
 * every in-flight message lives ~60 ms at full speed, long enough to survive a scavenge, so each
 * retained object per message costs GC time (bench/README.md "Findings").
 *
 * The engine calls exactly one of `delivered` / `failed`, exactly once.
 */
export abstract class Outbound {
  attempts = 0;
  deadline = 0;
  // Intrusive list links (the in-flight list): O(1) add/remove without hashing.
  prev: Outbound | null = null;
  next: Outbound | null = null;
  listed = false;
  /**
   * Set once a delivery failed and the library retries it (idempotence off): the failure to report
   * if the retry never reaches librdkafka. Once a failure was possibly persisted, it is kept.
   */
  retryError: DeliveryError | undefined = undefined;
  constructor(
    readonly topic: string,
    readonly partition: number | null,
    /** Released (null) once librdkafka has its copy and the message can never be produced again. */
    public value: Buffer | null,
    readonly key: Buffer | string | null,
    readonly timestamp: number | null,
    /** Mutable until the message is handed to the engine (tracing appends its headers). */
    public headers: NativeHeaders | undefined,
    readonly messageId: string | undefined,
  ) {}
  /** The broker acknowledged the message (the report node-rdkafka handed over). */
  abstract delivered(report: NativeDeliveryReport): void;
  abstract failed(error: Error): void;
  /** A library-level retry of this message is scheduled: counted by messages that count (publish). */
  retrying(): void {}
}

/** The public outcome of a delivered message. */
export function deliveryResult(d: Outbound, report: NativeDeliveryReport): DeliveryResult {
  return { topic: report.topic, partition: report.partition, offset: report.offset, timestamp: report.timestamp, messageId: d.messageId };
}

/** Messages handed to librdkafka and not yet reported, as an intrusive doubly-linked list. */
class InflightList {
  #head: Outbound | null = null;
  #tail: Outbound | null = null;
  size = 0;
  /** Appends (iteration is in hand-over order). */
  add(d: Outbound): void {
    d.listed = true;
    d.next = null;
    d.prev = this.#tail;
    if (this.#tail !== null) this.#tail.next = d;
    else this.#head = d;
    this.#tail = d;
    this.size++;
  }
  delete(d: Outbound): boolean {
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
  *[Symbol.iterator](): Generator<Outbound> {
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
   * (like a full local queue). Default min(DEFAULT_MAX_IN_FLIGHT, queue.buffering.max.messages).
   */
  readonly maxInFlight?: number;
  readonly onError?: (err: Error) => void;
  /** A retriable delivery failure is being retried (library-level). */
  readonly onRetry?: (topic: string, attempt: number, err: Error) => void;
  readonly onStats?: (json: string) => void;
  readonly onLog?: (log: { severity: number; fac: string; message: string }) => void;
}

/**
 * The default in-flight window. Every in-flight message keeps its objects (message, headers, id,
 * the caller's promise) alive until its report, and at full speed they outlive a young-generation
 * scavenge, so the window sets how much the GC copies and promotes. Measured on 2 vCPUs, 300k ×
 * 100 B, medians of 3 (main-thread CPU µs/msg, msgs/s, p50 ack latency): 10k 6.1 µs, 122k/s,
 * 62 ms; 5k 6.2 µs, 124k/s, 34 ms; 3k 5.3–5.6 µs, 133–143k/s, 18 ms; 2k 5.6 µs, 137k/s, 12 ms; 1k
 * 5.7 µs, 90k/s (too small: the window, not the CPU, limits the rate). 3,000 messages still cover
 * 20 ms of acks at 150k msgs/s; raise it (ConnectionManager `maxInFlight`) for a distant cluster.
 */
export const DEFAULT_MAX_IN_FLIGHT = 3_000;

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
  /**
   * Messages whose delivery failed and that wait for their library retry's backoff: out of
   * librdkafka's hands, but still ours and counted in the window until they are finally reported.
   */
  readonly #retrying = new InflightList();
  /** Messages waiting for room in the local queue (FIFO keeps per-key order). */
  #waiting: Outbound[] = [];
  #waitingHead = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  /** True while #pumpWaiting runs (it calls out to callbacks that may re-enter it). */
  #pumping = false;
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
    this.#maxQueue = Math.min(queue, opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    // drain() resumes a paused publisher at 3/4 of the window, so it publishes in bursts instead
    // of one message per delivery report.
    this.#lowWater = Math.floor((this.#maxQueue * 3) / 4);
  }

  get state(): State {
    return this.#state;
  }

  /** Messages handed to librdkafka and not yet acknowledged or failed (including those awaiting a library retry). */
  get inflightCount(): number {
    return this.#inflight.size + this.#retrying.size;
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
    return this.#waiting.length - this.#waitingHead > 0 || this.#inflight.size + this.#retrying.size >= this.#maxQueue;
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
      native = createProducerClient(this.#binding, this.#global, this.#topic);
    } catch (e) {
      // A feature the build lacks (NativeFeatureError) or a property librdkafka refused (ConfigError).
      this.#state = 'failed';
      this.#connecting = Promise.reject(e);
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

  /** Sends one message; it hears exactly once: delivered or failed. Never throws. */
  send(d: Outbound): void {
    if (this.#state !== 'ready') {
      d.failed(this.#stateError('publish'));
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

  /** Hands a message to librdkafka; on a full window or queue parks it in the waiting FIFO. */
  #produce(d: Outbound): void {
    if (this.#inflight.size + this.#retrying.size >= this.#maxQueue || !this.#handOver(d)) this.#enqueueWaiting(d);
  }

  /**
   * The one place that calls librdkafka's produce() (first attempts, waiting messages and library
   * retries alike). Returns false when librdkafka's queue is full (nothing changed: the caller
   * keeps the message waiting); true when the message is in flight now or was refused (then it
   * has been failed, and a fatal refusal put the engine in its fatal state).
   */
  #handOver(d: Outbound): boolean {
    d.attempts++;
    try {
      this.#native!.produce(d.topic, d.partition, d.value, d.key, d.timestamp, d, d.headers);
    } catch (e) {
      d.attempts--;
      const err = e as NativeError;
      if (err.code === RD.ERR__QUEUE_FULL) return false;
      if (err.code === RD.ERR__FATAL) this.#setFatal(fromNativeError(err, 'producer is in a fatal state', { clientId: this.#opts.clientId }));
      // A retried message keeps what its earlier attempts tell: one may have been written.
      d.failed(new DeliveryError(d.topic, d.partition ?? -1, err, d.messageId, d.attempts + 1, d.retryError?.possiblyPersisted === true));
      return true;
    }
    this.#inflight.add(d);
    if (!this.#opts.retryDelivered) this.#release(d);
    if (this.#pollTimer === undefined) this.#startPolling();
    return true;
  }

  /**
   * librdkafka copied value, key and headers in produce() (RK_MSG_COPY); when no delivery failure
   * may be produced again (idempotence on: retryDelivered false), the in-flight message lets go of
   * its value and headers, so they die young instead of being promoted while it waits for its
   * report (the key stays: close() reports it for undelivered messages).
   */
  #release(d: Outbound): void {
    d.value = null;
    d.headers = undefined;
  }

  #enqueueWaiting(d: Outbound): void {
    if (d.deadline === 0) d.deadline = Date.now() + this.#opts.enqueueTimeoutMs;
    this.#waiting.push(d);
    if (this.#pollTimer === undefined) this.#startPolling();
  }

  /**
   * Moves waiting messages into librdkafka while it has room, and fails those at the head that are
   * past their deadline, also while the in-flight window is full (a publish must not wait for
   * delivery_timeout). Deadlines grow along the FIFO, except that a retried message re-enters at the
   * tail with its backoff added, so a message behind it may expire only once it has left.
   *
   * Not re-entrant: a failed message's callback may call flush() (which pumps) or send(); the
   * running pump carries on (and picks up what send() appended), so no message is failed or
   * produced twice.
   */
  #pumpWaiting(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    const w = this.#waiting;
    let i = this.#waitingHead;
    const now = Date.now();
    try {
      while (i < w.length) {
        const d = w[i]!;
        if (now > d.deadline) {
          i++;
          // A retried message was handed to librdkafka before: its delivery failure tells whether
          // it may have been written; QueueFullTimeoutError promises it never was.
          d.failed(d.retryError ?? new QueueFullTimeoutError(d.topic, this.#opts.enqueueTimeoutMs, d.messageId));
          continue;
        }
        if (this.#inflight.size + this.#retrying.size >= this.#maxQueue) break;
        // Past d before #handOver may fail it (its callback may re-enter): never failed twice.
        i++;
        if (!this.#handOver(d)) {
          i--; // librdkafka's queue is full: d stays at the head
          break;
        }
      }
    } finally {
      this.#pumping = false;
      if (i === w.length) {
        this.#waiting = [];
        this.#waitingHead = 0;
        this.#wakeIfDrained();
      } else if (i > 1024 && i * 2 > w.length) {
        this.#waiting = w.slice(i);
        this.#waitingHead = 0;
      } else {
        this.#waitingHead = i;
      }
    }
  }

  #startPolling(): void {
    const native = this.#native!;
    this.#pollTimer = setInterval(() => {
      native.poll();
      if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
      if (this.#inflight.size === 0 && this.#waiting.length === this.#waitingHead) {
        // Messages awaiting a retry need no polling: their timer re-starts it.
        clearInterval(this.#pollTimer);
        this.#pollTimer = undefined;
      }
    }, this.#opts.pollIntervalMs);
  }

  #onReport(err: NativeError | null | undefined, report: NativeDeliveryReport): void {
    const d = report.opaque as Outbound | undefined;
    if (d === undefined || !this.#inflight.delete(d)) return;
    if (err) this.#onFailure(d, err, report.partition);
    else d.delivered(report);
    this.#left();
  }

  /**
   * A message left the window (reported, failed, or its retry came due): hands waiting messages
   * over and wakes drain() waiters once the window has drained. Every path that lowers the count
   * ends here or in #pumpWaiting (close() wakes every waiter itself).
   */
  #left(): void {
    if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
    else this.#wakeIfDrained();
  }

  /** Wakes drain() waiters when nothing waits and the window has drained to its low-water mark. */
  #wakeIfDrained(): void {
    if (this.#drainWaiters.length > 0 && this.#waiting.length === this.#waitingHead && this.#inflight.size + this.#retrying.size <= this.#lowWater) this.#wakeDrainers();
  }

  #wakeDrainers(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #onFailure(d: Outbound, rawErr: NativeError, partition: number): void {
    // node-rdkafka hands delivery-report errors over without their numeric code; recover it.
    const code = typeof rawErr.code === 'number' && rawErr.code !== -1 ? rawErr.code : this.#binding.errorCodeOf(rawErr);
    const err: NativeError = { message: rawErr.message, code };
    const error = new DeliveryError(d.topic, partition, err, d.messageId, d.attempts, d.retryError?.possiblyPersisted === true);
    if (this.#opts.retryDelivered && error.retriable && d.attempts <= this.#opts.retryMax && this.#state === 'ready' && this.#fatal === undefined) {
      if (d.retryError === undefined || !d.retryError.possiblyPersisted) d.retryError = error;
      d.retrying();
      this.#opts.onRetry?.(d.topic, d.attempts, error);
      this.#scheduleRetry(d);
      return;
    }
    d.failed(error);
  }

  /** Exponential backoff with full jitter; retried messages go through the waiting FIFO. */
  #scheduleRetry(d: Outbound): void {
    const base = this.#opts.retryBackoffMs * 2 ** (d.attempts - 1);
    const wait = Math.min(base / 2 + Math.random() * base, 30_000);
    d.deadline = Date.now() + wait + this.#opts.enqueueTimeoutMs;
    this.#retrying.add(d); // still ours: counted until it is finally reported
    const t = setTimeout(() => {
      if (!this.#retrying.delete(d)) return; // already failed by close()
      if (this.#state === 'ready' || this.#state === 'closing') {
        this.#enqueueWaiting(d);
      } else {
        // The producer turned fatal meanwhile: the message's own delivery failure (it tells
        // whether an attempt may have been written); the fatal error says nothing about that.
        d.failed(d.retryError!);
      }
      this.#left();
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
    // flush() ran on the threadpool; let the dispatched reports reach us (and due retries go out).
    while (this.inflightCount > 0 && Date.now() < deadline) {
      this.#native.poll();
      await delay(2);
    }
    return this.inflightCount + this.waitingCount;
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

  /**
   * Fails every message close() could not deliver, in hand-over order, each with what is known
   * about it: in librdkafka's hands → ERR__TIMED_OUT, possibly written; awaiting a library retry
   * (its backoff or room) → its earlier delivery failure, which tells whether an attempt may have
   * been written; never handed to librdkafka → ERR__PURGE_QUEUE (librdkafka's code for a message
   * purged before it was sent), never written.
   */
  #failRemaining(timeoutMs: number): UndeliveredMessage[] {
    // Detached first: a failed message's callback may call flush() or send(), which must not see them.
    const inflight = [...this.#inflight];
    const retrying = [...this.#retrying];
    const waiting = this.#waiting.slice(this.#waitingHead);
    this.#inflight.clear();
    this.#retrying.clear();
    this.#waiting = [];
    this.#waitingHead = 0;
    const out: UndeliveredMessage[] = [];
    for (const d of inflight) {
      out.push(undelivered(d));
      d.failed(new DeliveryError(d.topic, d.partition ?? -1, { code: RD.ERR__TIMED_OUT, message: `delivery not confirmed before close (${timeoutMs} ms flush timeout)` }, d.messageId, d.attempts, 'it was handed to librdkafka before close'));
    }
    for (const d of retrying) {
      out.push(undelivered(d));
      d.failed(d.retryError!);
    }
    for (const d of waiting) {
      out.push(undelivered(d));
      // Only a library retry re-enters the FIFO after a hand-over, and it has its retryError.
      d.failed(d.retryError ?? new DeliveryError(d.topic, d.partition ?? -1, { code: RD.ERR__PURGE_QUEUE, message: 'closed before the message was handed to librdkafka (it waited for room in the local queue); it was never written: publishing it again is safe' }, d.messageId, d.attempts));
    }
    this.#wakeDrainers();
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

/** How close() names a message it could not deliver. */
function undelivered(d: Outbound): UndeliveredMessage {
  return { messageId: d.messageId, topic: d.topic, key: typeof d.key === 'string' ? d.key : d.key?.toString('hex') };
}
