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
import { TransactionCommitUnknownError, TransactionFatalError, TransactionFencedError } from './transaction-errors.js';
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

type BatchDone = { outputs: number; offsets: NativeTopicPartitionOffset[] };

/** The pause before a batch runs again after its n-th consecutive failure (a poison message retries until stop()). */
const backoff = (n: number): number => Math.min(5000, 50 * 2 ** Math.min(n, 7));

/**
 * Exactly-once consume-transform-produce (docs/transactions.md "The transform helper"): a batch
 * consumer (read_committed, no auto-commit, no offset store) and a TransactionalProducer. Per
 * fetched batch: begin → transform each message (fetch order, i.e. offset order per partition) →
 * publish the outputs → send the next input offsets with the consumer's group metadata → commit.
 * The outputs and the input offsets become visible together or not at all.
 *
 * Fetching stops while a batch's transaction runs (so rebalance callbacks, which the batch
 * consumer serves with its fetches, wait until it committed or aborted); an aborted transaction
 * (a failed publish, a transform that threw, a commit that needed an abort) rewinds the batch's
 * partitions to its first offsets — what the group has committed — and the batch is fetched and
 * run again. A commit whose outcome is unknown (it timed out) is resumed until it ends: the batch
 * never runs again while it may have committed. Fenced or fatal: the transform stops ('failed').
 */
export class TransactionalTransform {
  readonly #deps: TransactionalDeps;
  readonly #opts: TransformOptions;
  readonly #batchSize: number;
  readonly #producer: TransactionalProducer;
  #consumer: NativeBatchConsumer | undefined;
  #state: TransformState = 'idle';
  #pending: NativeMessage[] = [];
  /** A batch arrived: fetching stops and the loop starts once the drain that delivered it is over. */
  #scheduled = false;
  #running: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #failure: Error | undefined;
  #attempt = 0;
  readonly #stats = { batches: 0, inputs: 0, outputs: 0, aborted: 0 };

  /** Called once stop() finished (the client forgets a stopped transform). */
  readonly #onStopped: ((t: TransactionalTransform) => void) | undefined;

  constructor(deps: TransactionalDeps, options: TransformOptions, onStopped?: (t: TransactionalTransform) => void) {
    this.#onStopped = onStopped;
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

  /**
   * Registers the transactional id (aborting a crashed predecessor's transaction), then joins the
   * group. A stop() meanwhile ends it early: start() then resolves and builds nothing more.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new StateError('TransactionalTransform', 'start', this.#state, ['idle']);
    this.#state = 'starting';
    this.#starting = this.#start();
    await this.#starting;
  }

  async #start(): Promise<void> {
    try {
      // First: init_transactions aborts what a crashed instance left open, so the group's
      // committed offsets are final before this consumer reads them.
      await this.#producer.connect();
      if (this.#state !== 'starting') return; // stop() came meanwhile (it closes the producer)
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
      if (this.#state !== 'starting') return; // stop() came meanwhile: it waits for this, then closes the consumer
      consumer.subscribe([...this.#opts.inputTopics]);
      this.#state = 'running';
      this.#fetch();
    } catch (e) {
      if (this.#state !== 'starting') return; // stopping (its close may be why this failed): stop() finishes
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
    for (const m of msgs) this.#pending.push(m);
    // One batch at a time: fetching (and with it the rebalance callbacks) waits for its commit or
    // abort. Stopped after this drain, not inside its callback: a fetch past 2 GiB reaches JS as
    // several slabs in one drain, and the ones after a stop would be dropped while the position
    // has already moved past them.
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#consumer?.stopFetching();
      this.#running ??= this.#loop().finally(() => (this.#running = undefined));
    });
  }

  async #loop(): Promise<void> {
    while (this.#pending.length > 0 && this.#state === 'running') {
      const batch = this.#pending.splice(0, this.#batchSize);
      let sequence = 0;
      let done: BatchDone | undefined;
      let error: unknown;
      let outcome: 'committed' | 'aborted' | 'unknown' = 'committed';
      try {
        await this.#producer.transaction(async (tx) => {
          sequence = tx.sequence;
          done = await this.#runBatch(tx, batch);
        });
      } catch (e) {
        error = e;
        outcome = e instanceof TransactionCommitUnknownError ? 'unknown' : 'aborted';
      }
      // The commit timed out and may have happened: running the batch again could duplicate it.
      // It is resumed until it ends; stopping meanwhile leaves it to the coordinator (and the next
      // instance's init), and the batch is not rewound either way.
      for (let n = 0; outcome === 'unknown'; n++) {
        this.#opts.onError?.(error as Error);
        if (this.#state === 'running') await delay(backoff(n));
        if (this.#state !== 'running') return;
        try {
          const r = await this.#producer.completePending();
          if (r === 'none') {
            // Nobody else resolves this producer's commits: should it happen, neither rewinding nor moving on is safe.
            await this.#fail(new StateError('TransactionalTransform', 'completePending', 'no pending commit', ['a pending commit']));
            return;
          }
          outcome = r;
        } catch (e) {
          error = e;
          if (!(e instanceof TransactionCommitUnknownError)) outcome = 'aborted';
        }
      }
      if (outcome === 'committed') {
        const { outputs, offsets } = done as BatchDone;
        this.#stats.batches++;
        this.#stats.inputs += batch.length;
        this.#stats.outputs += outputs;
        this.#attempt = 0;
        try {
          this.#opts.onCommit?.({ transaction: sequence, inputs: batch.length, outputs, offsets });
        } catch (e) {
          // Committed: a throwing listener must not make the batch look aborted (and run again).
          this.#opts.onError?.(e as Error);
        }
        continue;
      }
      this.#stats.aborted++;
      if (error instanceof TransactionFencedError || error instanceof TransactionFatalError) {
        await this.#fail(error);
        return;
      }
      this.#opts.onError?.(error as Error);
      await this.#rewind(batch);
      await delay(backoff(this.#attempt++));
    }
    if (this.#state === 'running') this.#fetch();
  }

  async #runBatch(tx: Transaction, batch: NativeMessage[]): Promise<BatchDone> {
    const next = new Map<string, NativeTopicPartitionOffset>();
    const context: TransformContext = { transaction: tx.sequence };
    let outputs = 0;
    for (const m of batch) {
      const out = await this.#opts.transform(m, context);
      const list = out === null || out === undefined ? [] : Array.isArray(out) ? (out as readonly OutgoingMessage[]) : [out as OutgoingMessage];
      for (const o of list) void tx.publish(o); // the commit waits for every one; a failure aborts
      outputs += list.length;
      next.set(`${m.partition}\u0000${m.topic}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    }
    const md = this.#consumer?.groupMetadata?.() ?? null;
    if (md === null) throw new StateError('TransactionalTransform', 'sendOffsets', 'not in the group', ['a group member']);
    const offsets = [...next.values()];
    tx.sendOffsets(offsets, md);
    return { outputs, offsets };
  }

  /**
   * After an abort: every partition of the batch goes back to its first offset in the batch,
   * i.e. what the last committed transaction left as the group's offset (each commit stores the
   * next offset after the previous batch). Prefetched messages of those partitions are dropped,
   * in librdkafka (the seek) and here (the later ones still waiting for a transaction).
   */
  async #rewind(batch: NativeMessage[]): Promise<void> {
    const first = new Map<string, NativeTopicPartitionOffset>();
    for (const m of batch) {
      const k = `${m.partition}\u0000${m.topic}`;
      if (!first.has(k)) first.set(k, { topic: m.topic, partition: m.partition, offset: m.offset });
    }
    this.#pending = this.#pending.filter((m) => !first.has(`${m.partition}\u0000${m.topic}`));
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

  /**
   * The batch consumer serves rebalance callbacks only while it fetches, and fetching is stopped
   * while a batch's transaction runs: a revoke is served between transactions, never during one.
   * Messages of revoked partitions not yet in a transaction are dropped (their new owner reads
   * them from the committed offsets).
   */
  #rebalance(err: NativeError, tps: NativeTopicPartition[]): void {
    const consumer = this.#consumer;
    if (consumer === undefined || err.code !== RD.ERR__REVOKE_PARTITIONS) return; // assign: applied by the addon
    const gone = new Set(tps.map((t) => `${t.partition}\u0000${t.topic}`));
    this.#pending = this.#pending.filter((m) => !gone.has(`${m.partition}\u0000${m.topic}`));
    this.#unassign(consumer, tps);
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

  /**
   * Lets the running transaction finish (it commits), leaves the group and closes the producer.
   * During start(): waits for its current step, which then builds nothing more. Idempotent.
   */
  stop(timeoutMs = 10_000): Promise<void> {
    this.#stopping ??= this.#stop(timeoutMs);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<void> {
    if (this.#state !== 'failed') this.#state = 'stopping';
    await this.#starting?.catch(() => undefined);
    this.#consumer?.stopFetching();
    await this.#running;
    await this.#shutdown(timeoutMs);
    if (this.#state === 'stopping') this.#state = 'stopped';
    this.#onStopped?.(this);
  }

  async #shutdown(timeoutMs = 10_000): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    // Leaves the group (the close serves the final revoke in C++); bounded by the addon's own close deadline.
    if (consumer !== undefined) await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    await this.#producer.close(timeoutMs).catch(() => undefined);
  }
}
