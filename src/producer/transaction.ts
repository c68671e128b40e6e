import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidArgumentError, MAX_TIMER_MS, RD, StateError, checkIntegerOption } from '../errors/index.js';
import { Producer } from './producer.js';
import type { ValueSerializer } from './types.js';
import { Transaction, type TransactionOffset } from './transaction-scope.js';
import { createTransactionalEngine, DEFAULT_TRANSACTION_TIMEOUT_MS, TXN_RETRY_PAUSE_MS, outOfTime, type NativeTransactions, type TransactionalDeps, type TransactionalEngine } from './transaction-engine.js';
import {
  TransactionAbortedError,
  TransactionCommitUnknownError,
  TransactionFatalError,
  TransactionFencedError,
  TransactionKafkaError,
  fatalOf,
  transactionError,
} from './transaction-errors.js';

export interface TransactionalProducerOptions {
  /**
   * The transactional id (required): one per logical producer, stable across restarts. A new
   * producer with the same id fences the old one (GCK_TRANSACTION_FENCED) and aborts what it left
   * open, which is what makes a restart safe.
   */
  readonly transactionalId: string;
  /** How long the broker lets a transaction stay open before aborting it. Default 60 s (1 s .. 15 min). */
  readonly transactionTimeoutMs?: number;
  /** Bound on each blocking transactional call (init, offsets, commit, abort). Default: transactionTimeoutMs. */
  readonly operationTimeoutMs?: number;
  /** Serializer for values that are neither Buffer nor string. Default: JSON. */
  readonly serializer?: ValueSerializer;
  /** Give every message an id (`message_id` header). Default: config `message_ids`. */
  readonly messageIds?: boolean;
  /** Hears producer errors (after they are logged), fatal ones included. */
  readonly onError?: (err: Error) => void;
}

export type TransactionalProducerState = 'idle' | 'connecting' | 'ready' | 'failed' | 'closing' | 'closed';

/** The transaction the current async context runs in (a nested transaction() would wait for itself). */
const current = new AsyncLocalStorage<TransactionalProducer>();

/**
 * A producer whose messages are written in transactions (exactly-once with sendOffsets; see
 * docs/transactions.md):
 *
 *   const tp = new TransactionalProducer(deps, { transactionalId: 'orders-enricher-1' });
 *   await tp.connect();
 *   await tp.transaction(async (tx) => {
 *     await tx.publish(newMessage('out', value).withKey(key));
 *     tx.sendOffsets([{ topic: 'in', partition: 0, offset: 42 }], consumer.groupMetadata());
 *   });
 *
 * The transaction commits when the callback resolves and aborts when it throws (transaction()
 * rejects with the callback's error). One transaction at a time: a second call waits for the
 * running one (a call from inside a transaction's callback is a GCK_STATE error instead of a
 * deadlock). Publishing is only possible through the callback's `tx`.
 */
export class TransactionalProducer {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #engine: TransactionalEngine;
  readonly #producer: Producer;
  readonly #deps: TransactionalDeps;
  readonly #onClosed: ((p: TransactionalProducer) => void) | undefined; // its client forgets it once closed
  #state: TransactionalProducerState = 'idle';
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** The first fatal error (fenced or other): every later call rejects with it. */
  #fatal: TransactionFencedError | TransactionFatalError | undefined;
  /** An abort that could not finish (timeout): done before the next transaction begins. */
  #abortPending = false;
  /**
   * The transaction whose commit runs or timed out (outcome unknown): librdkafka keeps it as its
   * current call, refuses abort and begin meanwhile (_CONFLICT), and resumes it when commit is
   * called again, which the next call here does first. */
  #commitPending: Transaction | undefined;
  /** The tail of the one-at-a-time chain. */
  #tail: Promise<unknown> = Promise.resolve();
  #sequence = 0;
  #committed = 0;
  #aborted = 0;

  constructor(deps: TransactionalDeps, options: TransactionalProducerOptions, onClosed?: (p: TransactionalProducer) => void) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('TransactionalProducer options', 'expected { transactionalId, ... }');
    const id: unknown = options.transactionalId;
    if (typeof id !== 'string' || id.trim().length === 0 || id.includes('\0')) {
      throw new InvalidArgumentError('TransactionalProducer option transactionalId', `got ${JSON.stringify(id)}, expected a non-empty string (stable across restarts of this producer)`);
    }
    const timeout = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
    checkIntegerOption('TransactionalProducer option transactionTimeoutMs', timeout, 1000, 900_000);
    const opTimeout = options.operationTimeoutMs ?? timeout;
    checkIntegerOption('TransactionalProducer option operationTimeoutMs', opTimeout, 100, 900_000);
    this.transactionalId = id;
    this.transactionTimeoutMs = timeout;
    this.#timeoutMs = opTimeout;
    this.#deps = deps;
    this.#onClosed = onClosed;
    const onError = options.onError;
    this.#engine = createTransactionalEngine(deps, id, timeout, (err) => {
      const fatal = fatalOf(err, id);
      if (fatal !== undefined) this.#fatal ??= fatal;
      onError?.(err);
    });
    this.#producer = new Producer(this.#engine, {
      diagnostics: deps.diagnostics,
      messageIds: options.messageIds ?? deps.config.messageIds,
      ...(options.serializer !== undefined ? { serializer: options.serializer } : {}),
    });
  }

  get state(): TransactionalProducerState {
    return this.#fatal !== undefined && this.#state === 'ready' ? 'failed' : this.#state;
  }

  /** The fatal error that ended this producer, if any (TransactionFencedError when fenced). */
  get fatalError(): Error | undefined {
    return this.#fatal;
  }

  /** Transactions committed and aborted by this producer. */
  get counts(): { committed: number; aborted: number } {
    return { committed: this.#committed, aborted: this.#aborted };
  }

  /**
   * Connects and registers the transactional id with its coordinator (init_transactions): fences
   * any older producer with the same id and aborts what it left open. Idempotent. A failed
   * connect leaves the producer 'failed': close it and build a new one.
   */
  connect(): Promise<void> {
    this.#connecting ??= this.#connect();
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    if (this.#state !== 'idle') throw new StateError('TransactionalProducer', 'connect', this.#state, ['idle']);
    this.#state = 'connecting';
    try {
      await this.#engine.connect();
      const txn = this.#native('connect');
      await txn.initTransactions(this.#timeoutMs).catch((e: unknown) => {
        throw this.#classify(e);
      });
    } catch (e) {
      if (this.#state === 'connecting') this.#state = 'failed';
      throw e;
    }
    if (this.#state === 'connecting') this.#state = 'ready';
    this.#deps.diagnostics.log('info', 'producer', { transactional_id: this.transactionalId }, 'transactional producer ready');
  }

  #native(op: string): NativeTransactions {
    const txn = this.#engine.transactions();
    if (txn === undefined) throw new StateError('TransactionalProducer', op, this.#engine.state, ['ready']);
    return txn;
  }

  /** A librdkafka error of a transactional call, typed; a fatal one ends the producer. */
  #classify(e: unknown): TransactionFencedError | TransactionFatalError | TransactionKafkaError {
    const err = this.#fatal ?? transactionError(e, this.transactionalId);
    if (err instanceof TransactionFencedError || err instanceof TransactionFatalError) this.#fatal ??= err;
    return err;
  }

  /**
   * Runs `fn` in a transaction: commits when it resolves (after every publish was acknowledged and
   * the offsets were sent), aborts when it throws and rejects with its error. Errors:
   * TransactionAbortedError (GCK_TRANSACTION_ABORTED, retriable: the transaction was aborted, e.g.
   * a publish failed or the commit needed an abort; run it again), TransactionFencedError
   * (GCK_TRANSACTION_FENCED, fatal), TransactionFatalError (other fatal librdkafka errors),
   * TransactionCommitUnknownError (GCK_KAFKA__TIMED_OUT, `outcomeUnknown`: the commit did not
   * finish in time and may still commit; do NOT run it again blindly: completePending() resumes it
   * and tells the outcome, and every later call resumes it first), StateError (GCK_STATE: not
   * connected, closing, or called from inside a transaction).
   */
  transaction<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') return Promise.reject(new InvalidArgumentError('TransactionalProducer.transaction(fn)', 'expected a function (tx) => ...'));
    if (current.getStore() === this) {
      return Promise.reject(new StateError('TransactionalProducer', 'transaction', 'inside a transaction of this producer', ['outside a transaction callback']));
    }
    return this.#inTurn(() => this.#run(fn));
  }

  /** Runs `step` after every call before it (one transactional step at a time). */
  #inTurn<R>(step: () => Promise<R>): Promise<R> {
    const run = this.#tail.then(step);
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Resumes a commit left with an unknown outcome (TransactionCommitUnknownError) until it ends:
   * 'committed', or 'aborted' (it needed an abort, which was done); 'none' when no commit is
   * pending. Rejects with TransactionCommitUnknownError again while it stays unfinished, or with
   * the fatal error. Runs in turn with transaction() calls.
   */
  completePending(): Promise<'committed' | 'aborted' | 'none'> {
    return this.#inTurn(async () => {
      if (this.#commitPending === undefined) return 'none' as const;
      this.#assertUsable('completePending');
      return this.#resumeCommit(this.#native('completePending'));
    });
  }

  #assertUsable(op: string): void {
    if (this.#fatal !== undefined) throw this.#fatal;
    if (this.#state !== 'ready') throw new StateError('TransactionalProducer', op, this.#state, ['ready']);
  }

  async #run<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    if (this.#state === 'idle' || this.#state === 'connecting') await this.connect();
    this.#assertUsable('transaction');
    const txn = this.#native('transaction');
    // What an earlier transaction left unfinished goes first (librdkafka refuses begin meanwhile).
    if (this.#commitPending !== undefined) await this.#resumeCommit(txn);
    if (this.#abortPending) await this.#abort(txn);
    try {
      txn.beginTransaction();
    } catch (e) {
      throw this.#classify(e);
    }
    const tx = new Transaction(this.#producer, ++this.#sequence);
    let result: T;
    try {
      result = await current.run(this, () => fn(tx));
    } catch (e) {
      tx.end('aborted');
      // Every publish has its outcome before the abort: none of this transaction's messages can
      // land in the next one, and no AddPartitionsToTxn is still in flight when EndTxn(abort)
      // goes out — librdkafka sends EndTxn without waiting for it, and the coordinator then
      // refuses the abort with a FATAL INVALID_TXN_STATE (librdkafka#4849; seen here when a
      // transform threw right after its first publishes). An acknowledged message proves its
      // partition was registered. Costs the in-flight acks' latency, bounded by message.timeout.ms.
      await tx.settled();
      try {
        await this.#abort(txn, e);
      } finally {
        tx.finish('aborted');
      }
      throw e;
    }
    tx.end('committing');
    const failure = await tx.settled();
    if (failure !== undefined) await this.#abortAndThrow(txn, tx, 'a publish of the transaction failed', failure);
    const offsets = tx.offsets();
    if (offsets !== undefined) await this.#call(txn, tx, 'sending the offsets', (t) => txn.sendOffsetsToTransaction(offsets.offsets, offsets.groupMetadata, t));
    const needsAbort = await this.#commit(txn, tx);
    if (needsAbort !== undefined) await this.#abortAndThrow(txn, tx, 'committing failed', needsAbort);
    return result;
  }

  /**
   * commitTransaction, called again while it fails retriably without needing an abort, until the
   * operation timeout; a timeout ends it (it had all the time left; outOfTime). Resolves undefined
   * once committed, or with the error that needs an abort (the caller aborts). Past the timeout it
   * throws TransactionCommitUnknownError and the commit stays pending (resumed by the next call).
   */
  async #commit(txn: NativeTransactions, tx: Transaction): Promise<TransactionKafkaError | undefined> {
    this.#commitPending = tx;
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      let err;
      try {
        await txn.commitTransaction(Math.max(100, deadline - Date.now()));
        this.#commitPending = undefined;
        tx.finish('committed');
        this.#committed++;
        return undefined;
      } catch (e) {
        err = this.#classify(e);
      }
      if (err instanceof TransactionKafkaError && err.retriable && !err.txnRequiresAbort) {
        if (outOfTime(deadline, err.librdkafkaCode)) {
          const ctx = { transactionalId: this.transactionalId, op: 'commitTransaction', librdkafkaCode: err.librdkafkaCode };
          throw new TransactionCommitUnknownError(`transaction ${tx.sequence} of ${JSON.stringify(this.transactionalId)}: the commit did not finish within ${this.#timeoutMs} ms and may still commit (${err.message}); it is resumed before anything else (completePending())`, ctx, err);
        }
        await delay(TXN_RETRY_PAUSE_MS);
        continue;
      }
      this.#commitPending = undefined; // it ended: fatal (nothing can be resumed or aborted) or it needs an abort
      if (!(err instanceof TransactionKafkaError)) throw err;
      return err;
    }
  }

  /** The pending commit, resumed to its end: 'committed', or 'aborted' after the abort it needed. */
  async #resumeCommit(txn: NativeTransactions): Promise<'committed' | 'aborted'> {
    const tx = this.#commitPending as Transaction;
    const needsAbort = await this.#commit(txn, tx);
    const outcome = needsAbort === undefined ? 'committed' : 'aborted';
    if (needsAbort !== undefined) await this.#abort(txn, needsAbort).finally(() => tx.finish('aborted'));
    this.#deps.diagnostics.log('warn', 'producer', { transactional_id: this.transactionalId, transaction: tx.sequence, outcome }, 'a commit that had timed out was resumed');
    return outcome;
  }

  /**
   * One blocking call with librdkafka's rules: retriable → call again (within the operation
   * timeout); needs an abort (or any other non-fatal failure) → abort, then
   * TransactionAbortedError; fatal → the fatal error.
   */
  async #call(txn: NativeTransactions, tx: Transaction, what: string, call: (timeoutMs: number) => Promise<void>): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      try {
        await call(Math.max(100, deadline - Date.now()));
        return;
      } catch (e) {
        const err = this.#classify(e);
        if (!(err instanceof TransactionKafkaError)) throw err;
        if (err.retriable && !err.txnRequiresAbort && !outOfTime(deadline, err.librdkafkaCode)) {
          await delay(TXN_RETRY_PAUSE_MS);
          continue;
        }
        await this.#abortAndThrow(txn, tx, `${what} failed`, err);
      }
    }
  }

  async #abortAndThrow(txn: NativeTransactions, tx: Transaction, why: string, cause: Error): Promise<never> {
    try {
      await this.#abort(txn, cause);
    } finally {
      tx.finish('aborted');
    }
    const fatal = fatalOf(cause, this.transactionalId);
    if (fatal !== undefined) {
      this.#fatal ??= fatal;
      throw this.#fatal;
    }
    throw new TransactionAbortedError(`transaction ${tx.sequence} of ${JSON.stringify(this.transactionalId)} was aborted: ${why}: ${cause.message}`, { transactionalId: this.transactionalId, op: why }, cause);
  }

  /**
   * Aborts the open transaction (retrying a retriable failure within the operation timeout). A fatal error
   * (e.g. fenced) is thrown with `cause` as its cause; an abort that keeps timing out is finished
   * before the next transaction begins.
   */
  async #abort(txn: NativeTransactions, cause?: unknown): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    this.#abortPending = true;
    for (;;) {
      try {
        await txn.abortTransaction(Math.max(100, deadline - Date.now()));
        this.#abortPending = false;
        this.#aborted++;
        return;
      } catch (e) {
        const err = this.#classify(e);
        if (!(err instanceof TransactionKafkaError)) {
          // Fatal (fenced): nothing can be aborted any more; the broker aborts it for us (the
          // newer producer's init did, or transaction.timeout.ms will). The fatal error wins over
          // what made us abort: it is what the caller must act on.
          this.#abortPending = false;
          if (cause !== undefined) this.#deps.diagnostics.log('warn', 'producer', { transactional_id: this.transactionalId, err: { message: this.#deps.diagnostics.redact(String((cause as Error)?.message ?? cause)) } }, 'transaction could not be aborted: the producer hit a fatal error');
          throw err;
        }
        if (err.librdkafkaCode === RD.ERR__CONFLICT && this.#commitPending !== undefined) {
          // librdkafka holds a timed-out commit: nothing is aborted; the next call resumes the commit.
          this.#abortPending = false;
          throw new TransactionCommitUnknownError(`transactional producer ${JSON.stringify(this.transactionalId)}: cannot abort while a timed-out commit is pending`, { transactionalId: this.transactionalId, op: 'abortTransaction' }, err);
        }
        if (!err.retriable || outOfTime(deadline, err.librdkafkaCode)) throw err;
        await delay(TXN_RETRY_PAUSE_MS);
      }
    }
  }

  /**
   * Stops taking transactions (later calls: GCK_STATE), lets the running one finish (at most
   * `timeoutMs`; one still open then is aborted by the broker after transactionTimeoutMs, or at
   * once when a producer with the same id connects), flushes and destroys the handle. Idempotent.
   */
  close(timeoutMs = 10_000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    checkIntegerOption('TransactionalProducer.close(timeoutMs)', timeoutMs, 0, MAX_TIMER_MS);
    const wasConnecting = this.#connecting;
    this.#state = 'closing';
    if (wasConnecting !== undefined) await wasConnecting.catch(() => undefined);
    const ac = new AbortController();
    await Promise.race([this.#tail, delay(timeoutMs, undefined, { signal: ac.signal }).catch(() => undefined)]);
    ac.abort();
    try {
      await this.#engine.close(timeoutMs);
    } finally {
      this.#state = 'closed';
      this.#onClosed?.(this);
    }
  }
}

export type { TransactionOffset };
