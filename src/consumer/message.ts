import type { NativeHeaders, NativeMessage } from '../native/types.js';

const HEADER_MESSAGE_ID = 'message_id';
const HEADER_METADATA = 'metadata';

/**
 * A message as a handler sees it. Headers keep every value (names may repeat on the wire; `headers`
 * holds the last one of each name, `headerList` all of them in order). The id and metadata written
 * by this library's producer come back as `id` and `metadata`; messages from other producers have
 * `id` undefined and empty metadata.
 */
export class ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number | undefined;
  readonly headerList: ReadonlyArray<readonly [string, Buffer]>;
  /** 1 on the first delivery to a handler, 2 on the first retry, and so on. */
  readonly attempt: number;
  #headers: Record<string, Buffer> | undefined;
  #metadata: Record<string, string> | undefined;

  constructor(m: NativeMessage, attempt = 1) {
    this.attempt = attempt;
    this.topic = m.topic;
    this.partition = m.partition;
    this.offset = m.offset;
    this.key = m.key === undefined || m.key === null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key;
    this.value = m.value;
    this.timestamp = m.timestamp;
    this.headerList = flattenHeaders(m.headers);
  }

  get headers(): Readonly<Record<string, Buffer>> {
    if (this.#headers === undefined) {
      const h: Record<string, Buffer> = {};
      for (const [name, v] of this.headerList) h[name] = v;
      this.#headers = h;
    }
    return this.#headers;
  }

  /** The header's value as UTF-8 text, or undefined. */
  header(name: string): string | undefined {
    // A scan of the (short) list: no map is built for the common one-header lookup.
    const list = this.headerList;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]![0] === name) return list[i]![1].toString('utf8');
    return undefined;
  }

  /** The `correlation_id` header, propagated end to end. */
  get correlationId(): string | undefined {
    return this.header('correlation_id');
  }

  get id(): string | undefined {
    return this.header(HEADER_MESSAGE_ID);
  }

  get metadata(): Readonly<Record<string, string>> {
    if (this.#metadata === undefined) {
      const raw = this.header(HEADER_METADATA);
      let parsed: Record<string, string> = {};
      if (raw !== undefined) {
        try {
          const obj: unknown = JSON.parse(raw);
          if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) parsed = obj as Record<string, string>;
        } catch {
          parsed = {};
        }
      }
      this.#metadata = Object.freeze(parsed);
    }
    return this.#metadata;
  }

  /** The key as UTF-8 text (null when the message has no key). */
  keyString(): string | null {
    return this.key === null ? null : this.key.toString('utf8');
  }

  /** The value as UTF-8 text (null for a tombstone). */
  text(): string | null {
    return this.value === null ? null : this.value.toString('utf8');
  }

  /** The value parsed as JSON. Throws SyntaxError on invalid JSON. */
  json<T = unknown>(): T {
    if (this.value === null) return null as T;
    return JSON.parse(this.value.toString('utf8')) as T;
  }
}

const NO_HEADERS: ReadonlyArray<readonly [string, Buffer]> = Object.freeze([]);

function flattenHeaders(headers: NativeHeaders | undefined): ReadonlyArray<readonly [string, Buffer]> {
  if (headers === undefined || headers.length === 0) return NO_HEADERS;
  const out: Array<readonly [string, Buffer]> = [];
  for (const h of headers) {
    for (const name in h) {
      const v = h[name]!;
      out.push([name, typeof v === 'string' ? Buffer.from(v) : v]);
    }
  }
  return out;
}
