import { InvalidArgumentError } from '../errors/base.js';
import type { DeliveryResult } from '../delivery/index.js';
import { newMessage, type MessageKey, type MessageValue, type OutgoingMessage } from '../message/outgoing.js';
import { tallyOption, type Producer } from './producer.js';
import type { BatchSummary, PublishBatchOptions, PublishOutcome } from './types.js';

export interface WriteOptions {
  readonly key?: MessageKey;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly id?: string;
}

/** A topic-bound view over the shared producer (the seed's `GetWriter(topic)`). */
export class TopicWriter {
  readonly topic: string;
  readonly #producer: Producer;

  constructor(topic: string, producer: Producer) {
    this.topic = topic;
    this.#producer = producer;
  }

  /** Publishes one value; resolves on the broker's acknowledgement. */
  write(value: MessageValue, options?: WriteOptions): Promise<DeliveryResult> {
    try {
      return this.#producer.publish(this.#build(value, options, -1));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /**
   * Publishes many values in order; one outcome per value. A malformed entry (not an object, a bad
   * key, header or option) rejects the whole batch, before anything is published, with an
   * InvalidArgumentError naming its index.
   *
   * `options` as for Producer#publishBatch: `{ results: 'failures' }` resolves with a BatchSummary
   * (how many were delivered, the failed entries by index) instead of one outcome per value; a bad
   * option rejects before anything is published, named as writeBatch's.
   */
  writeBatch(entries: ReadonlyArray<{ value: MessageValue } & WriteOptions>, options?: PublishBatchOptions & { readonly results?: 'all' }): Promise<PublishOutcome[]>;
  writeBatch(entries: ReadonlyArray<{ value: MessageValue } & WriteOptions>, options: PublishBatchOptions & { readonly results: 'failures' }): Promise<BatchSummary>;
  writeBatch(entries: ReadonlyArray<{ value: MessageValue } & WriteOptions>, options?: PublishBatchOptions): Promise<PublishOutcome[] | BatchSummary>;
  writeBatch(entries: ReadonlyArray<{ value: MessageValue } & WriteOptions>, options?: PublishBatchOptions): Promise<PublishOutcome[] | BatchSummary> {
    try {
      tallyOption(options, 'writeBatch(entries, options)');
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (!Array.isArray(entries)) {
      return Promise.reject(new InvalidArgumentError('writeBatch(entries)', 'expected an array of { value, key?, headers?, metadata?, id? } entries'));
    }
    const messages = new Array<OutgoingMessage>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e === null || typeof e !== 'object') {
        return Promise.reject(new InvalidArgumentError(callOf(i), `expected an object { value, key?, headers?, metadata?, id? }, got ${e === null ? 'null' : typeof e}`));
      }
      try {
        messages[i] = this.#build(e.value, e, i);
      } catch (err) {
        // withKey()/withHeader()/... name the field, not the entry: add the index.
        const where = callOf(i);
        const named = err instanceof InvalidArgumentError && !err.message.startsWith(where) ? new InvalidArgumentError(where, err.message, err.context) : err;
        return Promise.reject(named as Error);
      }
    }
    try {
      return this.#producer.publishBatch(messages, options);
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** `index`: the entry of writeBatch(), or -1 for write() (named in errors). */
  #build(value: MessageValue, options: WriteOptions | undefined, index: number): OutgoingMessage {
    const m = newMessage(this.topic, value);
    if (options === undefined || options === null) return m; // write(value, null): no options
    if (options.key !== undefined) m.withKey(options.key);
    if (options.id !== undefined) m.withId(options.id);
    if (options.headers !== undefined) {
      for (const [k, v] of Object.entries(record(options.headers, index, 'headers', 'an object of header names to string or Buffer values'))) m.withHeader(k, v);
    }
    if (options.metadata !== undefined) {
      for (const [k, v] of Object.entries(record(options.metadata, index, 'metadata', 'an object of names to string values'))) m.withMetadata(k, v);
    }
    return m;
  }
}

function callOf(index: number): string {
  return index < 0 ? 'write(value, options)' : `writeBatch(entries)[${index}]`;
}

/** `value` if it is a non-null object; an InvalidArgumentError naming the call and field otherwise. */
function record<T extends object>(value: T, index: number, field: string, expected: string): T {
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError(`${callOf(index)}.${field}`, `expected ${expected}, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
}
