import type { NativeHeaders, NativeMessage } from '../native/types.js';
import { Outbound, type DeliveryResult, type ProducerEngine } from '../delivery/index.js';
import { DLQ_HEADERS } from '../message/headers.js';
import { RD } from '../errors/librdkafka.js';

/**
 * Header names of a dead-letter message (message/headers.ts DLQ_HEADERS): all of them on every one,
 * except the legacy `base64`. Header values are bytes end to end on the batch engine, so a
 * dead-letter message carries the original headers and `dlq.original.key` (a binary key included)
 * as their exact bytes.
 */
export { DLQ_HEADERS };

/** The longest `dlq.error.message` (UTF-16 code units); 1,024 on a reduced copy. */
const MAX_ERROR_MESSAGE = 4096;
const MAX_ERROR_MESSAGE_REDUCED = 1024;
/** A longer key is not repeated in `dlq.original.key` (it is the dead-letter message's key anyway). */
const MAX_KEY_COPY = 1024;
/** On a reduced copy a longer key is left out too (it alone could be what is too large). */
const MAX_KEY_REDUCED = 1024;

/** Cuts a text to `max` UTF-16 units, not between the halves of a surrogate pair (which would not survive as UTF-8). */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, max - (/[\uD800-\uDBFF]/.test(text[max - 1]!) ? 1 : 0));
}

function byteLength(v: Buffer | string | null | undefined): number {
  return v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Names listed by a `dlq.base64.headers` value (a JSON array of strings); `undefined` if not one. */
function listedNames(v: string | Buffer): string[] | undefined {
  try {
    const names: unknown = JSON.parse(v.toString());
    return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A dead-letter message's headers as Buffers, ready to read: takes `ConsumedMessage.headerList`.
 *
 * A dead-letter message written by this release carries the original headers as their exact bytes:
 * they come back as they are. One written by the previous release may end with a
 * `dlq.base64.headers` header naming the headers whose values it base64-encoded (e.g.
 * `dlq.original.key` of a binary key, an original header with a zero byte): those values are
 * decoded back to the original bytes and the `dlq.base64.headers` header is left out. Its list
 * covers only the headers before it, so an old dead-letter message dead-lettered again by this
 * release (its headers copied as they were, the new `dlq.*` headers after them) decodes right too.
 */
export function decodeDeadLetterHeaders(headers: ReadonlyArray<readonly [string, string | Buffer]>): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let from = 0; // the first header of `out` no `dlq.base64.headers` has covered yet
  for (const [name, v] of headers) {
    const listed = name === DLQ_HEADERS.base64 ? listedNames(v) : undefined;
    if (listed === undefined) {
      out.push([name, typeof v === 'string' ? Buffer.from(v) : v]);
      continue;
    }
    const encoded = new Set(listed);
    for (let i = from; i < out.length; i++) {
      const [n, value] = out[i]!;
      if (encoded.has(n)) out[i] = [n, Buffer.from(value.toString('latin1'), 'base64')];
    }
    from = out.length;
  }
  return out;
}

export interface DeadLetterInfo {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly attempts: number;
  readonly firstFailure: number;
  readonly lastFailure: number;
}

/** A dead-letter message: resolves on the broker's acknowledgement. */
class DeadLetter extends Outbound {
  constructor(
    topic: string,
    value: Buffer | null,
    key: Buffer | string | null,
    headers: NativeHeaders,
    readonly resolve: (r: DeliveryResult) => void,
    readonly reject: (e: Error) => void,
  ) {
    super(topic, null, value, key, null, headers, undefined);
  }
  delivered(result: DeliveryResult): void {
    this.resolve(result);
  }
  failed(e: Error): void {
    this.reject(e);
  }
}

/**
 * Writes failed messages to the dead-letter topic through the shared producer (acks=all,
 * idempotent). The original key, value and headers are kept as their exact bytes (the batch
 * engine sends header values as bytes: NUL, invalid UTF-8 and empty values included); the failure
 * is described in `dlq.*` headers after them. Resolves only on the broker's acknowledgement.
 */
export class DeadLetterWriter {
  /** Writes made alone (writeAlone), one after the other. */
  #aloneTail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly engine: () => ProducerEngine,
    readonly topicFor: (topic: string) => string,
    readonly groupId: string,
  ) {}

  /**
   * Writes `msg` to its dead-letter topic. `reduced`: the full copy was refused as too large, so
   * the value and the original headers are replaced by a JSON reference to the original (a huge
   * key is left out too) and `dlq.truncated` says what was left out; the failure headers stay.
   */
  /**
   * Writes the full copy again, with no other alone-write of this writer in flight, so that it is
   * not batched with them: a broker refuses a whole batch over the topic's max.message.bytes, and a
   * copy that fits on its own must not be reduced because its batch did not.
   */
  writeAlone(msg: NativeMessage, info: DeadLetterInfo): Promise<DeliveryResult> {
    const run = this.#aloneTail.then(() => this.write(msg, info));
    this.#aloneTail = run.catch(() => undefined);
    return run;
  }

  write(msg: NativeMessage, info: DeadLetterInfo, reduced = false): Promise<DeliveryResult> {
    // The original headers, in order, as they came (one single-name object each, names may repeat).
    // A dead-letter message of the previous release dead-lettered again keeps its
    // `dlq.base64.headers` where it was: decodeDeadLetterHeaders applies it to the headers before it.
    const original = msg.key ?? null;
    const keyBytes = byteLength(original);
    const key = reduced && keyBytes > MAX_KEY_REDUCED ? null : original;
    const headers: NativeHeaders = !reduced && msg.headers !== undefined ? msg.headers.slice() : [];
    let value = msg.value;
    if (reduced) {
      const left = ['value', 'headers', ...(key === null && original !== null ? ['key'] : [])];
      headers.push({ [DLQ_HEADERS.truncated]: left.join(',') });
      value = Buffer.from(
        JSON.stringify({
          topic: msg.topic,
          partition: msg.partition,
          offset: msg.offset,
          valueBytes: byteLength(msg.value),
          keyBytes,
          headers: msg.headers?.length ?? 0,
        }),
      );
    }
    headers.push(
      { [DLQ_HEADERS.topic]: msg.topic },
      { [DLQ_HEADERS.partition]: String(msg.partition) },
      { [DLQ_HEADERS.offset]: String(msg.offset) },
    );
    if (typeof msg.timestamp === 'number' && msg.timestamp >= 0) headers.push({ [DLQ_HEADERS.timestamp]: String(msg.timestamp) });
    if (key !== null && keyBytes <= MAX_KEY_COPY) headers.push({ [DLQ_HEADERS.key]: key });
    headers.push(
      { [DLQ_HEADERS.errorType]: info.errorType },
      // (sent as UTF-8: a lone surrogate in an error's text arrives as U+FFFD)
      { [DLQ_HEADERS.errorMessage]: cut(info.errorMessage, reduced ? MAX_ERROR_MESSAGE_REDUCED : MAX_ERROR_MESSAGE) },
      { [DLQ_HEADERS.attempts]: String(info.attempts) },
      { [DLQ_HEADERS.firstFailure]: new Date(info.firstFailure).toISOString() },
      { [DLQ_HEADERS.lastFailure]: new Date(info.lastFailure).toISOString() },
      { [DLQ_HEADERS.group]: this.groupId },
    );
    const topic = this.topicFor(msg.topic);
    // The key as it came: a Buffer (binary-safe; an empty one stays an empty key, not null).
    return new Promise((resolve, reject) => this.engine().send(new DeadLetter(topic, value, key, headers, resolve, reject)));
  }
}

/** How a failed dead-letter write is handled next. */
export type DeadLetterFailure =
  /** The copy is too large for the dead-letter topic: write the reduced copy (at once). */
  | 'too-large'
  /** Retrying cannot help until an operator acts (not authorized, invalid topic): keep trying, report unhealthy. */
  | 'blocked'
  /** Anything else: try again after a backoff. */
  | 'retry';

const TOO_LARGE = new Set<number>([RD.ERR_MSG_SIZE_TOO_LARGE, RD.ERR_RECORD_LIST_TOO_LARGE]);
const BLOCKED = new Set<number>([RD.ERR_TOPIC_AUTHORIZATION_FAILED, RD.ERR_CLUSTER_AUTHORIZATION_FAILED, RD.ERR_TOPIC_EXCEPTION, RD.ERR_POLICY_VIOLATION]);

/** Classifies a failed dead-letter write by its librdkafka code. */
export function classifyDeadLetterFailure(err: unknown): DeadLetterFailure {
  const code = (err as { librdkafkaCode?: unknown }).librdkafkaCode;
  if (typeof code !== 'number') return 'retry';
  if (TOO_LARGE.has(code)) return 'too-large';
  if (BLOCKED.has(code)) return 'blocked';
  return 'retry';
}
