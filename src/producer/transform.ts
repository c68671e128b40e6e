import { setTimeout as delay } from 'node:timers/promises';
import { InvalidArgumentError, StateError, checkIntegerOption } from '../errors/base.js';
import { RD, fromNativeError } from '../errors/librdkafka.js';
import { toLibrdkafkaConfig } from '../config/index.js';
import { createBatchConsumerClient, type BatchConsumerControl, type NativePartitionResult } from '../native/batch-consumer.js';
import { connectClient } from '../native/lifecycle.js';
import type { NativeBatchConsumer, NativeError, NativeMessage, NativeTopicPartition, NativeTopicPartitionOffset } from '../native/types.js';
import type { OutgoingMessage } from '../message/outgoing.js';
import { TransactionalProducer } from './transaction.js';
import type { TransactionalDeps } from './transaction-engine.js';
import { TransactionFatalError, TransactionFencedError } from './transaction-errors.js';
import type { Transaction } from './transaction-scope.js';

/** What a transform makes of one input message: messages to publish (none is fine). */
export type TransformResult = OutgoingMessage | readonly OutgoingMessage[] | null | undefined;

export interface TransformOptions {
  /** The consumer group whose offsets the transactions commit. */
  readonly groupId: string;
  readonly inputTopics: readonly string[];
  /** Stable across restarts of this instance: a restart fences the crashed one and aborts its open transaction. */
  readonly transactionalId: string;
  /**
   * Runs once per input message and attempt, in offset order per partition; may be async.
   * Throwing aborts the batch's transaction (the batch is run again). `context.transaction`
   * numbers this producer's transactions (an aborted batch runs again under a new number).
   */
  readonly transform: (message: NativeMessage, context: TransformContext) => TransformResult | Promise<TransformResult>;
  /** Called after each committed transaction (progress, metrics). */
  readonly onCommit?: (info: { transaction: number; inputs: number; outputs: number; offsets: readonly NativeTopicPartitionOffset[] }) => void;
  /** At most this many input messages per transaction. Default 500. */
  readonly batchSize?: number;
  /** Static membership (group.instance.id): a restart within the session timeout takes its partitions back without a rebalance. */
  readonly groupInstanceId?: string;
  readonly transactionTimeoutMs?: number;
  /** Hears every failed attempt (the batch is retried) and the fatal error that stops the transform. */
  readonly onError?: (err: Error) => void;
}

/** What the transform callback knows besides the message. */
export interface TransformContext {
  /** The transaction the message is transformed in (1, 2, … per producer). */
  readonly transaction: number;
}

export type TransformState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** A fetch this large may have reached JS as several slabs (the batch consumer splits at 2 GiB). */
const SPLIT_BYTES = 1 << 30;

/** Why a batch's transaction was abandoned on purpose (a revoke arrived while it ran). */
class Revoked extends Error {}

/**
 * Exactly-once consume-transform-produce (docs/transactions.md "The transform helper"): a batch
 * consumer (read_committed, no auto-commit, no offset store) and a TransactionalProducer. Per
 * fetched batch: begin → transform each message (fetch order, i.e. offset order per partition) →
 * publish the outputs → send the next input offsets with the consumer's group metadata → commit.
 * The outputs and the input offsets become visible together or not at all.
 *
 * Fetching stops while a batch's transaction runs (so rebalance callbacks, which the batch
 * consumer serves with its fetches, wait for the commit); an aborted transaction (a failed
 * publish, a transform that threw, a commit that needed an abort) rewinds the batch's partitions
 * to its first offsets — what the group has committed — and the batch is fetched and run again.
 * Fenced or fatal: the transform stops ('failed'): a newer instance owns the transactional id.
 */
export class TransactionalTransform {
  readonly #deps: TransactionalDeps;
  readonly #opts: TransformOptions;
  readonly #batchSize: number;
  readonly #producer: TransactionalProducer;
  #consumer: NativeBatchConsumer | undefined;
  #state: TransformState = 'idle';
  #pending: NativeMessage[] = [];
  /** Key and value bytes in #pending. */
  #pendingBytes = 0;
  #running: Promise<void> | undefined;
  #revoked: NativeTopicPartition[] | undefined;
  #failure: Error | undefined;
  #attempt = 0;
  readonly #stats = { batches: 0, inputs: 0, outputs: 0, aborted: 0 };

  constructor(deps: TransactionalDeps, options: TransformOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('TransactionalTransform options', 'expected an object');
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) throw new InvalidArgumentError('TransactionalTransform option groupId', 'expected a non-empty string');
    if (!Array.isArray(options.inputTopics) || options.inputTopics.length === 0 || !options.inputTopics.every((t) => typeof t === 'string' && t.length > 0)) {
      throw new InvalidArgumentError('TransactionalTransform option inputTopics', 'expected a non-empty array of topic names');
    }
    if (typeof options.transform !== 'function') throw new InvalidArgumentError('TransactionalTransform option transform', 'expected a function (message) => OutgoingMessage[]');
    this.#batchSize = options.batchSize ?? 500;
    checkIntegerOption('TransactionalTransform option batchSize', this.#batchSize, 1, 100_000);
    this.#deps = deps;
    this.#opts = options;
    this.#producer = new TransactionalProducer(deps, {
      transactionalId: options.transactionalId,
      ...(options.transactionTimeoutMs !== undefined ? { transactionTimeoutMs: options.transactionTimeoutMs } : {}),
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
  }

  get state(): TransformState {
    return this.#state;
  }

  /** The error that stopped the transform (fenced, fatal, or a consumer failure). */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Transactions committed (batches), inputs and outputs in them, and transactions aborted. */
  get stats(): { batches: number; inputs: number; outputs: number; aborted: number } {
    return { ...this.#stats };
  }

  /** Registers the transactional id (aborting a crashed predecessor's transaction), then joins the group. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new StateError('TransactionalTransform', 'start', this.#state, ['idle']);
    this.#state = 'starting';
    try {
      // First: init_transactions aborts what a crashed instance left open, so the group's
      // committed offsets are final before this consumer reads them.
      await this.#producer.connect();
      const { config, binding } = this.#deps;
      const cfg = toLibrdkafkaConfig(config, 'consumer', this.#opts.groupInstanceId !== undefined ? { groupInstanceId: this.#opts.groupInstanceId } : {});
      const consumer = createBatchConsumerClient(
        binding,
        {
          ...cfg.global,
          'group.id': this.#opts.groupId,
          // Offsets are committed by the transactions only.
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          // Never read another producer's aborted or still open transaction.
          'isolation.level': 'read_committed',
          'gocoffee.batch': this.#batchSize,
          rebalance_cb: ((err: NativeError, tps: NativeTopicPartition[]) => this.#rebalance(err, tps)) as never,
        },
        cfg.topic,
      );
      this.#consumer = consumer;
      consumer.on('event.error', (e) => this.#consumerError(e));
      await connectClient(consumer, config.connectTimeoutMs, `Kafka cluster ${config.brokers.join(',')}`);
      if (this.#state !== 'starting') return; // stop() came meanwhile
      consumer.subscribe([...this.#opts.inputTopics]);
      this.#state = 'running';
      this.#fetch();
    } catch (e) {
      this.#state = 'failed';
      this.#failure = e as Error;
      await this.#shutdown();
      throw e;
    }
  }

  #fetch(): void {
    const consumer = this.#consumer;
    if (consumer === undefined || this.#state !== 'running') return;
    consumer.startFetching({
      batch: (msgs) => this.#onBatch(msgs),
      error: (e) => this.#consumerError(e),
      room: () => this.#batchSize,
    });
  }

  #onBatch(msgs: NativeMessage[]): void {
    if (this.#state !== 'running') return;
    for (const m of msgs) {
      this.#pending.push(m);
      this.#pendingBytes += (m.value?.length ?? 0) + (typeof m.key === 'string' ? m.key.length : (m.key?.length ?? 0));
    }
    // One batch at a time: fetching (and with it the rebalance callbacks) waits for its commit.
    this.#consumer?.stopFetching();
    this.#running ??= this.#loop().finally(() => (this.#running = undefined));
  }

  async #loop(): Promise<void> {
    while (this.#pending.length > 0 && this.#state === 'running') {
      const batch = this.#pending;
      // The batch consumer splits a fetch into several slabs only past 2 GiB; stopping in the
      // first slab's callback drops the others, whose offsets a later commit would pass.
      const maybeSplit = this.#pendingBytes > SPLIT_BYTES;
      this.#pending = [];
      this.#pendingBytes = 0;
      try {
        let sequence = 0;
        const done = await this.#producer.transaction((tx) => {
          sequence = tx.sequence;
          return this.#runBatch(tx, batch);
        });
        this.#stats.batches++;
        this.#stats.inputs += batch.length;
        this.#stats.outputs += done.outputs;
        this.#attempt = 0;
        if (maybeSplit) await this.#rewindToCommitted();
        try {
          this.#opts.onCommit?.({ transaction: sequence, inputs: batch.length, outputs: done.outputs, offsets: done.offsets });
        } catch (e) {
          // Committed: a throwing listener must not make the batch look aborted (and run again).
          this.#opts.onError?.(e as Error);
        }
      } catch (e) {
        this.#stats.aborted++;
        if (e instanceof TransactionFencedError || e instanceof TransactionFatalError) {
          await this.#fail(e);
          return;
        }
        if (!(e instanceof Revoked)) this.#opts.onError?.(e as Error);
        await this.#rewind(batch);
        // A transform that keeps failing (a poison message) is retried with a growing pause.
        if (!(e instanceof Revoked)) await delay(Math.min(5000, 50 * 2 ** Math.min(this.#attempt++, 7)));
      }
      this.#finishRevoke();
    }
    if (this.#state === 'running') this.#fetch();
  }

  async #runBatch(tx: Transaction, batch: NativeMessage[]): Promise<{ outputs: number; offsets: NativeTopicPartitionOffset[] }> {
    const next = new Map<string, NativeTopicPartitionOffset>();
    const context: TransformContext = { transaction: tx.sequence };
    let outputs = 0;
    for (const m of batch) {
      if (this.#revoked !== undefined) throw new Revoked('partitions revoked during the transaction');
      const out = await this.#opts.transform(m, context);
      const list = out === null || out === undefined ? [] : Array.isArray(out) ? (out as readonly OutgoingMessage[]) : [out as OutgoingMessage];
      for (const o of list) void tx.publish(o); // the commit waits for every one; a failure aborts
      outputs += list.length;
      next.set(`${m.partition}\u0000${m.topic}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    }
    if (this.#revoked !== undefined) throw new Revoked('partitions revoked during the transaction');
    const md = this.#consumer?.groupMetadata?.() ?? null;
    if (md === null) throw new StateError('TransactionalTransform', 'sendOffsets', 'not in the group', ['a group member']);
    const offsets = [...next.values()];
    tx.sendOffsets(offsets, md);
    return { outputs, offsets };
  }

  /**
   * After an abort: every partition of the batch goes back to its first offset in the batch,
   * i.e. what the last committed transaction left as the group's offset (each commit stores the
   * next offset after the previous batch). Prefetched messages of those partitions are dropped.
   */
  async #rewind(batch: NativeMessage[]): Promise<void> {
    const first = new Map<string, NativeTopicPartitionOffset>();
    for (const m of batch) {
      const k = `${m.partition}\u0000${m.topic}`;
      if (!first.has(k)) first.set(k, { topic: m.topic, partition: m.partition, offset: m.offset });
    }
    await this.#seek([...first.values()]);
  }

  /**
   * Seeks and waits until librdkafka applied it (fetching resumes only afterwards). A partition
   * that refuses (other than one no longer assigned) is retried; if it keeps refusing the
   * transform stops ('failed'): fetching on from where it stands would skip the aborted inputs.
   */
  async #seek(offsets: NativeTopicPartitionOffset[]): Promise<void> {
    const consumer = this.#consumer as (NativeBatchConsumer & Partial<BatchConsumerControl>) | undefined;
    if (consumer === undefined || offsets.length === 0) return;
    let todo = offsets;
    for (let attempt = 0; attempt < 5 && todo.length > 0; attempt++) {
      if (attempt > 0) await delay(100 * attempt);
      const results = await new Promise<NativePartitionResult[]>((resolve) => {
        if (consumer.seekPartitions === undefined) {
          resolve(todo.map((o) => ({ ...o, code: RD.ERR__STATE })));
          return;
        }
        consumer.seekPartitions(todo, this.#deps.config.connectTimeoutMs, (err, res) => resolve(err ? todo.map((o) => ({ ...o, code: err.code ?? RD.ERR__STATE })) : res));
      });
      const owned = new Set(consumer.assignments().map((t) => `${t.partition}\u0000${t.topic}`));
      const failed = new Set(results.filter((r) => r.code !== 0).map((r) => `${r.partition}\u0000${r.topic}`));
      // Partitions revoked meanwhile are their next owner's business.
      todo = todo.filter((o) => failed.has(`${o.partition}\u0000${o.topic}`) && owned.has(`${o.partition}\u0000${o.topic}`));
    }
    if (todo.length > 0) await this.#fail(new StateError('TransactionalTransform', 'rewind', `unable to seek ${todo.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(', ')}`, ['seekable']));
  }

  /** Every assigned partition back to the group's committed offset (after a fetch that may have been split). */
  async #rewindToCommitted(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    try {
      const tps = consumer.assignments();
      const offsets = await new Promise<NativeTopicPartitionOffset[]>((resolve, reject) =>
        consumer.committed(tps, this.#deps.config.connectTimeoutMs, (err, o) => (err ? reject(err) : resolve(o))),
      );
      await this.#seek(offsets.filter((o) => o.offset >= 0));
    } catch (e) {
      this.#opts.onError?.(e as Error);
    }
  }

  #rebalance(err: NativeError, tps: NativeTopicPartition[]): void {
    const consumer = this.#consumer;
    if (consumer === undefined || err.code !== -174) return; // assign: applied by the addon
    // Messages of revoked partitions not yet in a transaction: dropped (their new owner reads them).
    const gone = new Set(tps.map((t) => `${t.partition}\u0000${t.topic}`));
    this.#pending = this.#pending.filter((m) => !gone.has(`${m.partition}\u0000${m.topic}`));
    if (this.#running !== undefined) {
      // A transaction is under way: it aborts at its next message, and the revoke is finished
      // once it has (finishRevoke): the partitions' next owner must not see its offsets half-done.
      this.#revoked = [...(this.#revoked ?? []), ...tps];
      return;
    }
    this.#unassign(consumer, tps);
  }

  #finishRevoke(): void {
    const tps = this.#revoked;
    if (tps === undefined || this.#consumer === undefined) return;
    this.#revoked = undefined;
    this.#unassign(this.#consumer, tps);
  }

  #unassign(consumer: NativeBatchConsumer, tps: NativeTopicPartition[]): void {
    try {
      if (consumer.rebalanceProtocol() === 'COOPERATIVE') consumer.incrementalUnassign(tps);
      else consumer.unassign();
    } catch (e) {
      this.#opts.onError?.(e as Error);
    }
  }

  #consumerError(e: NativeError): void {
    const err = fromNativeError(e, `transform consumer (group ${this.#opts.groupId})`, { groupId: this.#opts.groupId });
    this.#opts.onError?.(err);
    if (err.fatal) void this.#fail(err);
  }

  async #fail(err: Error): Promise<void> {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    this.#failure = err;
    this.#state = 'failed';
    this.#opts.onError?.(err);
    this.#consumer?.stopFetching();
  }

  /** Lets the running transaction finish (it commits), leaves the group and closes the producer. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#state === 'stopped') return;
    if (this.#state !== 'failed') this.#state = 'stopping';
    this.#consumer?.stopFetching();
    await this.#running;
    await this.#shutdown(timeoutMs);
    if (this.#state === 'stopping') this.#state = 'stopped';
  }

  async #shutdown(timeoutMs = 10_000): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    // Leaves the group (the close serves the final revoke in C++); bounded by the addon's own close deadline.
    if (consumer !== undefined) await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    await this.#producer.close(timeoutMs).catch(() => undefined);
  }
}
