import { toLibrdkafkaConfig, type KafkaConfig, type LibrdkafkaValue } from '../config/index.js';
import type { NativeBatchProducer, NativeBinding, NativeTopicPartitionOffset } from '../native/types.js';
import { librdkafkaLogForwarder, type Diagnostics } from '../diagnostics/diagnostics.js';
import { ProducerEngine } from '../delivery/index.js';

/** What a transactional producer (or a transform) is built from: what src/client.ts hands out. */
export interface TransactionalDeps {
  readonly binding: NativeBinding;
  readonly config: KafkaConfig;
  readonly diagnostics: Diagnostics;
}

/** The transactional calls of the batch producer (src/native/addon/producer.cc), all present. */
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

/**
 * The librdkafka configuration of a transactional producer: the config's producer mapping
 * (security, batching, as every connection), then what transactions require: acks=all and
 * idempotence (whatever the config says: librdkafka refuses a transactional producer without
 * them), the transactional id and timeout, and the two timeouts librdkafka requires to fit in the
 * transaction (message.timeout.ms ≤ transaction.timeout.ms, socket.timeout.ms ≤ it + 100 ms): the
 * config's delivery_timeout default (2 min) is longer than the default transaction (1 min).
 */
export function transactionalProperties(config: KafkaConfig, transactionalId: string, transactionTimeoutMs: number): { global: Record<string, LibrdkafkaValue>; topic: Record<string, LibrdkafkaValue> } {
  const cfg = toLibrdkafkaConfig(config, 'producer');
  const socket = Number(cfg.global['socket.timeout.ms'] ?? 60_000);
  const global: Record<string, LibrdkafkaValue> = {
    ...cfg.global,
    'enable.idempotence': true,
    'transactional.id': transactionalId,
    'transaction.timeout.ms': transactionTimeoutMs,
    'socket.timeout.ms': Math.min(socket, transactionTimeoutMs + 100),
  };
  const message = Number(cfg.topic['message.timeout.ms'] ?? transactionTimeoutMs);
  const topic: Record<string, LibrdkafkaValue> = {
    ...cfg.topic,
    'request.required.acks': -1,
    'message.timeout.ms': Math.min(message, transactionTimeoutMs),
  };
  delete topic['acks'];
  return { global, topic };
}

/** Builds (does not connect) the engine of a transactional producer. */
export function createTransactionalEngine(deps: TransactionalDeps, transactionalId: string, transactionTimeoutMs: number, onError?: (err: Error) => void): TransactionalEngine {
  const { config, diagnostics: t } = deps;
  const props = transactionalProperties(config, transactionalId, transactionTimeoutMs);
  const fields = { transactional_id: transactionalId };
  return new TransactionalEngine(deps.binding, props.global, props.topic, {
    clientId: config.clientId,
    connectTimeoutMs: config.connectTimeoutMs,
    retryMax: config.retryMax,
    // Never re-produced by the library: idempotence (and the transaction) own retries.
    retryDelivered: false,
    retryBackoffMs: config.retryBackoffMs,
    enqueueTimeoutMs: config.writeTimeoutMs,
    pollIntervalMs: 5,
    onError: (err) => {
      t.log('error', 'producer', { ...fields, err: { message: t.redact(err.message), code: (err as { code?: string }).code } }, 'transactional producer error');
      onError?.(err);
    },
    onLog: librdkafkaLogForwarder(t, fields),
  });
}
