import type { KafkaConfig, LibrdkafkaConfig, LibrdkafkaValue } from '../config/index.js';
import type { NativeBatchProducer, NativeBinding, NativeTopicPartitionOffset } from '../native/types.js';
import type { Diagnostics } from '../diagnostics/diagnostics.js';
import { ProducerEngine } from '../delivery/index.js';
import { RD } from '../errors/index.js';
import { createProducerEngine, producerProperties } from './factory.js';
import type { Guarantees } from './guarantees.js';

/** What a transactional producer (or a transform) is built from: what src/client.ts hands out. */
export interface TransactionalDeps {
  readonly binding: NativeBinding;
  readonly config: KafkaConfig;
  readonly diagnostics: Diagnostics;
}

/** The transactional calls of the batch producer (src/native/addon/producer-txn.cc), all present. */
export type NativeTransactions = Required<Pick<NativeBatchProducer, 'initTransactions' | 'beginTransaction' | 'sendOffsetsToTransaction' | 'commitTransaction' | 'abortTransaction'>>;

/**
 * The producer engine (delivery tracking, in-flight window, reports) of one transactional
 * producer, with access to its handle's transactional calls. Transactions are a property of the
 * librdkafka handle (transactional.id), so a transactional producer always has an engine of its
 * own: it never shares the client's producer.
 */
export class TransactionalEngine extends ProducerEngine {
  /** The handle's transactional calls while the engine is connected (undefined otherwise). */
  transactions(): NativeTransactions | undefined {
    const n = this.native;
    if (n === undefined) return undefined;
    const { initTransactions, beginTransaction, sendOffsetsToTransaction, commitTransaction, abortTransaction } = n;
    if (!initTransactions || !beginTransaction || !sendOffsetsToTransaction || !commitTransaction || !abortTransaction) return undefined;
    return {
      initTransactions: (t: number) => initTransactions.call(n, t),
      beginTransaction: () => beginTransaction.call(n),
      sendOffsetsToTransaction: (o: NativeTopicPartitionOffset[], md: Uint8Array, t: number) => sendOffsetsToTransaction.call(n, o, md, t),
      commitTransaction: (t: number) => commitTransaction.call(n, t),
      abortTransaction: (t: number) => abortTransaction.call(n, t),
    };
  }
}

/** librdkafka's default transaction timeout; the broker's transaction.max.timeout.ms is 15 min by default. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

/** The pause between two tries of a transactional call that failed retriably. */
export const TXN_RETRY_PAUSE_MS = 50;

/**
 * Whether a retried transactional call is out of time: its deadline passed, or the call that just
 * failed timed out (`code` _TIMED_OUT). Every try is given all the time left, so a timeout means
 * that time is used up, also when librdkafka's clock and Date.now() disagree by a millisecond (one
 * more try would overrun the operation timeout by the 100 ms a call is given at least, and a
 * resumed commit would take the outcome meant for the next call).
 */
export function outOfTime(deadline: number, code: number | undefined): boolean {
  return code === RD.ERR__TIMED_OUT || Date.now() >= deadline;
}

/** What transactions require of the producer: librdkafka refuses a transactional producer without both. */
const TRANSACTIONAL_GUARANTEES: Guarantees = Object.freeze({ acks: 'all', idempotent: true });

/**
 * The properties transactions add to a producer (the factory spec's `librdkafka`): the
 * transactional id and timeout, and the two timeouts librdkafka requires to fit in the transaction
 * (message.timeout.ms ≤ transaction.timeout.ms, socket.timeout.ms ≤ it + 100 ms): the config's
 * delivery_timeout default (2 min) is longer than the default transaction (1 min).
 */
function transactionalOverrides(transactionalId: string, transactionTimeoutMs: number): (mapped: Readonly<LibrdkafkaConfig>) => Record<string, LibrdkafkaValue> {
  return (mapped) => ({
    'transactional.id': transactionalId,
    'transaction.timeout.ms': transactionTimeoutMs,
    'socket.timeout.ms': Math.min(Number(mapped.global['socket.timeout.ms'] ?? 60_000), transactionTimeoutMs + 100),
    'message.timeout.ms': Math.min(Number(mapped.topic['message.timeout.ms'] ?? transactionTimeoutMs), transactionTimeoutMs),
  });
}

/**
 * The librdkafka configuration of a transactional producer: the config's producer mapping
 * (security, batching, as every connection), acks=all and idempotence whatever the config says
 * (the guarantees; `acks` itself is refused by both the config and the factory), then the
 * transactional overrides.
 */
export function transactionalProperties(config: KafkaConfig, transactionalId: string, transactionTimeoutMs: number): LibrdkafkaConfig {
  return producerProperties({ config, guarantees: TRANSACTIONAL_GUARANTEES, librdkafka: transactionalOverrides(transactionalId, transactionTimeoutMs) });
}

/**
 * Builds (does not connect) the engine of a transactional producer, through the producer factory.
 * Never re-produced by the library: idempotence (and the transaction) own retries.
 */
export function createTransactionalEngine(deps: TransactionalDeps, transactionalId: string, transactionTimeoutMs: number, onError?: (err: Error) => void): TransactionalEngine {
  return createProducerEngine(
    {
      binding: deps.binding,
      config: deps.config,
      diagnostics: deps.diagnostics,
      guarantees: TRANSACTIONAL_GUARANTEES,
      librdkafka: transactionalOverrides(transactionalId, transactionTimeoutMs),
      logFields: { transactional_id: transactionalId },
      kind: 'transactional producer',
      ...(onError !== undefined ? { onError } : {}),
    },
    TransactionalEngine,
  );
}
