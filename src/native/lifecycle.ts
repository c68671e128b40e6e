import { GoCoffeeKafkaError } from '../errors/base.js';
import { fromNativeError, RD } from '../errors/librdkafka.js';
import { ConnectionError } from '../errors/producer.js';
import type { NativeClient, NativeConsumer, NativeError, NativeMetadata, NativeProducer } from './types.js';

/** Failures that retrying cannot fix: reported at once instead of waiting for connect_timeout. */
const TLS_FAILURE = /certificate verify failed|SSL handshake failed|ssl\.(key|certificate|ca)|SSL_CTX|private key/i;
const AUTH_FAILURE = /SASL authentication error|Authentication failed|Invalid username or password|SASL .*(fail|mechanism)/i;

/**
 * Destroys a client whose connect failed or timed out. node-rdkafka's Producer.disconnect flushes
 * first and throws "Producer not connected" while the connect is pending, so the librdkafka handle
 * (which keeps reconnecting and retrying its login) would live on; the base Client.disconnect,
 * which node-rdkafka keeps as `_disconnect`, destroys it.
 */
function closeQuietly(native: NativeClient): void {
  try {
    const base = (native as { _disconnect?: (cb: () => void) => void })._disconnect;
    if ('produce' in native && !native.isConnected() && typeof base === 'function') base.call(native, () => undefined);
    else if ('produce' in native) (native as NativeProducer).disconnect(0, () => undefined);
    else (native as NativeConsumer).disconnect(() => undefined);
  } catch {
    /* already gone */
  }
}

/**
 * Promise wrapper around node-rdkafka's connect with a hard deadline of its own: librdkafka keeps
 * retrying a broker that does not answer, so a caller that must not hang needs a timer that does
 * not depend on the binding calling back.
 *
 * librdkafka's metadata request only times out on a broker that refuses the TLS handshake or the
 * SASL login, retrying every ~50 ms meanwhile (a storm of failed handshakes at the broker). Those
 * failures reach JS as log lines (which node-rdkafka dispatches without poll()) and error events
 * (which need poll()): both are watched while connecting, and the first TLS or authentication
 * failure rejects at once with the librdkafka detail and closes the client.
 */
export function connectClient(native: NativeClient, timeoutMs: number, target: string): Promise<NativeMetadata> {
  return new Promise((resolve, reject) => {
    let done = false;
    let poller: NodeJS.Timeout | undefined;
    const onLog = (log: { severity: number; fac: string; message: string }) => {
      if (log.severity <= 4 || log.fac === 'FAIL') classify(log.message);
    };
    const onError = (err: NativeError) => classify(String(err.message ?? ''), err.code);
    const cleanup = () => {
      clearTimeout(timer);
      if (poller !== undefined) clearInterval(poller);
      (native as unknown as { removeListener(e: string, f: unknown): void }).removeListener('event.log', onLog);
      (native as unknown as { removeListener(e: string, f: unknown): void }).removeListener('event.error', onError);
    };
    const fail = (err: ConnectionError) => {
      if (done) return;
      done = true;
      cleanup();
      closeQuietly(native);
      reject(err);
    };
    const classify = (message: string, code?: number) => {
      // "certificate verify failed" first: a sasl_ssl:// broker name also contains "SASL".
      if (TLS_FAILURE.test(message) || code === -181) {
        fail(new ConnectionError(`TLS handshake with ${target} failed: ${message}`, { code: 'GCK_TLS', retriable: false, context: { timeoutMs } }));
      } else if (AUTH_FAILURE.test(message) || code === -169 || code === 58) {
        fail(new ConnectionError(`authentication failed connecting to ${target}: ${message}`, { code: 'GCK_AUTHENTICATION', retriable: false, context: { timeoutMs } }));
      }
    };
    const timer = setTimeout(() => {
      fail(new ConnectionError(`${target} did not answer a metadata request within connect_timeout (${timeoutMs} ms)`, { context: { timeoutMs } }));
    }, timeoutMs + 250);
    native.on('event.log', onLog);
    native.on('event.error', onError);
    if ('poll' in native) {
      // A producer's error events are only dispatched by poll().
      poller = setInterval(() => {
        try {
          (native as NativeProducer).poll();
        } catch {
          /* not connected yet */
        }
      }, 50);
    }
    native.connect({ timeout: timeoutMs }, (err, metadata) => {
      if (done) {
        // The deadline passed first (e.g. the connect waited behind busy threadpool threads):
        // do not leave a late-connected client behind.
        if (!err) closeQuietly(native);
        return;
      }
      if (err) {
        classify(String(err.message ?? ''), err.code);
        fail(new ConnectionError(`could not connect to ${target}: ${err.message}`, { cause: err, context: { timeoutMs, librdkafkaCode: err.code } }));
        return;
      }
      done = true;
      cleanup();
      resolve(metadata);
    });
  });
}

/** Disconnects a producer or consumer; resolves after `timeoutMs` at the latest. Never rejects. */
export function disconnectClient(native: NativeProducer | NativeConsumer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const timer = setTimeout(() => {
      if (!done) {
        done = true;
        resolve();
      }
    }, timeoutMs + 250);
    try {
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve();
      };
      // node-rdkafka's Producer.disconnect(timeout, cb) flushes first; KafkaConsumer's takes cb only.
      if ('produce' in native) native.disconnect(timeoutMs, finish);
      else native.disconnect(finish);
    } catch {
      done = true;
      clearTimeout(timer);
      resolve();
    }
  });
}

/** librdkafka's flush; resolves `true` when the queue emptied, `false` on timeout or error. */
export function flushProducer(native: NativeProducer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      native.flush(Math.max(0, Math.floor(timeoutMs)), (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
}

/**
 * What a consumer's close reports (onError) from the addon's close callback: `abandoned` — the
 * handle was destroyed without the final commit and group leave (the close's deadline passed, or
 * its work failed twice: `failure`); a `failure` alone — its work failed once and ran again to the
 * end. Null: a clean close.
 */
export function closeOutcomeError(abandoned: boolean, failure: string | undefined): Error | null {
  const again = 'messages since its last successful commit are delivered again';
  if (abandoned && failure !== undefined) return new GoCoffeeKafkaError('GCK_CONSUMER_CLOSE_ABANDONED', `closing the consumer failed (${failure}): the client was destroyed without the final commit and group leave; ${again}`);
  if (abandoned) return new GoCoffeeKafkaError('GCK_CONSUMER_CLOSE_ABANDONED', `closing the consumer (final commit, group leave) did not finish within 10 s: the client was destroyed without waiting longer; ${again}`);
  if (failure !== undefined) return fromNativeError({ code: RD.ERR__FAIL, message: `the close work failed once (${failure}) and ran again to the end (final commit, group leave)` }, 'closing the consumer');
  return null;
}
