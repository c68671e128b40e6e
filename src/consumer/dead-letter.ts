import type { NativeHeaders, NativeMessage } from '../native/types.js';
import { Outbound, type DeliveryResult, type ProducerEngine } from '../delivery/index.js';
import { DLQ_HEADERS } from '../message/headers.js';

/**
 * Header names of a dead-letter message (message/headers.ts DLQ_HEADERS): all of them on every one,
 * except the legacy `base64`. Header values are bytes end to end on the batch engine, so a
 * dead-letter message carries the original headers and `dlq.original.key` (a binary key included)
 * as their exact bytes.
 */
export { DLQ_HEADERS };

/** The longest `dlq.error.message` (UTF-16 code units). */
const MAX_ERROR_MESSAGE = 4096;

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
  constructor(
    readonly engine: () => ProducerEngine,
    readonly topicFor: (topic: string) => string,
    readonly groupId: string,
  ) {}

  write(msg: NativeMessage, info: DeadLetterInfo): Promise<DeliveryResult> {
    // The original headers, in order, as they came (one single-name object each, names may repeat).
    // A dead-letter message of the previous release dead-lettered again keeps its
    // `dlq.base64.headers` where it was: decodeDeadLetterHeaders applies it to the headers before it.
    const headers: NativeHeaders = msg.headers !== undefined ? msg.headers.slice() : [];
    const key = msg.key ?? null;
    let message = info.errorMessage;
    if (message.length > MAX_ERROR_MESSAGE) {
      // (not between the halves of a surrogate pair, which would not survive as UTF-8)
      const cut = MAX_ERROR_MESSAGE - (/[\uD800-\uDBFF]/.test(message[MAX_ERROR_MESSAGE - 1]!) ? 1 : 0);
      message = message.slice(0, cut);
    }
    headers.push(
      { [DLQ_HEADERS.topic]: msg.topic },
      { [DLQ_HEADERS.partition]: String(msg.partition) },
      { [DLQ_HEADERS.offset]: String(msg.offset) },
    );
    if (key !== null) headers.push({ [DLQ_HEADERS.key]: key });
    headers.push(
      { [DLQ_HEADERS.errorType]: info.errorType },
      // (sent as UTF-8: a lone surrogate in an error's text arrives as U+FFFD)
      { [DLQ_HEADERS.errorMessage]: message },
      { [DLQ_HEADERS.attempts]: String(info.attempts) },
      { [DLQ_HEADERS.firstFailure]: new Date(info.firstFailure).toISOString() },
      { [DLQ_HEADERS.lastFailure]: new Date(info.lastFailure).toISOString() },
      { [DLQ_HEADERS.group]: this.groupId },
    );
    const topic = this.topicFor(msg.topic);
    // The key as it came: a Buffer (binary-safe; an empty one stays an empty key, not null).
    return new Promise((resolve, reject) => this.engine().send(new DeadLetter(topic, msg.value, key, headers, resolve, reject)));
  }
}
