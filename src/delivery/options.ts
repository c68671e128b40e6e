export interface EngineOptions {
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  /** Library-level retries of retriable delivery failures, on top of librdkafka's own. */
  readonly retryMax: number;
  /**
   * Whether a message whose delivery report failed may be produced again (library-level retry).
   * Only without idempotence: a re-produced message is a new message to the broker, so after a
   * possibly-persisted failure (message timed out in flight) it could duplicate a written message
   * and land after later messages of its key — exactly what the idempotent producer rules out.
   * With idempotence librdkafka's own retries (within delivery_timeout) are the safe ones.
   */
  readonly retryDelivered: boolean;
  readonly retryBackoffMs: number;
  /** How long publish waits for room in a full local queue before failing. */
  readonly enqueueTimeoutMs: number;
  /** How often waiting messages are retried / checked against their deadline while any wait. */
  readonly pollIntervalMs: number;
  /**
   * At most this many messages handed to librdkafka and not yet reported; more wait in the FIFO
   * (like a full local queue). Default min(DEFAULT_MAX_IN_FLIGHT, queue.buffering.max.messages).
   */
  readonly maxInFlight?: number;
  readonly onError?: (err: Error) => void;
  /** A retriable delivery failure is being retried (library-level). */
  readonly onRetry?: (topic: string, attempt: number, err: Error) => void;
  readonly onStats?: (json: string) => void;
  readonly onLog?: (log: { severity: number; fac: string; message: string }) => void;
}

/**
 * The default in-flight window. Every in-flight message keeps its objects (the Outbound, the
 * caller's promise, its id) alive until its report; at full speed they outlive a young-generation
 * scavenge, so a large window makes the GC copy and promote them, and a small one leaves the JS
 * thread idle waiting for acks (linger.ms + the broker's acks=all round trip). Measured on the
 * batch engine (bench/experiments/engine-window.ts, 2 vCPUs with the broker, 300k × 100 B, keyed,
 * medians of 5 interleaved runs, msgs/s): publish() 3k 303k, 6k 341k, 10k 297k; send() 3k 317k,
 * 6k 468k, 10k 442k; publishBatch() 3k 316k, 6k 418k, 10k 392k. 6,000 messages cover ~15 ms of
 * acks at 400k msgs/s; raise it (ConnectionManager `maxInFlight`) for a distant cluster.
 */
export const DEFAULT_MAX_IN_FLIGHT = 6_000;

/** A micro-batch is handed to the addon at the end of the tick, or at once when it reaches either bound. */
export const BATCH_MAX_MESSAGES = 1000;
export const BATCH_MAX_BYTES = 1 << 20;
/**
 * Packed messages in flight that fill the window, per message of the in-flight window: measured
 * (bench/experiments/results/packed-window.txt, 1,000,000 × 100 B, 3 alternated cycles, medians)
 * 6,000 725k msgs/s, 15,000 989k, 30,000 915k, 100,000 853k: larger queues cost librdkafka more per message;
 * the default 24,000 against 6,000: 877k against 650k (results/packed-window-24k.txt).
 */
export const PACKED_WINDOW_FACTOR = 4;
