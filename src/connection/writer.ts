import type { DeliveryResult } from '../producer/engine.js';
import { newMessage, type MessageKey, type MessageValue } from '../producer/message.js';
import type { Producer, PublishOutcome } from '../producer/producer.js';

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
      return this.#producer.publish(this.#build(value, options));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** Publishes many values in order; one outcome per value. */
  writeBatch(entries: ReadonlyArray<{ value: MessageValue } & WriteOptions>): Promise<PublishOutcome[]> {
    try {
      return this.#producer.publishBatch(entries.map((e) => this.#build(e.value, e)));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  #build(value: MessageValue, options: WriteOptions | undefined) {
    const m = newMessage(this.topic, value);
    if (options === undefined) return m;
    if (options.key !== undefined) m.withKey(options.key);
    if (options.id !== undefined) m.withId(options.id);
    if (options.headers !== undefined) for (const [k, v] of Object.entries(options.headers)) m.withHeader(k, v);
    if (options.metadata !== undefined) for (const [k, v] of Object.entries(options.metadata)) m.withMetadata(k, v);
    return m;
  }
}
