import { HEADERS } from './headers.js';
import type { NativeHeaders, NativeMessage } from '../native/types.js';

const HEADER_MESSAGE_ID = HEADERS.MESSAGE_ID;
const HEADER_METADATA = 'metadata';
const NO_HEADERS: ReadonlyArray<readonly [string, Buffer]> = Object.freeze([]);

/** What a message computes on first use. */
interface Lazy {
  key?: Buffer;
  headerList?: ReadonlyArray<readonly [string, Buffer]>;
  headers?: Record<string, Buffer>;
  metadata?: Record<string, string>;
}

/**
 * A message as a handler sees it. Headers keep every value (names may repeat on the wire; `headers`
 * holds the last one of each name, `headerList` all of them in order). The id and metadata written
 * by this library's producer come back as `id` and `metadata`; messages from other producers have
 * `id` undefined and empty metadata.
 *
 * A view of the fetched message: its fields are read from it when asked for (a consumer builds
 * one per message and most handlers read two or three fields), headers are decoded on first use.
 */
export class ConsumedMessage {
  /** 1 on the first delivery to a handler, 2 on the first retry, and so on. */
  readonly attempt: number;
  readonly #m: NativeMessage;
  #lazy: Lazy | undefined = undefined;

  constructor(m: NativeMessage, attempt = 1) {
    this.#m = m;
    this.attempt = attempt;
  }

  get topic(): string {
    return this.#m.topic;
  }

  get partition(): number {
    return this.#m.partition;
  }

  get offset(): number {
    return this.#m.offset;
  }

  get key(): Buffer | null {
    const k = this.#m.key;
    if (k === undefined || k === null) return null;
    if (typeof k !== 'string') return k;
    const lazy = (this.#lazy ??= {});
    return (lazy.key ??= Buffer.from(k));
  }

  get value(): Buffer | null {
    return this.#m.value;
  }

  get timestamp(): number | undefined {
    return this.#m.timestamp;
  }

  get headerList(): ReadonlyArray<readonly [string, Buffer]> {
    const headers = this.#m.headers;
    if (headers === undefined || headers.length === 0) return NO_HEADERS;
    const lazy = (this.#lazy ??= {});
    return (lazy.headerList ??= flattenHeaders(headers));
  }

  get headers(): Readonly<Record<string, Buffer>> {
    const lazy = (this.#lazy ??= {});
    if (lazy.headers === undefined) {
      const h: Record<string, Buffer> = {};
      for (const [name, v] of this.headerList) h[name] = v;
      lazy.headers = h;
    }
    return lazy.headers;
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
    return this.header(HEADERS.CORRELATION_ID);
  }

  get id(): string | undefined {
    return this.header(HEADER_MESSAGE_ID);
  }

  get metadata(): Readonly<Record<string, string>> {
    const lazy = (this.#lazy ??= {});
    if (lazy.metadata === undefined) {
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
      lazy.metadata = Object.freeze(parsed);
    }
    return lazy.metadata;
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

  /** The fields as a plain object (JSON.stringify, loggers). */
  toJSON(): { topic: string; partition: number; offset: number; key: Buffer | null; value: Buffer | null; timestamp: number | undefined; headerList: ReadonlyArray<readonly [string, Buffer]>; attempt: number } {
    return { topic: this.topic, partition: this.partition, offset: this.offset, key: this.key, value: this.value, timestamp: this.timestamp, headerList: this.headerList, attempt: this.attempt };
  }
}

function flattenHeaders(headers: NativeHeaders): ReadonlyArray<readonly [string, Buffer]> {
  const out: Array<readonly [string, Buffer]> = [];
  for (const h of headers) {
    for (const name in h) {
      const v = h[name]!;
      out.push([name, typeof v === 'string' ? Buffer.from(v) : v]);
    }
  }
  return out;
}
