import { ConnectionError } from '../errors/producer.js';
import type { NativeClient, NativeConsumer, NativeMetadata, NativeProducer } from './types.js';

/**
 * Promise wrappers around node-rdkafka's callback lifecycle calls, each with a hard deadline of
 * its own: librdkafka keeps retrying a broker that does not answer, so a caller that must not hang
 * needs a timer that does not depend on the binding calling back.
 */
export function connectClient(native: NativeClient, timeoutMs: number, target: string): Promise<NativeMetadata> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(
        new ConnectionError(`${target} did not answer a metadata request within connect_timeout (${timeoutMs} ms)`, {
          context: { timeoutMs },
        }),
      );
    }, timeoutMs + 250);
    native.connect({ timeout: timeoutMs }, (err, metadata) => {
      if (done) {
        // The deadline passed first (e.g. the connect waited behind busy threadpool threads):
        // do not leave a late-connected client behind.
        if (!err) {
          try {
            if ('produce' in native) (native as NativeProducer).disconnect(0, () => undefined);
            else (native as NativeConsumer).disconnect(() => undefined);
          } catch {
            /* already gone */
          }
        }
        return;
      }
      done = true;
      clearTimeout(timer);
      if (err) {
        reject(new ConnectionError(`could not connect to ${target}: ${err.message}`, { cause: err, context: { timeoutMs, librdkafkaCode: err.code } }));
      } else {
        resolve(metadata);
      }
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
