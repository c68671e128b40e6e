import { setTimeout as delay } from 'node:timers/promises';
import { StateError } from '../errors/base.js';
import { ConnectionError, FlushIncompleteError, type UndeliveredMessage } from '../errors/producer.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import type { NativeBatchProducer, NativeBinding, NativeConfig, NativeMetadata } from '../native/types.js';
import { assertConfigFeatures } from '../native/features.js';
import { connectNative, creationError, type ConnectWatch } from './connect.js';
import type { EngineOptions } from './options.js';
import { DeliveryOutcomes } from './outcomes.js';
import type { EngineState } from './types.js';

// Kept for importers outside delivery/ that have not moved to delivery/index.ts yet.
export { Outbound } from './outbound.js';
export type { DeliveryResult } from './types.js';

/**
 * One librdkafka producer (the project's own batch addon, src/native/addon/producer.cc) with
 * delivery tracking, backpressure and retries. librdkafka batches per partition across all topics
 * and runs one I/O thread per broker, so one instance per process (shared by every writer) gives
 * the best batching and the fewest connections.
 *
 * Built in three layers, one module each: the in-flight window, micro-batch and waiting FIFO
 * (window.ts: send() and backpressure), delivery reports and library retries (outcomes.ts), and
 * here the lifecycle: connect, errors, flush, close.
 */
export class ProducerEngine extends DeliveryOutcomes {
  readonly #binding: NativeBinding;
  readonly #global: NativeConfig;
  readonly #topic: NativeConfig;
  #connecting: Promise<NativeMetadata> | undefined;
  /** While connecting: classifies TLS / authentication failures from log lines and errors. */
  #connectWatch: ConnectWatch | undefined;

  constructor(binding: NativeBinding, global: NativeConfig, topic: NativeConfig, opts: EngineOptions) {
    super(global, opts);
    this.#binding = binding;
    this.#global = global;
    this.#topic = topic;
  }

  get state(): EngineState {
    return this.status;
  }

  get fatalError(): Error | undefined {
    return this.fatal;
  }

  connect(): Promise<NativeMetadata> {
    if (this.status === 'ready' || this.status === 'connecting') return this.#connecting!;
    if (this.status !== 'idle') {
      return Promise.reject(new StateError('Producer', 'connect', this.status, ['idle']));
    }
    this.status = 'connecting';
    let native: NativeBatchProducer;
    try {
      native = this.#create();
    } catch (e) {
      // A feature the build lacks (NativeFeatureError) or a property librdkafka refused (ConfigError).
      this.status = 'failed';
      this.#connecting = Promise.reject(e);
      return this.#connecting;
    }
    this.native = native;
    this.#connecting = connectNative(native, this.#target(), this.opts.connectTimeoutMs, {
      watch: (w) => {
        this.#connectWatch = w;
      },
      failed: () => {
        this.native = undefined;
      },
    }).then(
      (md) => {
        if (this.status === 'connecting') this.status = 'ready';
        return md;
      },
      (err: unknown) => {
        this.status = 'failed';
        throw err;
      },
    );
    return this.#connecting;
  }

  #create(): NativeBatchProducer {
    assertConfigFeatures(this.#binding, this.#global, this.#topic);
    const opts = this.opts;
    const onStats = opts.onStats;
    const onLog = opts.onLog;
    try {
      return this.#binding.createBatchProducer(this.#global, this.#topic, {
        onReports: (ok, okPos, failed) => this.onReports(ok, okPos, failed),
        onError: (err) => this.#onEventError(err),
        onLog: (log) => {
          if (this.#connectWatch !== undefined && (log.severity <= 4 || log.fac === 'FAIL')) this.#connectWatch(log.message);
          onLog?.(log);
        },
        onStats: (json) => onStats?.(json),
        lookup: (id) => this.slots[id],
      });
    } catch (e) {
      throw creationError(e, this.#target(), opts.connectTimeoutMs);
    }
  }

  #target(): string {
    return `Kafka cluster ${String(this.#global['bootstrap.servers'])}`;
  }

  /** Throws what `op` would fail with unless the engine is ready (the fatal error, or a StateError). */
  assertReady(op: string): void {
    if (this.status !== 'ready') throw this.stateError(op);
  }

  #onEventError(err: { code: number; fatal?: boolean; message: string }): void {
    // The addon reports the underlying code of a fatal error with fatal: true; a code of -1 (no
    // code) is recovered from the text.
    const message = String(err.message ?? '');
    this.#connectWatch?.(message, err.code);
    const fatal = err.fatal === true || /fatal/i.test(message);
    const code = typeof err.code === 'number' && err.code !== -1 ? err.code : this.#binding.errorCodeOf({ message });
    const error = fromNativeError({ message, code, ...(fatal ? { isFatal: true } : {}) }, 'producer error', { clientId: this.opts.clientId });
    if (error.fatal) this.setFatal(error);
    this.opts.onError?.(error);
  }

  #onFlushFailure(err: { code?: unknown; message?: unknown }): void {
    const code = typeof err.code === 'number' ? err.code : RD.ERR__FAIL;
    this.opts.onError?.(fromNativeError({ code, message: String(err.message ?? err) }, 'flush', { clientId: this.opts.clientId }));
  }

  /** Waits for every in-flight message to be reported (or the timeout). Returns how many remain. */
  async flush(timeoutMs: number): Promise<number> {
    const native = this.native;
    if (native === undefined || this.status === 'closed') return 0;
    const deadline = Date.now() + timeoutMs;
    this.flushBatch();
    while (this.waitingCount !== 0 && Date.now() < deadline) {
      this.pumpWaiting();
      this.flushBatch();
      if (this.waitingCount === 0) break;
      await delay(5);
    }
    this.flushBatch();
    const left = Math.max(0, deadline - Date.now());
    // rd_kafka_flush runs on a libuv work thread; the reports it collects reach onReports after it.
    // A flush worker that failed (its work threw: GCK_KAFKA__FAIL) is reported through onError;
    // the wait below still hears every report (they keep coming through the main queue's wake-ups).
    if (this.inflight.size + this.packed.inflight > 0) await native.flush(left).catch((err: { code?: unknown; message?: unknown }) => this.#onFlushFailure(err));
    // Let reports still on their way reach us (and due retries go out).
    while (this.inflightCount > 0 && Date.now() < deadline) {
      this.flushBatch();
      await delay(2);
    }
    return this.inflightCount + this.waitingCount;
  }

  /**
   * Stops intake, flushes within the timeout, destroys the handle. Every message that was not
   * delivered is failed to its publisher and listed in the FlushIncompleteError this rejects with.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.status === 'closed') return;
    if (this.status === 'connecting') await this.#connecting!.catch(() => undefined);
    const native = this.native;
    this.status = 'closing';
    let undelivered: UndeliveredMessage[] = [];
    if (native !== undefined) {
      await this.flush(timeoutMs);
      this.flushBatch();
      undelivered = this.failRemaining(timeoutMs);
      this.stopPump();
      this.native = undefined;
      // No flush here: messages already failed must not be delivered after all (later reports are dropped).
      await native.close().catch(() => undefined);
    }
    this.status = 'closed';
    if (undelivered.length > 0) throw new FlushIncompleteError(undelivered, timeoutMs);
  }

  /** Metadata round trip through this producer's connection (off the JS thread). */
  metadata(topic: string | undefined, timeoutMs: number): Promise<NativeMetadata> {
    const native = this.native;
    if (native === undefined || this.status !== 'ready') return Promise.reject(this.stateError('metadata'));
    return native.metadata(topic === undefined ? { timeout: timeoutMs } : { topic, timeout: timeoutMs }).catch((err: Error) => {
      throw new ConnectionError(`metadata request failed: ${err.message}`, { cause: err, context: { topic } });
    });
  }
}
