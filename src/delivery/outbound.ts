import type { DeliveryError } from '../errors/producer.js';
import type { NativeHeaders } from '../native/types.js';
import type { DeliveryResult } from './types.js';

/**
 * One message on its way to the broker, and the only object the library keeps for it while it is
 * in flight: the produce() arguments, the delivery state (attempts, deadline, in-flight list links)
 * and, in subclasses, whoever waits for the outcome (a publish promise, a batch slot, the
 * dead-letter writer). Its slot id travels as librdkafka's opaque, so a delivery report finds its
 * caller with one array read. One object instead of message + tracking + sink (+ telemetry) objects:
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
  /** Its id in the engine's slot table while in flight (librdkafka's opaque); -1 otherwise. */
  slot = -1;
  /**
   * Set once a delivery failed and the library retries it (idempotence off): the failure to report
   * if the retry never reaches librdkafka. Once a failure was possibly persisted, it is kept.
   */
  retryError: DeliveryError | undefined = undefined;
  /**
   * When `messageId` is a library-generated id: its part after the common prefix
   * (message/outgoing.ts generatedIdSuffix), from which the packer writes the id's bytes.
   */
  idSuffix: string | undefined = undefined;
  /**
   * False when the caller hears only how many were delivered (publishBatch with `results:
   * 'failures'`): the engine then calls deliveredAt() instead of building a DeliveryResult, one
   * object less per message that would live until the whole batch settled. Set only by such
   * subclasses, in their constructor.
   */
  wantsResult = true;
  constructor(
    readonly topic: string,
    readonly partition: number | null,
    /** Released (null) once librdkafka has its copy and the message can never be produced again. */
    public value: Buffer | null,
    readonly key: Buffer | string | null,
    readonly timestamp: number | null,
    /** Mutable until the message is handed to the engine (tracing appends its headers). */
    public headers: NativeHeaders | undefined,
    /** Sent as the `message_id` header, ahead of `headers` (none when undefined). */
    readonly messageId: string | undefined,
  ) {}
  /** The broker acknowledged the message: `result` is what the caller gets (built once by the engine). */
  abstract delivered(result: DeliveryResult): void;
  /**
   * The broker acknowledged the message, reported without a result object (`wantsResult` false):
   * a subclass builds one only if someone needs it. `timestamp` undefined when unknown.
   */
  deliveredAt(partition: number, offset: number, timestamp: number | undefined): void {
    this.delivered({ topic: this.topic, partition, offset, timestamp, messageId: this.messageId });
  }
  abstract failed(error: Error): void;
  /**
   * Like failed(), reported while a Producer#send() runs on the engine (DeliveryWindow.sendDepth):
   * a send() callback is deferred then (Send), so it never runs inside a send() call; everyone
   * else reports at once.
   */
  failedInSend(error: Error): void {
    this.failed(error);
  }
  /** A library-level retry of this message is scheduled: counted by messages that count (publish). */
  retrying(): void {}
}

/** Messages handed to librdkafka and not yet reported, as an intrusive doubly-linked list. */
export class InflightList {
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

