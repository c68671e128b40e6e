import { InvalidArgumentError, StateError } from '../errors/base.js';
import type { DeliveryResult } from '../delivery/index.js';
import type { OutgoingMessage } from '../message/outgoing.js';
import type { NativeTopicPartitionOffset } from '../native/types.js';
import type { Producer } from './producer.js';
import type { BatchSummary, PublishBatchOptions, PublishOutcome } from './types.js';

/** Where a transaction is: open while its callback runs, then committing, committed or aborted. */
export type TransactionState = 'open' | 'committing' | 'committed' | 'aborted';

/** Input offsets committed with a transaction: `offset` is the NEXT offset to read (last processed + 1). */
export type TransactionOffset = NativeTopicPartitionOffset;

const noop = (): void => undefined;

/**
 * The handle a transaction's callback gets (`TransactionalProducer.transaction(async (tx) => …)`):
 * everything published through it is written atomically with the offsets given to sendOffsets(),
 * when the callback resolves, or not at all. Once the callback has settled the handle is dead:
 * publish() then rejects with a GCK_STATE error (publishing outside a transaction), so a message can
 * never slip into the next transaction or out of any.
 */
export class Transaction {
  readonly #producer: Producer;
  /** 1, 2, … per producer: tells transactions apart in logs and errors. */
  readonly sequence: number;
  #state: TransactionState = 'open';
  /** One settled-never-rejecting promise per publish: the commit waits for all of them. */
  #tracked: Array<Promise<unknown>> = [];
  #failure: Error | undefined;
  readonly #offsets = new Map<string, TransactionOffset>();
  #groupMetadata: Uint8Array | undefined;

  /** @internal Built by TransactionalProducer only. */
  constructor(producer: Producer, sequence: number) {
    this.#producer = producer;
    this.sequence = sequence;
  }

  get state(): TransactionState {
    return this.#state;
  }

  /** True while the callback runs: publish() and sendOffsets() are accepted. */
  get active(): boolean {
    return this.#state === 'open';
  }

  #closed(op: string): StateError {
    return new StateError('Transaction', op, this.#state, ['open']);
  }

  /**
   * Publishes inside the transaction. Resolves once the broker wrote the message (still invisible
   * to read_committed readers until the commit). The commit waits for every publish, awaited or
   * not; a failed one aborts the transaction (GCK_TRANSACTION_ABORTED), so an ignored promise
   * never loses a message silently (and never becomes an unhandled rejection).
   */
  publish(message: OutgoingMessage): Promise<DeliveryResult> {
    if (this.#state !== 'open') return Promise.reject(this.#closed('publish'));
    const p = this.#producer.publish(message);
    this.#tracked.push(p.then(noop, (e: Error) => this.#failed(e)));
    return p;
  }

  /**
   * Publishes every message inside the transaction; one outcome per message, in input order (or,
   * with `{ results: 'failures' }`, a BatchSummary, as Producer#publishBatch). A failed message
   * aborts the transaction like a failed publish().
   */
  publishBatch(messages: readonly OutgoingMessage[], options?: PublishBatchOptions & { readonly results?: 'all' }): Promise<PublishOutcome[]>;
  publishBatch(messages: readonly OutgoingMessage[], options: PublishBatchOptions & { readonly results: 'failures' }): Promise<BatchSummary>;
  publishBatch(messages: readonly OutgoingMessage[], options?: PublishBatchOptions): Promise<PublishOutcome[] | BatchSummary>;
  publishBatch(messages: readonly OutgoingMessage[], options?: PublishBatchOptions): Promise<PublishOutcome[] | BatchSummary> {
    if (this.#state !== 'open') return Promise.reject(this.#closed('publishBatch'));
    const p = this.#producer.publishBatch(messages, options);
    this.#tracked.push(
      p.then(
        (out) => {
          if (Array.isArray(out)) {
            for (const o of out) if (!o.ok) return this.#failed(o.error);
          } else if (out.failed.length > 0) {
            return this.#failed(out.failed[0]!.error);
          }
          return undefined;
        },
        (e: Error) => this.#failed(e),
      ),
    );
    return p;
  }

  /**
   * Commits consumer offsets with the transaction (consume-transform-produce): `offsets` are the
   * next offsets to read per input partition, `groupMetadata` the consumer's
   * (NativeBatchConsumer.groupMetadata()). Recorded now and sent once, right before the commit
   * (librdkafka allows one transactional call at a time); a later call for the same partition
   * replaces its offset. Every call of one transaction must come from the same consumer.
   */
  sendOffsets(offsets: readonly TransactionOffset[], groupMetadata: Uint8Array): void {
    if (this.#state !== 'open') throw this.#closed('sendOffsets');
    if (!(groupMetadata instanceof Uint8Array) || groupMetadata.byteLength === 0) {
      throw new InvalidArgumentError('Transaction.sendOffsets(offsets, groupMetadata)', 'groupMetadata must be the consumer group metadata Buffer (consumer.groupMetadata()); the consumer must be in a group');
    }
    if (this.#groupMetadata !== undefined && !Buffer.from(this.#groupMetadata).equals(Buffer.from(groupMetadata))) {
      throw new InvalidArgumentError('Transaction.sendOffsets(offsets, groupMetadata)', 'every sendOffsets() of one transaction must name the same consumer group member and generation');
    }
    if (!Array.isArray(offsets)) throw new InvalidArgumentError('Transaction.sendOffsets(offsets, groupMetadata)', 'offsets must be an array of { topic, partition, offset }');
    for (const o of offsets) {
      if (o === null || typeof o !== 'object' || typeof o.topic !== 'string' || o.topic.length === 0 || !Number.isInteger(o.partition) || o.partition < 0 || !Number.isInteger(o.offset) || o.offset < 0) {
        throw new InvalidArgumentError('Transaction.sendOffsets(offsets, groupMetadata)', `bad offset ${JSON.stringify(o)}: expected { topic: non-empty string, partition: integer >= 0, offset: integer >= 0 (the next offset to read) }`);
      }
    }
    this.#groupMetadata = groupMetadata;
    for (const o of offsets) this.#offsets.set(`${o.partition}\u0000${o.topic}`, { topic: o.topic, partition: o.partition, offset: o.offset });
  }

  #failed(e: Error): void {
    this.#failure ??= e;
  }

  /** @internal The callback settled: no more publishes. */
  end(next: 'committing' | 'aborted'): void {
    if (this.#state === 'open' || this.#state === 'committing') this.#state = next;
  }

  /** @internal The transaction is over. */
  finish(state: 'committed' | 'aborted'): void {
    this.#state = state;
  }

  /** @internal Waits for every publish's outcome; the first failure, if any. */
  async settled(): Promise<Error | undefined> {
    // A publish's own callbacks cannot add more (the state is no longer open), so one pass is enough.
    const tracked = this.#tracked;
    this.#tracked = [];
    await Promise.all(tracked);
    return this.#failure;
  }

  /** @internal What sendOffsets() recorded (undefined: no offsets in this transaction). */
  offsets(): { offsets: TransactionOffset[]; groupMetadata: Uint8Array } | undefined {
    if (this.#groupMetadata === undefined || this.#offsets.size === 0) return undefined;
    return { offsets: [...this.#offsets.values()], groupMetadata: this.#groupMetadata };
  }
}
