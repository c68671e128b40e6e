import type { NativeDeliveryReport, NativeHeaders, NativeMessage } from '../native/types.js';
import { deliveryResult, Outbound, type DeliveryResult, type ProducerEngine } from '../producer/engine.js';
import { isSafeHeaderValue } from '../producer/message.js';

/**
 * Header names of a dead-letter message: all of them on every one, except `base64`, written only
 * when a value needed it.
 *
 * node-rdkafka sends a header value as NUL-terminated UTF-8 text (a zero byte cuts it, invalid
 * UTF-8 is replaced), so a value that would not survive (see isSafeHeaderValue) is written
 * base64-encoded, and the `base64` header (a JSON array of header names) names every header whose
 * values are base64 in this message: all values of a listed name are. This covers the original's
 * own headers and `dlq.original.key` (a binary key) alike; decodeDeadLetterHeaders undoes it.
 */
export const DLQ_HEADERS = Object.freeze({
  topic: 'dlq.original.topic',
  partition: 'dlq.original.partition',
  offset: 'dlq.original.offset',
  key: 'dlq.original.key',
  errorType: 'dlq.error.type',
  errorMessage: 'dlq.error.message',
  attempts: 'dlq.attempts',
  firstFailure: 'dlq.first.failure',
  lastFailure: 'dlq.last.failure',
  group: 'dlq.consumer.group',
  base64: 'dlq.base64.headers',
});

/** The longest `dlq.error.message` (UTF-16 code units). */
const MAX_ERROR_MESSAGE = 4096;

type Entry = [name: string, value: string | Buffer];

function toBase64(v: string | Buffer): string {
  return (typeof v === 'string' ? Buffer.from(v) : v).toString('base64');
}

/** Names listed by `dlq.base64.headers` values (a JSON array of strings); `undefined` if not one. */
function listedNames(v: string | Buffer): string[] | undefined {
  try {
    const names: unknown = JSON.parse(v.toString());
    return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A dead-letter message's headers as the original message had them: the values of the headers
 * named by `dlq.base64.headers` decoded from base64 (e.g. `dlq.original.key` of a binary key),
 * the `dlq.base64.headers` header itself left out. Takes `ConsumedMessage.headerList`.
 */
export function decodeDeadLetterHeaders(headers: ReadonlyArray<readonly [string, string | Buffer]>): Array<[string, Buffer]> {
  const encoded = new Set<string>();
  for (const [name, v] of headers) if (name === DLQ_HEADERS.base64) for (const n of listedNames(v) ?? []) encoded.add(n);
  const out: Array<[string, Buffer]> = [];
  for (const [name, v] of headers) {
    if (name === DLQ_HEADERS.base64 && listedNames(v) !== undefined) continue;
    out.push([name, encoded.has(name) ? Buffer.from(v.toString(), 'base64') : typeof v === 'string' ? Buffer.from(v) : v]);
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
  delivered(report: NativeDeliveryReport): void {
    this.resolve(deliveryResult(this, report));
  }
  failed(e: Error): void {
    this.reject(e);
  }
}

/**
 * Writes failed messages to the dead-letter topic through the shared producer (acks=all,
 * idempotent). The original key, value and headers are kept (header values node-rdkafka would
 * corrupt are base64, see DLQ_HEADERS); the failure is described in `dlq.*` headers. Resolves
 * only on the broker's acknowledgement.
 */
export class DeadLetterWriter {
  constructor(
    readonly engine: () => ProducerEngine,
    readonly topicFor: (topic: string) => string,
    readonly groupId: string,
  ) {}

  write(msg: NativeMessage, info: DeadLetterInfo): Promise<DeliveryResult> {
    // The original headers, in order. A dead-letter message dead-lettered again brings its
    // `dlq.base64.headers`: its names stay listed (their values are base64 already).
    const original: Entry[] = [];
    const already = new Set<string>();
    if (msg.headers !== undefined) {
      for (const h of msg.headers) {
        for (const name of Object.keys(h)) {
          const v = h[name]!;
          const listed = name === DLQ_HEADERS.base64 ? listedNames(v) : undefined;
          if (listed !== undefined) for (const n of listed) already.add(n);
          else original.push([name, v]);
        }
      }
    }
    const key = msg.key ?? null;
    let message = info.errorMessage;
    if (message.length > MAX_ERROR_MESSAGE) {
      // (not between the halves of a surrogate pair, which would not survive as UTF-8)
      const cut = MAX_ERROR_MESSAGE - (/[\uD800-\uDBFF]/.test(message[MAX_ERROR_MESSAGE - 1]!) ? 1 : 0);
      message = message.slice(0, cut);
    }
    const own: Entry[] = [
      [DLQ_HEADERS.topic, msg.topic],
      [DLQ_HEADERS.partition, String(msg.partition)],
      [DLQ_HEADERS.offset, String(msg.offset)],
    ];
    if (key !== null) own.push([DLQ_HEADERS.key, key]);
    own.push(
      [DLQ_HEADERS.errorType, info.errorType],
      [DLQ_HEADERS.errorMessage, message],
      [DLQ_HEADERS.attempts, String(info.attempts)],
      [DLQ_HEADERS.firstFailure, new Date(info.firstFailure).toISOString()],
      [DLQ_HEADERS.lastFailure, new Date(info.lastFailure).toISOString()],
      [DLQ_HEADERS.group, this.groupId],
    );
    // Every value of a name goes base64 once one value of it would not survive node-rdkafka.
    const encoded = new Set(already);
    for (const [name, v] of original) if (!isSafeHeaderValue(v)) encoded.add(name);
    for (const [name, v] of own) if (!isSafeHeaderValue(v)) encoded.add(name);
    const headers: NativeHeaders = [];
    for (const [name, v] of original) headers.push({ [name]: encoded.has(name) && !already.has(name) ? toBase64(v) : v });
    for (const [name, v] of own) headers.push({ [name]: encoded.has(name) ? toBase64(v) : v });
    if (encoded.size > 0) headers.push({ [DLQ_HEADERS.base64]: JSON.stringify([...encoded]) });
    const topic = this.topicFor(msg.topic);
    // The key itself is sent as bytes (binary-safe), but node-rdkafka sends an empty Buffer key as
    // a null key: an empty string keeps it an empty key.
    const outKey = key !== null && key.length === 0 ? '' : key;
    return new Promise((resolve, reject) => this.engine().send(new DeadLetter(topic, msg.value, outKey, headers, resolve, reject)));
  }
}
