import { GoCoffeeKafkaError } from '../errors/base.js';
import { RD } from '../errors/librdkafka.js';
import type { NativeTransactionError } from '../native/types.js';

/**
 * The typed errors of transactions (docs/transactions.md "Errors"):
 * - {@link TransactionAbortedError} (GCK_TRANSACTION_ABORTED, retriable): the transaction was
 *   aborted; nothing of it is visible to read_committed readers; run it again.
 * - {@link TransactionFencedError} (GCK_TRANSACTION_FENCED, fatal): another producer with the same
 *   transactional id took over; this one can do nothing more (close it).
 * - {@link TransactionFatalError} (GCK_KAFKA_<librdkafka name>, fatal): any other error after which
 *   librdkafka refuses the producer (e.g. the transactional id is not authorized).
 * - {@link TransactionKafkaError} (GCK_KAFKA_<librdkafka name>): a transactional call failed without
 *   ending the transaction (e.g. a timeout librdkafka lets us retry).
 * - {@link TransactionCommitUnknownError} (GCK_KAFKA__TIMED_OUT, a TransactionKafkaError with
 *   `outcomeUnknown`): the commit did not finish within the operation timeout; it may still commit.
 *   Not retriable (running the transaction again could duplicate it): the producer resumes the
 *   commit first (completePending(), or the next transaction()).
 */

/** librdkafka codes that say "a newer producer with this transactional id exists". */
const FENCED_CODES: ReadonlySet<number> = new Set([
  RD.ERR__FENCED, // librdkafka's own fatal error once the broker fenced it
  RD.ERR_PRODUCER_FENCED,
  RD.ERR_INVALID_PRODUCER_EPOCH,
]);

/** Context every transaction error carries. */
export interface TransactionErrorContext {
  readonly transactionalId: string;
  /** The call that failed (`initTransactions`, `commitTransaction`, ...) or the library step. */
  readonly op?: string;
  readonly librdkafkaCode?: number;
  readonly librdkafkaName?: string;
  /** Set (true) on a TransactionCommitUnknownError: the commit may have happened. */
  readonly outcomeUnknown?: boolean;
}

export class TransactionAbortedError extends GoCoffeeKafkaError {
  constructor(message: string, context: TransactionErrorContext, cause?: unknown) {
    super('GCK_TRANSACTION_ABORTED', message, { retriable: true, fatal: false, context: { ...context }, ...(cause !== undefined ? { cause } : {}) });
  }
}

export class TransactionFencedError extends GoCoffeeKafkaError {
  constructor(message: string, context: TransactionErrorContext, cause?: unknown) {
    super('GCK_TRANSACTION_FENCED', message, { retriable: false, fatal: true, context: { ...context }, ...(cause !== undefined ? { cause } : {}) });
  }
}

export class TransactionFatalError extends GoCoffeeKafkaError {
  readonly librdkafkaCode: number;
  constructor(name: string, code: number, message: string, context: TransactionErrorContext, cause?: unknown) {
    super(`GCK_KAFKA_${name || String(code)}`, message, { retriable: false, fatal: true, context: { ...context }, ...(cause !== undefined ? { cause } : {}) });
    this.librdkafkaCode = code;
  }
}

export class TransactionKafkaError extends GoCoffeeKafkaError {
  readonly librdkafkaCode: number;
  /** librdkafka asks for the transaction to be aborted (the library does it before throwing this). */
  readonly txnRequiresAbort: boolean;
  constructor(name: string, code: number, message: string, options: { retriable: boolean; txnRequiresAbort: boolean; context: TransactionErrorContext; cause?: unknown }) {
    super(`GCK_KAFKA_${name || String(code)}`, message, { retriable: options.retriable, fatal: false, context: { ...options.context }, ...(options.cause !== undefined ? { cause: options.cause } : {}) });
    this.librdkafkaCode = code;
    this.txnRequiresAbort = options.txnRequiresAbort;
  }
}

/**
 * A commit that timed out (retriably: librdkafka keeps it as its current call, and calling
 * commitTransaction again resumes it; rdkafka_txnmgr.c) and was still unfinished when the
 * operation timeout ran out: it may have committed or may still. The producer remembers it and
 * resumes it before anything else (completePending() tells the outcome; the next transaction()
 * resumes it first); an abort is impossible meanwhile (librdkafka answers _CONFLICT).
 */
export class TransactionCommitUnknownError extends TransactionKafkaError {
  readonly outcomeUnknown = true;
  constructor(message: string, context: TransactionErrorContext, cause?: unknown) {
    super('_TIMED_OUT', RD.ERR__TIMED_OUT, message, { retriable: false, txnRequiresAbort: false, context: { ...context, outcomeUnknown: true }, ...(cause !== undefined ? { cause } : {}) });
  }
}

/** True for a librdkafka code that means this producer was fenced by a newer instance. */
export function isFencedCode(code: number): boolean {
  return FENCED_CODES.has(code);
}

/** Something the addon threw or rejected with: a NativeTransactionError, or a plain Error ("producer closed"). */
function nativeFields(err: unknown): { code: number; name: string; message: string; fatal: boolean; retriable: boolean; abort: boolean } {
  const e = (err ?? {}) as Partial<NativeTransactionError>;
  return {
    code: typeof e.code === 'number' ? e.code : RD.ERR__STATE,
    name: typeof e.name === 'string' && e.name !== 'Error' ? e.name : '_STATE',
    message: typeof e.message === 'string' ? e.message : String(err),
    fatal: e.fatal === true,
    retriable: e.retriable === true,
    abort: e.txnRequiresAbort === true,
  };
}

/**
 * Classifies what a transactional call failed with: fenced (fatal), other fatal, or a plain
 * transactional error (whose `txnRequiresAbort` / `retriable` tell the caller what to do next).
 */
export function transactionError(err: unknown, transactionalId: string): TransactionFencedError | TransactionFatalError | TransactionKafkaError {
  const f = nativeFields(err);
  const context: TransactionErrorContext = { transactionalId, op: (err as { op?: string })?.op ?? '', librdkafkaCode: f.code, librdkafkaName: f.name };
  if (isFencedCode(f.code)) {
    return new TransactionFencedError(`transactional id ${JSON.stringify(transactionalId)} was taken over by a newer producer: this one is fenced and can do nothing more (${f.message})`, context, err);
  }
  if (f.fatal) return new TransactionFatalError(f.name, f.code, `transactional producer ${JSON.stringify(transactionalId)} hit a fatal error: ${f.message}`, context, err);
  return new TransactionKafkaError(f.name, f.code, `transactional producer ${JSON.stringify(transactionalId)}: ${f.message}`, { retriable: f.retriable, txnRequiresAbort: f.abort, context, cause: err });
}

/** The fatal error a producer error event (or a failed delivery) stands for, if it is one. */
export function fatalOf(err: unknown, transactionalId: string): TransactionFencedError | TransactionFatalError | undefined {
  const e = err as { fatal?: boolean; librdkafkaCode?: number; code?: unknown; message?: string } | undefined;
  if (e === undefined || e === null) return undefined;
  if (e instanceof TransactionFencedError || e instanceof TransactionFatalError) return e;
  const code = typeof e.librdkafkaCode === 'number' ? e.librdkafkaCode : typeof e.code === 'number' ? e.code : undefined;
  if (code !== undefined && isFencedCode(code)) {
    return new TransactionFencedError(`transactional id ${JSON.stringify(transactionalId)} was taken over by a newer producer: this one is fenced and can do nothing more (${e.message ?? ''})`, { transactionalId, librdkafkaCode: code }, err);
  }
  if (e.fatal === true) {
    return new TransactionFatalError(String(e.code ?? code ?? 'FATAL').replace(/^GCK_KAFKA_/, ''), code ?? RD.ERR__FATAL, `transactional producer ${JSON.stringify(transactionalId)} hit a fatal error: ${e.message ?? ''}`, { transactionalId }, err);
  }
  return undefined;
}
