import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import { LABEL, METRIC } from './semconv.js';

export type Operation = 'publish' | 'consume' | 'dead_letter';

/** Plain counters on the hot path; prom-client reads them at scrape time (collect()). */
class TopicCounters {
  total = 0;
  success = 0;
  readonly errors = new Map<string, number>();
  retries = 0;
  deadLettered = 0;
}

export interface GaugeSource {
  /** Called at scrape time: set gauges from live state. */
  collect(m: KafkaMetrics): void;
}

const PUBLISH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CONSUME_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The library's Prometheus metrics. Counting costs a field increment on the hot path: the counters
 * live in plain objects per (topic, operation) and are copied into prom-client at scrape time.
 * Labels are low-cardinality only (topic, operation, error type, partition, group).
 */
export class KafkaMetrics {
  static readonly #byRegistry = new WeakMap<Registry, KafkaMetrics>();

  /** One instance per registry (prom-client refuses a second registration of a name). */
  static for(registry: Registry = defaultRegistry): KafkaMetrics {
    let m = KafkaMetrics.#byRegistry.get(registry);
    if (m === undefined) {
      m = new KafkaMetrics(registry);
      KafkaMetrics.#byRegistry.set(registry, m);
    }
    return m;
  }

  readonly registry: Registry;
  readonly #counters = new Map<string, TopicCounters>();
  readonly #sources = new Set<GaugeSource>();
  readonly publishDuration: Histogram<string>;
  readonly consumeDuration: Histogram<string>;
  readonly #publishChild = new Map<string, { observe(v: number): void }>();
  readonly #consumeChild = new Map<string, { observe(v: number): void }>();
  readonly lag: Gauge<string>;
  readonly inflight: Gauge<string>;
  readonly poolUtilization: Gauge<string>;
  readonly poolQueueDepth: Gauge<string>;
  readonly pausedPartitions: Gauge<string>;
  readonly librdkafka: {
    readonly queueMessages: Gauge<string>;
    readonly queueBytes: Gauge<string>;
    readonly txMessages: Gauge<string>;
    readonly rxMessages: Gauge<string>;
    readonly brokerRtt: Gauge<string>;
    readonly brokerUp: Gauge<string>;
  };

  private constructor(registry: Registry) {
    this.registry = registry;
    const self = this;
    // Registered first, so the live-state gauges below are refreshed before they are read.
    new Gauge({
      name: 'kafka_library_info',
      help: 'Always 1; refreshes the live-state gauges of @gocoffee/kafka when scraped.',
      registers: [registry],
      collect() {
        this.set(1);
        for (const s of self.#sources) s.collect(self);
      },
    });

    const counter = (name: string, help: string, labels: string[], read: (c: TopicCounters, emit: (labels: Record<string, string>, v: number) => void, topic: string, op: string) => void) =>
      new Counter({
        name,
        help,
        labelNames: labels,
        registers: [registry],
        collect() {
          this.reset();
          for (const [key, c] of self.#counters) {
            const i = key.indexOf('\u0000');
            const topic = key.slice(0, i);
            const op = key.slice(i + 1);
            read(c, (l, v) => {
              if (v > 0) this.inc(l, v);
            }, topic, op);
          }
        },
      });
    counter(METRIC.MESSAGES_TOTAL, 'Messages handled by the library (published or consumed).', [LABEL.TOPIC, LABEL.OPERATION], (c, emit, topic, op) => emit({ topic, operation: op }, c.total));
    counter(METRIC.MESSAGES_SUCCESS_TOTAL, 'Messages published (acknowledged) or consumed (handled) successfully.', [LABEL.TOPIC, LABEL.OPERATION], (c, emit, topic, op) => emit({ topic, operation: op }, c.success));
    counter(METRIC.MESSAGES_ERROR_TOTAL, 'Messages that failed to publish, or whose handling failed for good.', [LABEL.TOPIC, LABEL.OPERATION, LABEL.ERROR_TYPE], (c, emit, topic, op) => {
      for (const [type, n] of c.errors) emit({ topic, operation: op, error_type: type }, n);
    });
    counter(METRIC.RETRIES_TOTAL, 'Retries of failed publishes and failed handler runs.', [LABEL.TOPIC, LABEL.OPERATION], (c, emit, topic, op) => emit({ topic, operation: op }, c.retries));
    counter(METRIC.DEAD_LETTERED_TOTAL, 'Messages parked in a dead-letter topic (by source topic).', [LABEL.TOPIC], (c, emit, topic, op) => {
      if (op === 'consume') emit({ topic }, c.deadLettered);
    });
    this.publishDuration = new Histogram({ name: METRIC.PUBLISH_DURATION_SECONDS, help: 'Time from publish() to the broker acknowledgement.', labelNames: [LABEL.TOPIC], buckets: PUBLISH_BUCKETS, registers: [registry] });
    this.consumeDuration = new Histogram({ name: METRIC.CONSUME_DURATION_SECONDS, help: 'Time from fetching a message to finishing it (queueing, handler, retries).', labelNames: [LABEL.TOPIC], buckets: CONSUME_BUCKETS, registers: [registry] });
    const gauge = (name: string, help: string, labels: string[]) => new Gauge({ name, help, labelNames: labels, registers: [registry] });
    this.lag = gauge(METRIC.CONSUMER_LAG, 'Messages between the committable offset and the end of the partition.', [LABEL.GROUP, LABEL.TOPIC, LABEL.PARTITION]);
    this.inflight = gauge(METRIC.INFLIGHT_MESSAGES, 'Messages in flight: published and not yet acknowledged, or fetched and not yet done.', [LABEL.COMPONENT]);
    this.poolUtilization = gauge(METRIC.POOL_UTILIZATION, 'Worker-pool utilisation (0..1).', [LABEL.GROUP]);
    this.poolQueueDepth = gauge(METRIC.POOL_QUEUE_DEPTH, 'Tasks waiting for a worker.', [LABEL.GROUP]);
    this.pausedPartitions = gauge(METRIC.PAUSED_PARTITIONS, 'Partitions paused by backpressure or a failing dead-letter write.', [LABEL.GROUP]);
    this.librdkafka = {
      queueMessages: gauge(METRIC.LIBRDKAFKA_QUEUE_MESSAGES, 'librdkafka: messages in the producer queue (msg_cnt).', [LABEL.CLIENT]),
      queueBytes: gauge(METRIC.LIBRDKAFKA_QUEUE_BYTES, 'librdkafka: bytes in the producer queue (msg_size).', [LABEL.CLIENT]),
      txMessages: gauge(METRIC.LIBRDKAFKA_TX_MESSAGES_TOTAL, 'librdkafka: messages sent to brokers (txmsgs).', [LABEL.CLIENT]),
      rxMessages: gauge(METRIC.LIBRDKAFKA_RX_MESSAGES_TOTAL, 'librdkafka: messages received from brokers (rxmsgs).', [LABEL.CLIENT]),
      brokerRtt: gauge(METRIC.LIBRDKAFKA_BROKER_RTT_SECONDS, 'librdkafka: average broker round-trip time.', [LABEL.CLIENT, LABEL.BROKER]),
      brokerUp: gauge(METRIC.LIBRDKAFKA_BROKER_STATE_UP, 'librdkafka: 1 when the broker connection is UP.', [LABEL.CLIENT, LABEL.BROKER]),
    };
  }

  /** The counters of one (topic, operation); callers keep the object and bump its fields. */
  counters(topic: string, op: Operation): TopicCounters {
    const key = `${topic}\u0000${op}`;
    let c = this.#counters.get(key);
    if (c === undefined) {
      c = new TopicCounters();
      this.#counters.set(key, c);
    }
    return c;
  }

  error(c: TopicCounters, type: string): void {
    c.errors.set(type, (c.errors.get(type) ?? 0) + 1);
  }

  observePublish(topic: string, seconds: number): void {
    let h = this.#publishChild.get(topic);
    if (h === undefined) {
      h = this.publishDuration.labels(topic);
      this.#publishChild.set(topic, h);
    }
    h.observe(seconds);
  }

  observeConsume(topic: string, seconds: number): void {
    let h = this.#consumeChild.get(topic);
    if (h === undefined) {
      h = this.consumeDuration.labels(topic);
      this.#consumeChild.set(topic, h);
    }
    h.observe(seconds);
  }

  addSource(s: GaugeSource): void {
    this.#sources.add(s);
  }

  removeSource(s: GaugeSource): void {
    this.#sources.delete(s);
  }
}

export type { TopicCounters };
