import { setTimeout as delay } from 'node:timers/promises';
import { StateError } from '../errors/base.js';
import { backoffDelay } from '../errors/backoff.js';
import { ConnectionError, DeliveryError, FlushIncompleteError, QueueFullTimeoutError, type UndeliveredMessage } from '../errors/producer.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import { ConfigError } from '../config/errors.js';
import type { NativeBatchProducer, NativeBinding, NativeConfig, NativeError, NativeHeaders, NativeMetadata } from '../native/types.js';
import { assertConfigFeatures } from '../native/features.js';
import { BatchPacker, FAILED_REFUSED } from '../native/batch-producer.js';

export { Outbound, InflightList, type DeliveryResult } from './outbound.js';
import { Outbound, InflightList } from './outbound.js';

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
  /** How often waiting messages are retried / checked against their deadline while any wait. */
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
 * The default in-flight window. Every in-flight message keeps its objects (the Outbound, the
 * caller's promise, its id) alive until its report; at full speed they outlive a young-generation
 * scavenge, so a large window makes the GC copy and promote them, and a small one leaves the JS
 * thread idle waiting for acks (linger.ms + the broker's acks=all round trip). Measured on the
 * batch engine (bench/experiments/engine-window.ts, 2 vCPUs with the broker, 300k × 100 B, keyed,
 * medians of 5 interleaved runs, msgs/s): publish() 3k 303k, 6k 341k, 10k 297k; send() 3k 317k,
 * 6k 468k, 10k 442k; publishBatch() 3k 316k, 6k 418k, 10k 392k. 6,000 messages cover ~15 ms of
 * acks at 400k msgs/s; raise it (ConnectionManager `maxInFlight`) for a distant cluster.
 */
export const DEFAULT_MAX_IN_FLIGHT = 6_000;

type State = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';

/** A micro-batch is handed to the addon at the end of the tick, or at once when it reaches either bound. */
export const BATCH_MAX_MESSAGES = 1000;
export const BATCH_MAX_BYTES = 1 << 20;

/** Failures that retrying cannot fix: reported at once instead of waiting for connect_timeout. */
const TLS_FAILURE = /certificate verify failed|SSL handshake failed|ssl\.(key|certificate|ca)|SSL_CTX|private key/i;
const AUTH_FAILURE = /SASL authentication error|Authentication failed|Invalid username or password|SASL .*(fail|mechanism)/i;
/** How the addon prefixes a failure of rd_kafka_new() (producer.cc). */
const RD_KAFKA_NEW = 'rd_kafka_new: ';

/**
 * One librdkafka producer (the project's own batch addon, src/native/addon/producer.cc) with
 * delivery tracking, backpressure and retries. librdkafka batches per partition across all topics
 * and runs one I/O thread per broker, so one instance per process (shared by every writer) gives
 * the best batching and the fewest connections.
 *
 * Hot path: send() packs the message into the current micro-batch (BatchPacker) and gives it an id
 * (a slot in #slots); at the end of the tick (or when the batch is full) one produceBatch() call
 * enqueues the whole batch in C++. Delivery reports come back once per wake-up as typed arrays and
 * find their Outbound through the slot table: no per-message crossing, closure or event.
 */
export class ProducerEngine {
  readonly #binding: NativeBinding;
  readonly #global: NativeConfig;
  readonly #topic: NativeConfig;
  readonly #opts: EngineOptions;
  #native: NativeBatchProducer | undefined;
  #state: State = 'idle';
  #connecting: Promise<NativeMetadata> | undefined;
  /** Every message handed to librdkafka (or packed for the next produceBatch) and not yet reported. */
  readonly #inflight = new InflightList();
  /**
   * Messages whose delivery failed and that wait for their library retry's backoff: out of
   * librdkafka's hands, but still ours and counted in the window until they are finally reported.
   */
  readonly #retrying = new InflightList();
  /** Messages waiting for room in the local queue or the window (FIFO keeps per-key order). */
  #waiting: Outbound[] = [];
  #waitingHead = 0;
  /** Runs while messages wait: fails those past their deadline and retries a full queue. */
  #pumpTimer: NodeJS.Timeout | undefined;
  /** True while #pumpWaiting runs (it calls out to callbacks that may re-enter it). */
  #pumping = false;
  #drainWaiters: Array<() => void> = [];
  #fatal: Error | undefined;
  readonly #maxQueue: number;
  readonly #lowWater: number;
  /** The micro-batch being packed, and its messages in packing order. */
  readonly #packer = new BatchPacker(BATCH_MAX_MESSAGES);
  #staged: Outbound[] = [];
  /** Messages a full local queue gave back (#flushBatch), to go ahead of every waiting message. */
  #requeue: Outbound[] = [];
  #flushQueued = false;
  readonly #flushTask = (): void => {
    this.#flushQueued = false;
    this.#flushBatch();
  };
  /** id → in-flight message (the id travels as librdkafka's opaque); free ids are reused. */
  #slots: Array<Outbound | undefined> = [];
  #freeSlots: number[] = [];
  /** While connecting: classifies TLS / authentication failures from log lines and errors. */
  #connectWatch: ((message: string, code?: number) => void) | undefined;
  readonly #errorTexts = new Map<number, string>();

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

  /** True while publishers should slow down: messages wait for room, or the in-flight window is full. */
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
    let native: NativeBatchProducer;
    try {
      native = this.#create();
    } catch (e) {
      // A feature the build lacks (NativeFeatureError) or a property librdkafka refused (ConfigError).
      this.#state = 'failed';
      this.#connecting = Promise.reject(e);
      return this.#connecting;
    }
    this.#native = native;
    this.#connecting = this.#connectNative(native).then(
      (md) => {
        if (this.#state === 'connecting') this.#state = 'ready';
        return md;
      },
      (err: unknown) => {
        this.#state = 'failed';
        throw err;
      },
    );
    return this.#connecting;
  }

  #create(): NativeBatchProducer {
    assertConfigFeatures(this.#binding, this.#global, this.#topic);
    const opts = this.#opts;
    const onStats = opts.onStats;
    const onLog = opts.onLog;
    try {
      return this.#binding.createBatchProducer(this.#global, this.#topic, {
        onReports: (ok, okPos, failed) => this.#onReports(ok, okPos, failed),
        onError: (err) => this.#onEventError(err),
        onLog: (log) => {
          if (this.#connectWatch !== undefined && (log.severity <= 4 || log.fac === 'FAIL')) this.#connectWatch(log.message);
          onLog?.(log);
        },
        onStats: (json) => onStats?.(json),
        lookup: (id) => this.#slots[id],
      });
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      // rd_kafka_new() itself failed (the properties were accepted): e.g. a TLS key that does not
      // load. node-rdkafka created the handle in connect(), so this was, and stays, a connect failure.
      if (message.startsWith(RD_KAFKA_NEW)) throw this.#connectError(message.slice(RD_KAFKA_NEW.length), e);
      throw new ConfigError([{ path: 'kafka.librdkafka', message: `librdkafka refused the producer configuration: ${message}` }], { cause: e });
    }
  }

  #target(): string {
    return `Kafka cluster ${String(this.#global['bootstrap.servers'])}`;
  }

  /** The ConnectionError for a failure message: TLS and authentication failures get their own codes. */
  #connectError(message: string, cause?: unknown, code?: number): ConnectionError | undefined {
    const timeoutMs = this.#opts.connectTimeoutMs;
    const target = this.#target();
    // "certificate verify failed" first: a sasl_ssl:// broker name also contains "SASL".
    if (TLS_FAILURE.test(message) || code === -181) {
      return new ConnectionError(`TLS handshake with ${target} failed: ${message}`, { code: 'GCK_TLS', retriable: false, context: { timeoutMs }, ...(cause !== undefined ? { cause } : {}) });
    }
    if (AUTH_FAILURE.test(message) || code === -169 || code === 58) {
      return new ConnectionError(`authentication failed connecting to ${target}: ${message}`, { code: 'GCK_AUTHENTICATION', retriable: false, context: { timeoutMs }, ...(cause !== undefined ? { cause } : {}) });
    }
    if (cause === undefined) return undefined;
    return new ConnectionError(`could not connect to ${target}: ${message}`, { cause, context: { timeoutMs, librdkafkaCode: code } });
  }

  /**
   * Connecting is a metadata request (off the JS thread) with a hard deadline of its own: librdkafka
   * keeps retrying a broker that does not answer. A TLS or authentication failure (log lines and
   * error events while connecting) rejects at once with the librdkafka detail; the handle is
   * destroyed either way, so a refused client does not keep trying.
   */
  #connectNative(native: NativeBatchProducer): Promise<NativeMetadata> {
    const timeoutMs = this.#opts.connectTimeoutMs;
    const target = this.#target();
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (err: ConnectionError) => {
        if (done) return;
        done = true;
        this.#connectWatch = undefined;
        clearTimeout(timer);
        this.#native = undefined;
        native.close().catch(() => undefined);
        reject(err);
      };
      this.#connectWatch = (message, code) => {
        const err = this.#connectError(message, undefined, code);
        if (err !== undefined) fail(err);
      };
      const timer = setTimeout(() => {
        fail(new ConnectionError(`${target} did not answer a metadata request within connect_timeout (${timeoutMs} ms)`, { context: { timeoutMs } }));
      }, timeoutMs + 250);
      native.metadata({ allTopics: true, timeout: timeoutMs }).then(
        (md) => {
          if (done) return;
          done = true;
          this.#connectWatch = undefined;
          clearTimeout(timer);
          resolve(md);
        },
        (err: { message?: string; code?: number }) => {
          if (done) return;
          this.#connectWatch?.(String(err.message ?? ''), err.code);
          fail(new ConnectionError(`could not connect to ${target}: ${String(err.message)}`, { cause: err, context: { timeoutMs, librdkafkaCode: err.code } }));
        },
      );
    });
  }

  /**
   * Sends one message; it hears exactly once: delivered or failed. Never throws.
   *
   * `batched`: the message is part of a publishBatch() call and goes to librdkafka even when the
   * in-flight window is full (only a full local queue or messages already waiting hold it back).
   * The window bounds how many message objects live at once; a batch's objects exist already,
   * so holding them back would only add the waiting FIFO's work. needsDrain stays true until the
   * window has room again, so a loop that awaits drain() between batches still slows down.
   */
  send(d: Outbound, batched = false): void {
    if (this.#state !== 'ready') {
      d.failed(this.#stateError('publish'));
      return;
    }
    if (this.#waiting.length !== this.#waitingHead) {
      // Others already wait for room: queue behind them so per-key order holds.
      this.#enqueueWaiting(d);
      return;
    }
    if (!batched && this.#inflight.size + this.#retrying.size >= this.#maxQueue) this.#enqueueWaiting(d);
    else this.#stage(d);
  }

  #stateError(op: string): Error {
    if (this.#fatal) return this.#fatal;
    return new StateError('Producer', op, this.#state, ['ready']);
  }

  /**
   * Packs a message into the current micro-batch (it is in flight from here on: it counts in the
   * window). The batch goes to librdkafka at the end of the tick, or now when it is full.
   */
  #stage(d: Outbound): void {
    d.attempts++;
    const id = this.#freeSlots.length > 0 ? this.#freeSlots.pop()! : this.#slots.length;
    this.#slots[id] = d;
    d.slot = id;
    this.#inflight.add(d);
    const p = this.#packer;
    p.add(id, d.topic, d.partition, d.key, d.value, d.headers, d.timestamp, d.messageId);
    this.#staged.push(d);
    if (p.count >= BATCH_MAX_MESSAGES || p.off >= BATCH_MAX_BYTES) this.#flushBatch();
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushTask);
    }
  }

  #freeSlot(d: Outbound): void {
    if (d.slot >= 0 && this.#slots[d.slot] === d) {
      this.#slots[d.slot] = undefined;
      this.#freeSlots.push(d.slot);
    }
    d.slot = -1;
  }

  /**
   * Hands the packed micro-batch to librdkafka (one crossing). Messages its full local queue did
   * not take go back to the head of the waiting FIFO, in order, ahead of later messages.
   */
  #flushBatch(): void {
    const p = this.#packer;
    const count = p.count;
    if (count === 0) return;
    const staged = this.#staged;
    this.#staged = [];
    let n = 0;
    let thrown: unknown;
    const native = this.#native;
    try {
      n = native === undefined ? 0 : native.produceBatch(p.topics, p.bytes, p.table, count, 0);
    } catch (e) {
      thrown = e;
    }
    p.reset();
    if (thrown !== undefined || native === undefined) {
      // The addon refused the whole table (a bug, or the handle is gone): each message fails, none was sent.
      const message = thrown instanceof Error ? thrown.message : 'producer closed';
      for (const d of staged) {
        if (!this.#inflight.delete(d)) continue;
        this.#freeSlot(d);
        d.failed(new DeliveryError(d.topic, d.partition ?? -1, { code: RD.ERR__STATE, message }, d.messageId, d.attempts, d.retryError?.possiblyPersisted === true));
      }
      this.#left();
      return;
    }
    if (!this.#opts.retryDelivered) for (let i = 0; i < n; i++) this.#release(staged[i]!);
    if (n < count) {
      // librdkafka's queue is full: the rest waits (before anything that waits already).
      const back: Outbound[] = [];
      for (let i = n; i < count; i++) {
        const d = staged[i]!;
        if (!this.#inflight.delete(d)) continue; // failed meanwhile (close)
        this.#freeSlot(d);
        d.attempts--;
        if (d.deadline === 0) d.deadline = Date.now() + this.#opts.enqueueTimeoutMs;
        back.push(d);
      }
      if (back.length > 0) {
        this.#requeue = this.#requeue.length === 0 ? back : this.#requeue.concat(back);
        if (!this.#pumping) this.#mergeRequeue();
      }
    }
  }

  /** Puts what a full queue gave back at the head of the waiting FIFO (the pump does it when it ends). */
  #mergeRequeue(): void {
    if (this.#requeue.length === 0) return;
    this.#waiting = this.#requeue.concat(this.#waiting.slice(this.#waitingHead));
    this.#waitingHead = 0;
    this.#requeue = [];
    this.#startPump();
  }

  /**
   * librdkafka copied value, key and headers in produceBatch (RD_KAFKA_MSG_F_COPY); when no
   * delivery failure may be produced again (idempotence on: retryDelivered false), the in-flight
   * message lets go of its value and headers, so they die young instead of being promoted while it
   * waits for its report (the key stays: close() reports it for undelivered messages).
   */
  #release(d: Outbound): void {
    d.value = null;
    d.headers = undefined;
  }

  #enqueueWaiting(d: Outbound): void {
    if (d.deadline === 0) d.deadline = Date.now() + this.#opts.enqueueTimeoutMs;
    this.#waiting.push(d);
    this.#startPump();
  }

  /**
   * Moves waiting messages into the micro-batch while the window has room, and fails those at the
   * head that are past their deadline, also while the window is full (a publish must not wait for
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
      // Stops when a full queue gave messages back: later ones must not overtake them.
      while (i < w.length && this.#requeue.length === 0) {
        const d = w[i]!;
        if (now > d.deadline) {
          i++;
          // A retried message was handed to librdkafka before: its delivery failure tells whether
          // it may have been written; QueueFullTimeoutError promises it never was.
          d.failed(d.retryError ?? new QueueFullTimeoutError(d.topic, this.#opts.enqueueTimeoutMs, d.messageId));
          continue;
        }
        if (this.#inflight.size + this.#retrying.size >= this.#maxQueue) break;
        i++;
        this.#stage(d);
      }
    } finally {
      this.#pumping = false;
      if (i === w.length) {
        this.#waiting = [];
        this.#waitingHead = 0;
      } else if (i > 1024 && i * 2 > w.length) {
        this.#waiting = w.slice(i);
        this.#waitingHead = 0;
      } else {
        this.#waitingHead = i;
      }
      this.#mergeRequeue();
      this.#wakeIfDrained();
    }
  }

  #startPump(): void {
    if (this.#pumpTimer !== undefined) return;
    this.#pumpTimer = setInterval(() => {
      if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
      if (this.#waiting.length === this.#waitingHead) {
        clearInterval(this.#pumpTimer);
        this.#pumpTimer = undefined;
      }
    }, this.#opts.pollIntervalMs);
  }

  /** One hand-off of delivery reports (see NativeBatchProducer / batch-producer.ts for the layout). */
  #onReports(ok: Int32Array | null, okPos: Float64Array | null, failed: Int32Array | null): void {
    const slots = this.#slots;
    if (ok !== null && okPos !== null) {
      for (let i = 0; i < ok.length; i += 2) {
        const d = slots[ok[i]!];
        if (d === undefined || !this.#inflight.delete(d)) continue;
        this.#freeSlot(d);
        const ts = okPos[i + 1]!;
        d.delivered({ topic: d.topic, partition: ok[i + 1]!, offset: okPos[i]!, timestamp: ts >= 0 ? ts : undefined, messageId: d.messageId });
      }
    }
    if (failed !== null) {
      for (let i = 0; i < failed.length; i += 4) {
        const d = slots[failed[i]!];
        if (d === undefined || !this.#inflight.delete(d)) continue;
        this.#freeSlot(d);
        const code = failed[i + 1]!;
        const partition = failed[i + 2]!;
        const err: NativeError = { code, message: this.#errorText(code) };
        if ((failed[i + 3]! & FAILED_REFUSED) !== 0) {
          // Refused by librdkafka at enqueue: never sent, not retried by the library.
          if (code === RD.ERR__FATAL) this.#setFatal(fromNativeError(err, 'producer is in a fatal state', { clientId: this.#opts.clientId }));
          d.failed(new DeliveryError(d.topic, d.partition ?? -1, err, d.messageId, d.attempts, d.retryError?.possiblyPersisted === true));
        } else {
          this.#onFailure(d, err, partition);
        }
      }
    }
    this.#left();
  }

  #errorText(code: number): string {
    let text = this.#errorTexts.get(code);
    if (text === undefined) {
      text = this.#native?.errorString(code) ?? `librdkafka error ${code}`;
      this.#errorTexts.set(code, text);
    }
    return text;
  }

  /**
   * Messages left the window (reported, failed, or a retry came due): hands waiting messages
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

  #onFailure(d: Outbound, err: NativeError, partition: number): void {
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

  /** The library's backoff (errors/backoff.ts, at most 30 s); retried messages go through the waiting FIFO. */
  #scheduleRetry(d: Outbound): void {
    const wait = backoffDelay(d.attempts, this.#opts.retryBackoffMs, 30_000);
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

  #onEventError(err: { code: number; fatal?: boolean; message: string }): void {
    // The addon reports the underlying code of a fatal error with fatal: true; a code of -1 (no
    // code) is recovered from the text.
    const message = String(err.message ?? '');
    this.#connectWatch?.(message, err.code);
    const fatal = err.fatal === true || /fatal/i.test(message);
    const code = typeof err.code === 'number' && err.code !== -1 ? err.code : this.#binding.errorCodeOf({ message });
    const error = fromNativeError({ message, code, ...(fatal ? { isFatal: true } : {}) }, 'producer error', { clientId: this.#opts.clientId });
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
    const native = this.#native;
    if (native === undefined || this.#state === 'closed') return 0;
    const deadline = Date.now() + timeoutMs;
    this.#flushBatch();
    while (this.#waiting.length !== this.#waitingHead && Date.now() < deadline) {
      this.#pumpWaiting();
      this.#flushBatch();
      if (this.#waiting.length === this.#waitingHead) break;
      await delay(5);
    }
    this.#flushBatch();
    const left = Math.max(0, deadline - Date.now());
    // rd_kafka_flush runs on a libuv work thread; the reports it collects reach #onReports after it.
    if (this.#inflight.size > 0) await native.flush(left).catch(() => undefined);
    // Let reports still on their way reach us (and due retries go out).
    while (this.inflightCount > 0 && Date.now() < deadline) {
      this.#flushBatch();
      await delay(2);
    }
    return this.inflightCount + this.waitingCount;
  }

  /**
   * Stops intake, flushes within the timeout, destroys the handle. Every message that was not
   * delivered is failed to its publisher and listed in the FlushIncompleteError this rejects with.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'connecting') await this.#connecting!.catch(() => undefined);
    const native = this.#native;
    this.#state = 'closing';
    let undelivered: UndeliveredMessage[] = [];
    if (native !== undefined) {
      await this.flush(timeoutMs);
      this.#flushBatch();
      undelivered = this.#failRemaining(timeoutMs);
      if (this.#pumpTimer !== undefined) clearInterval(this.#pumpTimer);
      this.#pumpTimer = undefined;
      this.#native = undefined;
      // No flush here: messages already failed must not be delivered after all (later reports are dropped).
      await native.close().catch(() => undefined);
    }
    this.#state = 'closed';
    if (undelivered.length > 0) throw new FlushIncompleteError(undelivered, timeoutMs);
  }

  /**
   * Fails every message close() could not deliver, in hand-over order, each with what is known
   * about it: in librdkafka's hands → GCK_KAFKA__TIMED_OUT, possibly written; awaiting a library retry
   * (its backoff or room) → its earlier delivery failure, which tells whether an attempt may have
   * been written; never handed to librdkafka → GCK_KAFKA__PURGE_QUEUE (librdkafka's code for a message
   * purged before it was sent), never written.
   */
  #failRemaining(timeoutMs: number): UndeliveredMessage[] {
    // Detached first: a failed message's callback may call flush() or send(), which must not see them.
    const inflight = [...this.#inflight];
    const retrying = [...this.#retrying];
    const waiting = this.#requeue.concat(this.#waiting.slice(this.#waitingHead));
    this.#requeue = [];
    this.#inflight.clear();
    this.#retrying.clear();
    this.#waiting = [];
    this.#waitingHead = 0;
    this.#slots = [];
    this.#freeSlots = [];
    const out: UndeliveredMessage[] = [];
    for (const d of inflight) {
      d.slot = -1;
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

  /** Metadata round trip through this producer's connection (off the JS thread). */
  metadata(topic: string | undefined, timeoutMs: number): Promise<NativeMetadata> {
    const native = this.#native;
    if (native === undefined || this.#state !== 'ready') return Promise.reject(this.#stateError('metadata'));
    return native.metadata(topic === undefined ? { timeout: timeoutMs } : { topic, timeout: timeoutMs }).catch((err: Error) => {
      throw new ConnectionError(`metadata request failed: ${err.message}`, { cause: err, context: { topic } });
    });
  }
}

/** How close() names a message it could not deliver. */
function undelivered(d: Outbound): UndeliveredMessage {
  return { messageId: d.messageId, topic: d.topic, key: typeof d.key === 'string' ? d.key : d.key?.toString('hex') };
}
