export type Operation = 'publish' | 'consume';

/** One (topic, operation)'s counts: plain fields bumped on the hot path. */
export class TopicCounters {
  total = 0;
  success = 0;
  /** Failures by error type (class or code). */
  readonly errors = new Map<string, number>();
  retries = 0;
  deadLettered = 0;

  get failed(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}

/** Topics counted one by one per operation; further ones are counted under OTHER_TOPICS. */
export const MAX_TOPICS = 10_000;
export const OTHER_TOPICS = '_other_topics';

/** getStatistics()'s per-topic counters. */
export interface TopicStatistics {
  /** Messages of publish() / send() / publishBatch() handed to the producer (a message refused while being encoded is not). */
  readonly published: number;
  /** Acknowledged by the broker. */
  readonly publishSucceeded: number;
  /** Handed to the producer, then reported failed to the caller. */
  readonly publishFailed: number;
  /** Library-level re-produce attempts (idempotence off only; dead-letter writes included). */
  readonly publishRetries: number;
  /** Fetched messages taken in by a handler's partitions (not those of a partition being revoked). */
  readonly consumed: number;
  /** Handled successfully (consumed = handled + deadLettered + still in flight). */
  readonly handled: number;
  /** Handler runs retried after a failure. */
  readonly retried: number;
  /** Written to the dead-letter topic. */
  readonly deadLettered: number;
}

/**
 * The message counters of one connection manager, per operation and topic: always on (a field
 * increment per message, the topic's entry found by a last-topic check before the Map), read by
 * getStatistics() and, when a metrics registry is configured, by the Prometheus counters at scrape
 * time. No label strings or objects per message.
 */
export class CounterStore {
  readonly byOperation: Readonly<Record<Operation, Map<string, TopicCounters>>> = { publish: new Map(), consume: new Map() };
  #lastPublishTopic: string | undefined;
  #lastPublish: TopicCounters | undefined;

  /**
   * The counters of one (topic, operation); callers keep the object and bump its fields. Beyond
   * MAX_TOPICS topics per operation, new topics share the `OTHER_TOPICS` entry (an app with
   * unbounded dynamic topic names must not grow memory and Prometheus series without bound).
   */
  counters(topic: string, op: Operation): TopicCounters {
    const byTopic = this.byOperation[op];
    let c = byTopic.get(topic);
    if (c === undefined) {
      if (byTopic.size >= MAX_TOPICS && topic !== OTHER_TOPICS) return this.counters(OTHER_TOPICS, op);
      c = new TopicCounters();
      byTopic.set(topic, c);
    }
    return c;
  }

  /** counters(topic, 'publish') for the hot path: most producers publish to one topic in a row. */
  publish(topic: string): TopicCounters {
    if (topic === this.#lastPublishTopic) return this.#lastPublish!;
    const c = this.counters(topic, 'publish');
    this.#lastPublishTopic = topic;
    this.#lastPublish = c;
    return c;
  }

  error(c: TopicCounters, type: string): void {
    c.errors.set(type, (c.errors.get(type) ?? 0) + 1);
  }

  /** Adds every count of this store to `into` (a closed connection's counts kept by the registry). */
  addTo(into: CounterStore): void {
    for (const op of Object.keys(this.byOperation) as Operation[]) {
      for (const [topic, c] of this.byOperation[op]) {
        const t = into.counters(topic, op);
        t.total += c.total;
        t.success += c.success;
        t.retries += c.retries;
        t.deadLettered += c.deadLettered;
        for (const [type, n] of c.errors) t.errors.set(type, (t.errors.get(type) ?? 0) + n);
      }
    }
  }

  /** Per topic, publish and consume counts side by side (getStatistics()). */
  snapshot(): Record<string, TopicStatistics> {
    const out: Record<string, TopicStatistics> = {};
    const topics = new Set([...this.byOperation.publish.keys(), ...this.byOperation.consume.keys()]);
    for (const topic of [...topics].sort()) {
      const p = this.byOperation.publish.get(topic);
      const c = this.byOperation.consume.get(topic);
      out[topic] = {
        published: p?.total ?? 0,
        publishSucceeded: p?.success ?? 0,
        publishFailed: p?.failed ?? 0,
        publishRetries: p?.retries ?? 0,
        consumed: c?.total ?? 0,
        handled: c?.success ?? 0,
        retried: c?.retries ?? 0,
        deadLettered: c?.deadLettered ?? 0,
      };
    }
    return out;
  }
}
