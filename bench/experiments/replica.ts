/**
 * A faithful copy of the library's publish hot path (src/producer/producer.ts `publish` +
 * `#prepare`, src/producer/engine.ts `send` / `#produce` / poll timer / `#onReport` /
 * `#pumpWaiting`), over a raw node-rdkafka Producer with the library's exact properties, with
 * switches that turn one cost factor off at a time. Throwaway: it exists to measure where the
 * gap between `gocoffee` and `node-rdkafka` goes without editing src/.
 *
 * With every switch at its library value (`LIBRARY_FLAGS`) it must run like the real library
 * (the `gocoffee` client is measured beside it to check that).
 */
import { randomUUID } from 'node:crypto';
import { newMessage, OutgoingMessage } from '../../src/producer/index.js';
import type { NativeHeaders, NativeMetadata } from '../../src/native/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { OutstandingGate } from '../lib/gate.js';
import { producerProperties, rdkafka, waitForLeaders } from '../lib/kafka.js';
import type { BenchContext, ClientRunner, RunInput, RunMeasurement } from '../lib/types.js';
import { deferred, keySet } from '../scenarios/producer.js';

const ERR_QUEUE_FULL = -184;

export interface ReplicaFlags {
  /** message_id header: a fresh UUID per message (library), a constant string, or no header. */
  readonly header: 'uuid' | 'fixed' | 'none';
  /**
   * Generate a randomUUID per message even when the header does not carry it. With `objects` on
   * the UUID is always generated (OutgoingMessage's constructor does it), as in the library.
   */
  readonly uuid: boolean;
  /** A Promise per publish, consumed with .then(onOk, onErr) (library); else a plain callback. */
  readonly promise: boolean;
  /** In-flight Set add/delete per message (library); else a counter. */
  readonly set: boolean;
  /**
   * The per-message objects: OutgoingMessage (newMessage + withKey validation), PreparedMessage,
   * headers array, Delivery, PromiseSink, DeliveryResult (library). Off: topic/value/key are passed
   * straight to produce(), the Delivery object stays (it is the opaque).
   */
  readonly objects: boolean;
  /** Poll interval while messages are in flight (library default 5 ms). */
  readonly pollMs: number;
  /** Try to pump the waiting FIFO after every delivery report (library) or once per poll tick. */
  readonly pumpPerReport: boolean;
}

export const LIBRARY_FLAGS: ReplicaFlags = {
  header: 'uuid',
  uuid: true,
  promise: true,
  set: true,
  objects: true,
  pollMs: 5,
  pumpPerReport: true,
};

interface Prepared {
  readonly topic: string;
  readonly partition: number | null;
  readonly value: Buffer | null;
  readonly key: Buffer | string | null;
  readonly timestamp: number | null;
  readonly headers: NativeHeaders | undefined;
  readonly messageId: string | undefined;
}

interface Sink {
  delivered(result: unknown, index: number): void;
  failed(error: Error, index: number): void;
}

class Delivery {
  attempts = 0;
  deadline = 0;
  constructor(
    readonly msg: Prepared,
    readonly sink: Sink,
    readonly index: number,
  ) {}
}

class PromiseSink implements Sink {
  constructor(
    readonly resolve: (r: unknown) => void,
    readonly reject: (e: Error) => void,
  ) {}
  delivered(result: unknown): void {
    this.resolve(result);
  }
  failed(error: Error): void {
    this.reject(error);
  }
}

type RawProducer = InstanceType<ReturnType<typeof rdkafka>['Producer']>;

/** The engine + Producer.publish copy. */
class ReplicaProducer {
  readonly #native: RawProducer;
  readonly #f: ReplicaFlags;
  readonly #inflight = new Set<Delivery>();
  #inflightCount = 0;
  #waiting: Delivery[] = [];
  #waitingHead = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #drainWaiters: Array<() => void> = [];
  queueFullThrows = 0;

  constructor(native: RawProducer, flags: ReplicaFlags) {
    this.#native = native;
    this.#f = flags;
    native.on('delivery-report', (err, report) => this.#onReport(err as unknown as Error | null, report));
  }

  get needsDrain(): boolean {
    return this.#waiting.length - this.#waitingHead > 0;
  }

  drain(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Producer.publish + #prepare (objects on). */
  publishMessage(m: OutgoingMessage): Promise<unknown> {
    let prepared: Prepared;
    try {
      prepared = this.#prepare(m);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return new Promise((resolve, reject) => {
      this.send(prepared, new PromiseSink(resolve, reject), 0);
    });
  }

  #prepare(m: OutgoingMessage): Prepared {
    if (!(m instanceof OutgoingMessage)) throw new Error('expected a message built with newMessage(topic, value)');
    const v = m.value;
    let value: Buffer | null;
    if (v === null || Buffer.isBuffer(v)) value = v;
    else if (typeof v === 'string') value = Buffer.from(v, 'utf8');
    else value = Buffer.from(JSON.stringify(v));
    let headers: NativeHeaders | undefined;
    if (this.#f.header === 'uuid') headers = [{ message_id: m.id }];
    else if (this.#f.header === 'fixed') headers = [{ message_id: 'fixed-message-id-0000000000000000' }];
    return { topic: m.topic, partition: m.partition ?? null, value, key: m.key, timestamp: m.timestamp ?? null, headers, messageId: m.id };
  }

  /** Objects off: the fields go straight in (no OutgoingMessage, headers built here). */
  prepareDirect(topic: string, value: Buffer, key: string | null): Prepared {
    const id = this.#f.uuid || this.#f.header === 'uuid' ? randomUUID() : undefined;
    let headers: NativeHeaders | undefined;
    if (this.#f.header === 'uuid') headers = [{ message_id: id! }];
    else if (this.#f.header === 'fixed') headers = [{ message_id: 'fixed-message-id-0000000000000000' }];
    return { topic, partition: null, value, key, timestamp: null, headers, messageId: id };
  }

  send(msg: Prepared, sink: Sink, index: number): void {
    const d = new Delivery(msg, sink, index);
    if (this.#waiting.length !== this.#waitingHead) {
      this.#enqueueWaiting(d);
      return;
    }
    this.#produce(d);
  }

  #produce(d: Delivery): boolean {
    const m = d.msg;
    d.attempts++;
    try {
      this.#native.produce(m.topic, m.partition, m.value, m.key, m.timestamp, d, m.headers as never);
    } catch (e) {
      d.attempts--;
      if ((e as { code?: number }).code === ERR_QUEUE_FULL) {
        this.queueFullThrows++;
        this.#enqueueWaiting(d);
        return false;
      }
      d.sink.failed(e as Error, d.index);
      return true;
    }
    if (this.#f.set) this.#inflight.add(d);
    else this.#inflightCount++;
    if (this.#pollTimer === undefined) this.#startPolling();
    return true;
  }

  #enqueueWaiting(d: Delivery): void {
    if (d.deadline === 0) d.deadline = Date.now() + 10_000;
    this.#waiting.push(d);
    if (this.#pollTimer === undefined) this.#startPolling();
  }

  #pumpWaiting(): void {
    const w = this.#waiting;
    let i = this.#waitingHead;
    const now = Date.now();
    while (i < w.length) {
      const d = w[i]!;
      if (now > d.deadline) {
        i++;
        d.sink.failed(new Error('queue full timeout'), d.index);
        continue;
      }
      d.attempts++;
      try {
        this.#native.produce(d.msg.topic, d.msg.partition, d.msg.value, d.msg.key, d.msg.timestamp, d, d.msg.headers as never);
      } catch (e) {
        d.attempts--;
        if ((e as { code?: number }).code === ERR_QUEUE_FULL) {
          this.queueFullThrows++;
          break;
        }
        i++;
        d.sink.failed(e as Error, d.index);
        continue;
      }
      if (this.#f.set) this.#inflight.add(d);
      else this.#inflightCount++;
      i++;
    }
    if (i === w.length) {
      this.#waiting = [];
      this.#waitingHead = 0;
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    } else if (i > 1024 && i * 2 > w.length) {
      this.#waiting = w.slice(i);
      this.#waitingHead = 0;
    } else {
      this.#waitingHead = i;
    }
  }

  get #inflightSize(): number {
    return this.#f.set ? this.#inflight.size : this.#inflightCount;
  }

  #startPolling(): void {
    const native = this.#native;
    this.#pollTimer = setInterval(() => {
      native.poll();
      if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
      if (this.#inflightSize === 0 && this.#waiting.length === this.#waitingHead) {
        clearInterval(this.#pollTimer);
        this.#pollTimer = undefined;
      }
    }, this.#f.pollMs);
  }

  #onReport(err: Error | null, report: { topic: string; partition: number; offset: number; timestamp?: number; opaque?: unknown }): void {
    const d = report.opaque as Delivery | undefined;
    if (d === undefined) return;
    if (this.#f.set) {
      if (!this.#inflight.delete(d)) return;
    } else {
      this.#inflightCount--;
    }
    if (err) {
      d.sink.failed(err, d.index);
    } else if (this.#f.objects) {
      d.sink.delivered(
        { topic: report.topic, partition: report.partition, offset: report.offset, timestamp: report.timestamp, messageId: d.msg.messageId },
        d.index,
      );
    } else {
      d.sink.delivered(undefined, d.index);
    }
    if (this.#f.pumpPerReport && this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
  }

  stop(): void {
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }
}

/** A client that runs the replica with `flags` in the same user loop as the `gocoffee` client. */
export function replicaRunner(ctx: BenchContext, value: Buffer, client: string, flags: ReplicaFlags, maxOutstanding = Number.POSITIVE_INFINITY): ClientRunner {
  const keys = keySet(ctx.options.keys);
  const Kafka = rdkafka();
  return {
    client,
    async run({ topic, messages }: RunInput): Promise<RunMeasurement> {
      const props = producerProperties(ctx.config);
      const native = new Kafka.Producer({ ...props.global } as never, { ...props.topic } as never);
      await new Promise<void>((resolve, reject) => native.connect({ timeout: 10_000 } as never, (err) => (err ? reject(err) : resolve())));
      const metadata = (t: string) =>
        new Promise<NativeMetadata>((resolve, reject) =>
          native.getMetadata({ topic: t, timeout: 5000 }, (err, md) => (err ? reject(err) : resolve(md as unknown as NativeMetadata))),
        );
      const producer = new ReplicaProducer(native, flags);
      try {
        await waitForLeaders(metadata, topic, ctx.options.partitions);
        const done = deferred();
        let settled = 0;
        let errors = 0;
        let drains = 0;
        let t1 = 0;
        const gate = new OutstandingGate(maxOutstanding);
        const onOk = (): void => {
          gate.settled();
          if (++settled === messages) {
            t1 = performance.now();
            done.resolve();
          }
        };
        const onErr = (): void => {
          errors++;
          onOk();
        };
        // Without the promise: one shared sink object (a callback), as cheap as it gets.
        const sink: Sink = { delivered: onOk, failed: onErr };
        const cpu = cpuWindow();
        const t0 = performance.now();
        for (let i = 0; i < messages; i++) {
          if (producer.needsDrain) {
            drains++;
            await producer.drain();
          }
          if (gate.full) await gate.wait();
          gate.sent();
          const key = keys === null ? null : keys[i % keys.length]!;
          if (flags.objects) {
            const m = newMessage(topic, value);
            if (key !== null) m.withKey(key);
            if (flags.promise) producer.publishMessage(m).then(onOk, onErr);
            else producer.send(producerPrepare(producer, m, flags), sink, i);
          } else {
            const prepared = producer.prepareDirect(topic, value, key);
            if (flags.promise) {
              new Promise((resolve, reject) => producer.send(prepared, new PromiseSink(resolve, reject), i)).then(onOk, onErr);
            } else {
              producer.send(prepared, sink, i);
            }
          }
        }
        await done.promise;
        const cpuUse = cpu.stop(messages);
        return {
          messages,
          bytes: messages * value.length,
          elapsedMs: t1 - t0,
          errors,
          extra: { ...cpuUse, peakOutstanding: gate.peak, drainWaits: drains, queueFullThrows: producer.queueFullThrows },
        };
      } finally {
        producer.stop();
        await new Promise<void>((resolve) => native.disconnect(10_000, () => resolve()));
        native.removeAllListeners();
      }
    },
  };
}

/** #prepare for the objects-on / promise-off variant (same work as publishMessage minus the Promise). */
function producerPrepare(_p: ReplicaProducer, m: OutgoingMessage, flags: ReplicaFlags): Prepared {
  let headers: NativeHeaders | undefined;
  if (flags.header === 'uuid') headers = [{ message_id: m.id }];
  else if (flags.header === 'fixed') headers = [{ message_id: 'fixed-message-id-0000000000000000' }];
  if (!(m instanceof OutgoingMessage)) throw new Error('not a message');
  const v = m.value as Buffer;
  return { topic: m.topic, partition: m.partition ?? null, value: v, key: m.key, timestamp: m.timestamp ?? null, headers, messageId: m.id };
}
