import { StateError } from '../errors/base.js';
import { HEADERS } from '../message/headers.js';
import { GENERATED_ID_PREFIX } from '../message/outgoing.js';
import { DeliveryError, QueueFullTimeoutError } from '../errors/producer.js';
import { RD } from '../errors/librdkafka.js';
import type { NativeBatchProducer, NativeConfig } from '../native/types.js';
import { BatchPacker } from '../native/batch-producer.js';
import { Outbound, InflightList } from './outbound.js';
import { PackedChunk, PackedChunks } from './packed.js';
import { BATCH_MAX_BYTES, BATCH_MAX_MESSAGES, DEFAULT_MAX_IN_FLIGHT, PACKED_WINDOW_FACTOR, type EngineOptions } from './options.js';
import type { Detached, EngineState } from './types.js';

/**
 * The sending half of the producer engine: the in-flight window, the slot table, the micro-batch
 * and the waiting FIFO, and the backpressure they give (needsDrain / drain). ProducerEngine is this
 * class plus delivery outcomes (outcomes.ts) and the lifecycle (engine.ts); the hot path's state
 * lives here as fields of the one engine object, so sending and reporting read it directly.
 *
 * Hot path: send() packs the message into the current micro-batch (BatchPacker) and gives it an id
 * (a slot in `slots`); at the end of the tick (or when the batch is full) one produceBatch() call
 * enqueues the whole batch in C++. Delivery reports come back once per wake-up as typed arrays and
 * find their Outbound through the slot table: no per-message crossing, closure or event.
 */
export abstract class DeliveryWindow {
  protected readonly opts: EngineOptions;
  protected native: NativeBatchProducer | undefined = undefined;
  protected status: EngineState = 'idle';
  protected fatal: Error | undefined = undefined;
  /** Every message handed to librdkafka (or packed for the next produceBatch) and not yet reported. */
  protected readonly inflight = new InflightList();
  /**
   * Messages whose delivery failed and that wait for their library retry's backoff: out of
   * librdkafka's hands, but still ours and counted in the window until they are finally reported.
   */
  protected readonly retrying = new InflightList();
  /** Messages waiting for room in the local queue or the window (FIFO keeps per-key order). */
  #waiting: Outbound[] = [];
  #waitingHead = 0;
  /** Packed chunks in the FIFO (a chunk in #requeue during a pump is still in the FIFO's passed part): waitingCount counts their messages. */
  #waitingChunks = 0;
  /** Runs while messages wait: fails those past their deadline and retries a full queue. */
  #pumpTimer: NodeJS.Timeout | undefined;
  /** True while #pumpWaiting runs (it calls out to callbacks that may re-enter it). */
  #pumping = false;
  #drainWaiters: Array<() => void> = [];
  readonly #maxQueue: number;
  readonly #lowWater: number;
  /** Packed messages (no JS object each: PACKED_WINDOW_FACTOR × the window) that fill the window; drain() resumes at 3/4. */
  readonly #maxPacked: number;
  readonly #packedLow: number;
  /** The micro-batch being packed, and its messages in packing order. */
  readonly #packer = new BatchPacker(BATCH_MAX_MESSAGES, HEADERS.MESSAGE_ID, GENERATED_ID_PREFIX);
  #staged: Outbound[] = [];
  /** Messages a full local queue gave back (flushBatch), to go ahead of every waiting message. */
  #requeue: Outbound[] = [];
  #flushQueued = false;
  readonly #flushTask = (): void => {
    this.#flushQueued = false;
    this.flushBatch();
  };
  /**
   * Producer#send() calls running on this engine (it counts them; nested when a diagnostics
   * subscriber sends from inside one). While one runs, failures go to failedInSend() (fail()): a
   * send() callback is deferred, never run inside a send() call. Per engine, not a global: every
   * producer over this engine shares it, as they share its micro-batch (one send() may fail
   * messages other producers staged).
   */
  sendDepth = 0;
  /** id → in-flight message (the id travels as librdkafka's opaque); free ids are reused. */
  protected slots: Array<Outbound | undefined> = [];
  #freeSlots: number[] = [];
  /** Packed chunks (sendPacked) with messages in flight. */
  protected packed = new PackedChunks();

  constructor(global: NativeConfig, opts: EngineOptions) {
    this.opts = opts;
    const q = Number(global['queue.buffering.max.messages'] ?? 100_000);
    const queue = Number.isFinite(q) && q > 0 ? q : 100_000;
    this.#maxQueue = Math.min(queue, opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    // drain() resumes a paused publisher at 3/4 of the window, so it publishes in bursts instead
    // of one message per delivery report.
    this.#lowWater = Math.floor((this.#maxQueue * 3) / 4);
    this.#maxPacked = Math.min(queue, this.#maxQueue * PACKED_WINDOW_FACTOR);
    this.#packedLow = Math.floor((this.#maxPacked * 3) / 4);
  }

  /** Messages handed to librdkafka and not yet acknowledged or failed (including those awaiting a library retry). */
  get inflightCount(): number {
    return this.inflight.size + this.retrying.size + this.packed.inflight;
  }

  /** Messages waiting for room in librdkafka's local queue (a waiting packed chunk counts its unsent messages). */
  get waitingCount(): number {
    let n = this.#waiting.length - this.#waitingHead;
    if (this.#waitingChunks > 0) for (let i = this.#waitingHead; i < this.#waiting.length; i++) if (this.#waiting[i] instanceof PackedChunk) n += (this.#waiting[i] as PackedChunk).unsent - 1;
    return n;
  }

  /** True while publishers should slow down: messages wait for room, or the in-flight window is full. */
  get needsDrain(): boolean {
    return this.#waiting.length - this.#waitingHead > 0 || this.inflight.size + this.retrying.size >= this.#maxQueue || this.packed.inflight >= this.#maxPacked;
  }

  /** Resolves when no message waits for queue room (immediately when none does). */
  drain(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
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
    if (this.status !== 'ready') {
      this.fail(d, this.stateError('publish'));
      return;
    }
    if (this.#waiting.length !== this.#waitingHead) {
      // Others already wait for room: queue behind them so per-key order holds.
      this.enqueueWaiting(d);
      return;
    }
    if (!batched && this.inflight.size + this.retrying.size >= this.#maxQueue) this.enqueueWaiting(d);
    else this.#stage(d);
  }

  /** Reports a failure to `d`: through failedInSend() while a Producer#send() runs (sendDepth). */
  protected fail(d: Outbound, error: Error): void {
    if (this.sendDepth === 0) d.failed(error);
    else d.failedInSend(error);
  }

  /** What an operation fails with unless the engine is ready: the fatal error, or a StateError. */
  protected stateError(op: string): Error {
    if (this.fatal) return this.fatal;
    return new StateError('Producer', op, this.status, ['ready']);
  }

  /**
   * Packs a message into the current micro-batch (it is in flight from here on: it counts in the
   * window). The batch goes to librdkafka at the end of the tick, or now when it is full.
   */
  #stage(d: Outbound): void {
    d.attempts++;
    const id = this.#freeSlots.length > 0 ? this.#freeSlots.pop()! : this.slots.length;
    this.slots[id] = d;
    d.slot = id;
    this.inflight.add(d);
    const p = this.#packer;
    p.add(id, d.topic, d.partition, d.key, d.value, d.headers, d.timestamp, d.messageId, d.idSuffix);
    this.#staged.push(d);
    if (p.count >= BATCH_MAX_MESSAGES || p.off >= BATCH_MAX_BYTES) this.flushBatch();
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushTask);
    }
  }

  /**
   * Sends a packed chunk (producer/message-batch.ts) like publishBatch()'s messages: past a full
   * in-flight window; only waiting messages or a full local queue hold it back (it waits in the
   * FIFO as one entry). Each message hears its outcome through the chunk's sink, once. Never throws.
   */
  sendPacked(c: PackedChunk, op: string): void {
    if (this.status !== 'ready') c.failed(this.stateError(op));
    else if (this.#waiting.length !== this.#waitingHead) this.enqueueWaiting(c);
    else this.#stagePacked(c);
  }

  /** Hands a chunk's unsent messages to librdkafka after the micro-batch staged before it; the rest of a full queue waits at the FIFO's head. */
  #stagePacked(c: PackedChunk): void {
    this.flushBatch();
    if (this.#requeue.length === 0 && !this.#pumping && this.#waiting.length !== this.#waitingHead) {
      this.enqueueWaiting(c); // the micro-batch before it went back to the FIFO (a full queue): behind it
      return;
    }
    if (this.#requeue.length === 0) {
      try {
        this.packed.handOver(c, this.native);
      } catch (e) {
        // The addon refused the table (a bug, or the handle is gone): the unsent messages fail, none was sent.
        c.failUnsentWith(RD.ERR__STATE, e instanceof Error ? e.message : String(e), 1);
        this.left();
        return;
      }
      if (c.cursor === c.count) return;
    }
    // librdkafka's queue is full (now, or for the micro-batch before it): the rest waits at the head,
    // its deadline counted from when it first waited (as a single message's).
    if (c.deadline === 0) c.deadline = Date.now() + this.opts.enqueueTimeoutMs;
    this.#requeue.push(c);
    this.#waitingChunks++;
    if (!this.#pumping) this.#mergeRequeue();
  }

  protected freeSlot(d: Outbound): void {
    if (d.slot >= 0 && this.slots[d.slot] === d) {
      this.slots[d.slot] = undefined;
      this.#freeSlots.push(d.slot);
    }
    d.slot = -1;
  }

  /**
   * Hands the packed micro-batch to librdkafka (one crossing). Messages its full local queue did
   * not take go back to the head of the waiting FIFO, in order, ahead of later messages.
   */
  protected flushBatch(): void {
    const p = this.#packer;
    const count = p.count;
    if (count === 0) return;
    const staged = this.#staged;
    this.#staged = [];
    let n = 0;
    let thrown: unknown;
    const native = this.native;
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
        if (!this.inflight.delete(d)) continue;
        this.freeSlot(d);
        this.fail(d, new DeliveryError(d.topic, d.partition ?? -1, { code: RD.ERR__STATE, message }, d.messageId, d.attempts, d.retryError?.possiblyPersisted === true));
      }
      this.left();
      return;
    }
    if (!this.opts.retryDelivered) for (let i = 0; i < n; i++) this.#release(staged[i]!);
    if (n < count) {
      // librdkafka's queue is full: the rest waits (before anything that waits already).
      const back: Outbound[] = [];
      for (let i = n; i < count; i++) {
        const d = staged[i]!;
        if (!this.inflight.delete(d)) continue; // failed meanwhile (close)
        this.freeSlot(d);
        d.attempts--;
        if (d.deadline === 0) d.deadline = Date.now() + this.opts.enqueueTimeoutMs;
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

  protected enqueueWaiting(d: Outbound): void {
    if (d.deadline === 0) d.deadline = Date.now() + this.opts.enqueueTimeoutMs;
    if (d instanceof PackedChunk) this.#waitingChunks++;
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
  protected pumpWaiting(): void {
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
          if (d instanceof PackedChunk) this.#waitingChunks--;
          // A retried message was handed to librdkafka before: its delivery failure tells whether
          // it may have been written; QueueFullTimeoutError promises it never was.
          if (d instanceof PackedChunk) d.failUnsent((k) => new QueueFullTimeoutError(d.topicAt(k), this.opts.enqueueTimeoutMs, d.idAt(k)));
          else this.fail(d, d.retryError ?? new QueueFullTimeoutError(d.topic, this.opts.enqueueTimeoutMs, d.messageId));
          continue;
        }
        if (d instanceof PackedChunk ? this.packed.inflight >= this.#maxPacked : this.inflight.size + this.retrying.size >= this.#maxQueue) break;
        i++;
        if (!(d instanceof PackedChunk)) this.#stage(d);
        else {
          this.#waitingChunks--;
          this.#stagePacked(d);
        }
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
      if (this.#waiting.length !== this.#waitingHead) this.pumpWaiting();
      if (this.#waiting.length === this.#waitingHead) {
        clearInterval(this.#pumpTimer);
        this.#pumpTimer = undefined;
      }
    }, this.opts.pollIntervalMs);
  }

  /** Stops the waiting FIFO's timer (close, once nothing waits any more). */
  protected stopPump(): void {
    if (this.#pumpTimer !== undefined) clearInterval(this.#pumpTimer);
    this.#pumpTimer = undefined;
  }

  /**
   * Messages left the window (reported, failed, or a retry came due): hands waiting messages
   * over and wakes drain() waiters once the window has drained. Every path that lowers the count
   * ends here or in pumpWaiting (close() wakes every waiter itself).
   */
  protected left(): void {
    if (this.#waiting.length !== this.#waitingHead) this.pumpWaiting();
    else this.#wakeIfDrained();
  }

  /** Wakes drain() waiters when nothing waits and the window has drained to its low-water mark. */
  #wakeIfDrained(): void {
    if (this.#drainWaiters.length > 0 && this.#waiting.length === this.#waitingHead && this.inflight.size + this.retrying.size <= this.#lowWater && this.packed.inflight <= this.#packedLow) this.wakeDrainers();
  }

  protected wakeDrainers(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Takes every message out of the window and the FIFO (close): the lists come back in hand-over
   * order and the engine keeps none of them, so a failed message's callback that calls flush() or
   * send() does not see them.
   */
  protected detachAll(): Detached {
    const inflight = [...this.inflight];
    const retrying = [...this.retrying];
    const packed = this.packed.detach();
    const waiting = this.#requeue.concat(this.#waiting.slice(this.#waitingHead));
    this.#requeue = [];
    this.inflight.clear();
    this.retrying.clear();
    this.#waiting = [];
    this.#waitingHead = 0;
    this.#waitingChunks = 0;
    this.slots = [];
    this.#freeSlots = [];
    return { inflight, retrying, packed, waiting };
  }
}
