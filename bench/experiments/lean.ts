/**
 * Proposed shapes for src/producer's hot path, measured beside the library (throwaway).
 *
 * The gap analysis (producer-gap.ts) shows the library's cost is mostly GC: per in-flight message
 * it keeps ~10 heap objects alive (OutgoingMessage's UUID string, PreparedMessage, headers array +
 * header object, Delivery, PromiseSink, the Promise, its two resolving functions, the .then()
 * promise and reaction, a Set entry) for as long as the message sits in librdkafka's queue —
 * up to queue.buffering.max.messages (100k) messages, i.e. ~1 s at full speed — so they all
 * survive the young generation, get copied and promoted, and die in old space. The raw loop
 * keeps nothing alive (its opaque is a small integer).
 *
 * `lean` keeps the public API (publish → Promise<DeliveryResult>) and the engine's features
 * (retry needs the message: it is kept, as fields of one object) but retains ONE object per
 * in-flight message besides the Promise machinery:
 *   - Delivery carries the prepared fields and the resolve/reject functions itself (no
 *     PreparedMessage, no PromiseSink);
 *   - the headers array is built when produce() is called and not retained (it is rebuilt from
 *     messageId for a retry);
 *   - in-flight tracking is an intrusive doubly-linked list through the Delivery objects (O(1)
 *     add/remove, enumerable for close()), no Set hash table.
 * `lean-cheap-id` also replaces crypto.randomUUID() per message with a per-process random
 * UUID-shaped prefix + a counter (same 36-char format, unique per process).
 * `lean-callback` is the same engine with a callback instead of a Promise per message (an API
 * addition such as `publish(msg, callback)` / `send()`), to price the Promise itself.
 */
import { randomUUID } from 'node:crypto';
import type { NativeHeaders, NativeMetadata } from '../../src/native/index.js';
import { cpuWindow } from '../lib/cpu.js';
import { OutstandingGate } from '../lib/gate.js';
import { producerProperties, rdkafka, waitForLeaders } from '../lib/kafka.js';
import type { BenchContext, ClientRunner, RunInput, RunMeasurement } from '../lib/types.js';
import { deferred, keySet } from '../scenarios/producer.js';

const ERR_QUEUE_FULL = -184;

export interface LeanFlags {
  readonly id: 'uuid' | 'counter';
  readonly promise: boolean;
  readonly pollMs: number;
}

type RawProducer = InstanceType<ReturnType<typeof rdkafka>['Producer']>;
type Done = (err: Error | null, result: unknown) => void;

class Delivery {
  prev: Delivery | null = null;
  next: Delivery | null = null;
  attempts = 0;
  deadline = 0;
  constructor(
    readonly topic: string,
    readonly partition: number | null,
    readonly value: Buffer | null,
    readonly key: string | Buffer | null,
    readonly messageId: string,
    readonly resolve: ((r: unknown) => void) | null,
    readonly reject: ((e: Error) => void) | null,
    readonly callback: Done | null,
  ) {}
}

/**
 * The builder users call (a copy of OutgoingMessage, with the id generator switchable): the
 * lean engine copies its fields out, so it dies young.
 */
export class LeanMessage {
  readonly topic: string;
  value: Buffer | null;
  key: string | Buffer | null = null;
  id: string;
  partition: number | undefined = undefined;
  timestamp: number | undefined = undefined;
  headers: Array<[string, string | Buffer]> | undefined = undefined;
  metadata: Record<string, string> | undefined = undefined;
  constructor(topic: string, value: Buffer | null, id: string) {
    if (typeof topic !== 'string' || topic.length === 0) throw new Error('bad topic');
    this.topic = topic;
    this.value = value;
    this.id = id;
  }
  withKey(key: string | Buffer | null): this {
    if (key !== null && typeof key !== 'string' && !Buffer.isBuffer(key)) throw new Error('bad key');
    this.key = key;
    return this;
  }
}

const ID_PREFIX = randomUUID().slice(0, 24);
let idSeq = 0;
/** UUID-shaped, unique per process: 74 random bits of prefix + a 48-bit counter. */
function cheapId(): string {
  return ID_PREFIX + (idSeq++).toString(16).padStart(12, '0');
}

class LeanProducer {
  readonly #native: RawProducer;
  readonly #f: LeanFlags;
  #head: Delivery | null = null;
  #size = 0;
  #waiting: Delivery[] = [];
  #waitingHead = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #drainWaiters: Array<() => void> = [];

  constructor(native: RawProducer, flags: LeanFlags) {
    this.#native = native;
    this.#f = flags;
    native.on('delivery-report', (err, report) => this.#onReport(err as unknown as Error | null, report));
  }

  get needsDrain(): boolean {
    return this.#waiting.length !== this.#waitingHead;
  }

  drain(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  newMessage(topic: string, value: Buffer): LeanMessage {
    return new LeanMessage(topic, value, this.#f.id === 'uuid' ? randomUUID() : cheapId());
  }

  publish(m: LeanMessage): Promise<unknown> {
    if (!(m instanceof LeanMessage)) return Promise.reject(new Error('not a message'));
    return new Promise((resolve, reject) =>
      this.#send(new Delivery(m.topic, m.partition ?? null, m.value, m.key, m.id, resolve, reject, null)),
    );
  }

  send(m: LeanMessage, cb: Done): void {
    this.#send(new Delivery(m.topic, m.partition ?? null, m.value, m.key, m.id, null, null, cb));
  }

  #send(d: Delivery): void {
    if (this.#waiting.length !== this.#waitingHead) this.#enqueueWaiting(d);
    else this.#produce(d);
  }

  #link(d: Delivery): void {
    d.next = this.#head;
    if (this.#head !== null) this.#head.prev = d;
    this.#head = d;
    this.#size++;
  }

  #unlink(d: Delivery): boolean {
    if (d.prev === null && this.#head !== d) return false; // not in flight
    if (d.prev !== null) d.prev.next = d.next;
    else this.#head = d.next;
    if (d.next !== null) d.next.prev = d.prev;
    d.prev = d.next = null;
    this.#size--;
    return true;
  }

  #tryProduce(d: Delivery): number {
    try {
      this.#native.produce(d.topic, d.partition, d.value, d.key, null, d, [{ message_id: d.messageId }] as NativeHeaders as never);
      return 0;
    } catch (e) {
      return (e as { code?: number }).code ?? -1;
    }
  }

  #produce(d: Delivery): void {
    d.attempts++;
    const code = this.#tryProduce(d);
    if (code === ERR_QUEUE_FULL) {
      d.attempts--;
      this.#enqueueWaiting(d);
      return;
    }
    if (code !== 0) {
      this.#fail(d, new Error(`produce failed: ${code}`));
      return;
    }
    this.#link(d);
    if (this.#pollTimer === undefined) this.#startPolling();
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
        this.#fail(d, new Error('queue full timeout'));
        continue;
      }
      d.attempts++;
      const code = this.#tryProduce(d);
      if (code === ERR_QUEUE_FULL) {
        d.attempts--;
        break;
      }
      i++;
      if (code !== 0) this.#fail(d, new Error(`produce failed: ${code}`));
      else this.#link(d);
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

  #startPolling(): void {
    const native = this.#native;
    this.#pollTimer = setInterval(() => {
      native.poll();
      if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
      if (this.#size === 0 && this.#waiting.length === this.#waitingHead) {
        clearInterval(this.#pollTimer);
        this.#pollTimer = undefined;
      }
    }, this.#f.pollMs);
  }

  #fail(d: Delivery, err: Error): void {
    if (d.reject !== null) d.reject(err);
    else d.callback!(err, undefined);
  }

  #onReport(err: Error | null, report: { topic: string; partition: number; offset: number; timestamp?: number; opaque?: unknown }): void {
    const d = report.opaque as Delivery | undefined;
    if (d === undefined || !this.#unlink(d)) return;
    if (err) this.#fail(d, err);
    else {
      const result = { topic: report.topic, partition: report.partition, offset: report.offset, timestamp: report.timestamp, messageId: d.messageId };
      if (d.resolve !== null) d.resolve(result);
      else d.callback!(null, result);
    }
    if (this.#waiting.length !== this.#waitingHead) this.#pumpWaiting();
  }

  stop(): void {
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }
}

export function leanRunner(ctx: BenchContext, value: Buffer, client: string, flags: LeanFlags, maxOutstanding = Number.POSITIVE_INFINITY): ClientRunner {
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
      const producer = new LeanProducer(native, flags);
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
        const cb: Done = (err) => (err ? onErr() : onOk());
        const cpu = cpuWindow();
        const t0 = performance.now();
        for (let i = 0; i < messages; i++) {
          if (producer.needsDrain) {
            drains++;
            await producer.drain();
          }
          if (gate.full) await gate.wait();
          gate.sent();
          const m = producer.newMessage(topic, value);
          if (keys !== null) m.withKey(keys[i % keys.length]!);
          if (flags.promise) producer.publish(m).then(onOk, onErr);
          else producer.send(m, cb);
        }
        await done.promise;
        const cpuUse = cpu.stop(messages);
        return { messages, bytes: messages * value.length, elapsedMs: t1 - t0, errors, extra: { ...cpuUse, peakOutstanding: gate.peak, drainWaits: drains } };
      } finally {
        producer.stop();
        await new Promise<void>((resolve) => native.disconnect(10_000, () => resolve()));
        native.removeAllListeners();
      }
    },
  };
}
