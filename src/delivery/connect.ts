import { ConnectionError } from '../errors/producer.js';
import { ConfigError } from '../config/errors.js';
import type { NativeBatchProducer, NativeMetadata } from '../native/types.js';

/** Failures that retrying cannot fix: reported at once instead of waiting for connect_timeout. */
const TLS_FAILURE = /certificate verify failed|SSL handshake failed|ssl\.(key|certificate|ca)|SSL_CTX|private key/i;
const AUTH_FAILURE = /SASL authentication error|Authentication failed|Invalid username or password|SASL .*(fail|mechanism)/i;
/** How the addon prefixes a failure of rd_kafka_new() (producer.cc). */
const RD_KAFKA_NEW = 'rd_kafka_new: ';

/** While connecting: classifies TLS / authentication failures from log lines and error events. */
export type ConnectWatch = (message: string, code?: number) => void;

/** What connectNative() tells the engine while it runs. */
export interface ConnectHooks {
  /** Installs the watch for log lines and error events (undefined: the attempt is over). */
  watch(w: ConnectWatch | undefined): void;
  /** The attempt failed and its handle is being destroyed: the engine lets go of it. */
  failed(): void;
}

/**
 * What creating the producer handle failed with: rd_kafka_new() itself failing (the properties
 * were accepted; e.g. a TLS key that does not load) is a connect failure, as it was when
 * node-rdkafka created the handle in connect(); anything else is a property librdkafka refused.
 */
export function creationError(e: unknown, target: string, timeoutMs: number): ConnectionError | ConfigError | undefined {
  const message = (e as Error)?.message ?? String(e);
  if (message.startsWith(RD_KAFKA_NEW)) return connectError(target, timeoutMs, message.slice(RD_KAFKA_NEW.length), e);
  return new ConfigError([{ path: 'kafka.librdkafka', message: `librdkafka refused the producer configuration: ${message}` }], { cause: e });
}

/** The ConnectionError for a failure message: TLS and authentication failures get their own codes. */
export function connectError(target: string, timeoutMs: number, message: string, cause?: unknown, code?: number): ConnectionError | undefined {
  // "certificate verify failed" first: a sasl_ssl:// broker name also contains "SASL".
  if (TLS_FAILURE.test(message) || code === -181) {
    return new ConnectionError(`TLS handshake with ${target} failed: ${message}`, { code: 'GCK_TLS', retriable: false, context: { timeoutMs }, ...(cause !== undefined ? { cause } : {}) });
  }
  if (AUTH_FAILURE.test(message) || code === -169 || code === 58) {
    return new ConnectionError(`authentication failed connecting to ${target}: ${message}`, { code: 'GCK_AUTHENTICATION', retriable: false, context: { timeoutMs }, ...(cause !== undefined ? { cause } : {}) });
  }
  if (cause === undefined) return undefined;
  return new ConnectionError(`could not connect to ${target}: ${message}`, { cause, context: { timeoutMs, librdkafkaCode: code } });
}

/**
 * Connecting is a metadata request (off the JS thread) with a hard deadline of its own: librdkafka
 * keeps retrying a broker that does not answer. A TLS or authentication failure (log lines and
 * error events while connecting) rejects at once with the librdkafka detail; the handle is
 * destroyed either way, so a refused client does not keep trying.
 */
export function connectNative(native: NativeBatchProducer, target: string, timeoutMs: number, hooks: ConnectHooks): Promise<NativeMetadata> {
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (err: ConnectionError) => {
      if (done) return;
      done = true;
      hooks.watch(undefined);
      clearTimeout(timer);
      hooks.failed();
      native.close().catch(() => undefined);
      reject(err);
    };
    const watch: ConnectWatch = (message, code) => {
      const err = connectError(target, timeoutMs, message, undefined, code);
      if (err !== undefined) fail(err);
    };
    hooks.watch(watch);
    const timer = setTimeout(() => {
      fail(new ConnectionError(`${target} did not answer a metadata request within connect_timeout (${timeoutMs} ms)`, { context: { timeoutMs } }));
    }, timeoutMs + 250);
    native.metadata({ allTopics: true, timeout: timeoutMs }).then(
      (md) => {
        if (done) return;
        done = true;
        hooks.watch(undefined);
        clearTimeout(timer);
        resolve(md);
      },
      (err: { message?: string; code?: number }) => {
        if (done) return;
        // Still this attempt's watch (done is false): it may name a TLS or authentication failure.
        watch(String(err.message ?? ''), err.code);
        fail(new ConnectionError(`could not connect to ${target}: ${String(err.message)}`, { cause: err, context: { timeoutMs, librdkafkaCode: err.code } }));
      },
    );
  });
}
