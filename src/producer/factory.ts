import { InvalidArgumentError } from '../errors/base.js';
import { TOPIC_ONLY_PROPERTIES, toLibrdkafkaConfig, type KafkaConfig, type LibrdkafkaConfig, type LibrdkafkaValue } from '../config/index.js';
import type { NativeBinding } from '../native/types.js';
import { librdkafkaLogForwarder, type Diagnostics } from '../diagnostics/diagnostics.js';
import { ProducerEngine, type EngineOptions } from '../delivery/index.js';
import { guaranteeProperties, type Guarantees } from './guarantees.js';

/** Everything one native producer is built from (createProducerEngine). */
export interface ProducerEngineSpec {
  readonly binding: NativeBinding;
  readonly config: KafkaConfig;
  readonly diagnostics: Diagnostics;
  /** acks and idempotence of this producer (resolveGuarantees). */
  readonly guarantees: Guarantees;
  /**
   * librdkafka properties a specialised producer needs on top of the config mapping and the
   * guarantees (e.g. `transactional.id`): the one place they are set. A function gets the mapped
   * properties (guarantees applied) to derive them (e.g. a timeout clamped to one of them). Topic
   * properties are put in the topic configuration. acks and idempotence are refused here: they are
   * `guarantees`.
   */
  readonly librdkafka?: Readonly<Record<string, LibrdkafkaValue>> | ((mapped: Readonly<LibrdkafkaConfig>) => Readonly<Record<string, LibrdkafkaValue>>);
  /** How long publish waits for room in a full local queue. Default: write_timeout. */
  readonly enqueueTimeoutMs?: number;
  /** Default 5 ms. */
  readonly pollIntervalMs?: number;
  readonly maxInFlight?: number;
  /** Hears every producer error (after it is logged). */
  readonly onError?: (err: Error) => void;
  /** librdkafka statistics documents; statistics are only enabled for a producer that listens. */
  readonly onStats?: (json: string) => void;
  /** Added to this producer's log lines (e.g. its acks), so several producers can be told apart. */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /** What its log lines call it: "<kind> error" (default "producer"; e.g. "transactional producer"). */
  readonly kind?: string;
}

/** Properties a spec's `librdkafka` may not set: they are the guarantees. */
const GUARANTEE_PROPERTIES: ReadonlySet<string> = new Set(['acks', 'request.required.acks', 'enable.idempotence']);

/**
 * The librdkafka configuration of a producer: the config's producer mapping (toLibrdkafkaConfig,
 * security and batching shared with every other connection), then the producer's guarantees, then
 * its own properties.
 */
export function producerProperties(spec: Pick<ProducerEngineSpec, 'config' | 'guarantees' | 'librdkafka'>): LibrdkafkaConfig {
  const cfg = toLibrdkafkaConfig(spec.config, 'producer');
  const g = guaranteeProperties(spec.guarantees);
  const global: Record<string, LibrdkafkaValue> = { ...cfg.global, ...g.global };
  const topic: Record<string, LibrdkafkaValue> = { ...cfg.topic, ...g.topic };
  const own = typeof spec.librdkafka === 'function' ? spec.librdkafka({ global: { ...global }, topic: { ...topic } }) : spec.librdkafka;
  for (const [property, value] of Object.entries(own ?? {})) {
    const p = property.trim().toLowerCase();
    if (GUARANTEE_PROPERTIES.has(p)) {
      throw new InvalidArgumentError(`producer librdkafka[${JSON.stringify(property)}]`, 'set through the producer guarantees (acks, idempotent), not as a property');
    }
    if (TOPIC_ONLY_PROPERTIES.has(p)) topic[property] = value;
    else global[property] = value;
  }
  return { global, topic };
}

/** A ProducerEngine subclass a specialised producer builds through the factory (e.g. transactional). */
export type EngineConstructor<E extends ProducerEngine> = new (binding: NativeBinding, global: LibrdkafkaConfig['global'], topic: LibrdkafkaConfig['topic'], opts: EngineOptions) => E;

/**
 * THE factory of native producers: the client's shared producer and every producer of
 * createProducer() are built here, so they share the config mapping, the logging of errors,
 * retries and librdkafka log lines, and differ only in what the spec says (`Engine`: a subclass
 * with calls of its own, e.g. transactions). The engine is returned unconnected (the caller
 * connects it and owns its close).
 */
export function createProducerEngine<E extends ProducerEngine = ProducerEngine>(spec: ProducerEngineSpec, Engine?: EngineConstructor<E>): E {
  const { config, diagnostics: t, guarantees } = spec;
  const props = producerProperties(spec);
  const global = spec.onStats !== undefined && t.statisticsIntervalMs > 0 ? { ...props.global, 'statistics.interval.ms': t.statisticsIntervalMs } : props.global;
  const fields = spec.logFields ?? {};
  const onError = spec.onError;
  const onStats = spec.onStats;
  const errorLine = `${spec.kind ?? 'producer'} error`;
  const opts: EngineOptions = {
    clientId: config.clientId,
    connectTimeoutMs: config.connectTimeoutMs,
    retryMax: config.retryMax,
    // Library-level re-produce only without idempotence (EngineOptions.retryDelivered).
    retryDelivered: !guarantees.idempotent,
    retryBackoffMs: config.retryBackoffMs,
    enqueueTimeoutMs: spec.enqueueTimeoutMs ?? config.writeTimeoutMs,
    pollIntervalMs: spec.pollIntervalMs ?? 5,
    ...(spec.maxInFlight !== undefined ? { maxInFlight: spec.maxInFlight } : {}),
    onError: (err) => {
      t.log('error', 'producer', { ...fields, err: { message: t.redact(err.message), code: (err as { code?: string }).code } }, errorLine);
      onError?.(err);
    },
    onRetry: (topic, attempt, err) => {
      t.log('warn', 'producer', { ...fields, topic, attempt, error_type: (err as { code?: string }).code }, 'retrying a failed publish');
    },
    onLog: librdkafkaLogForwarder(t, fields),
    ...(onStats !== undefined ? { onStats } : {}),
  };
  return Engine !== undefined ? new Engine(spec.binding, global, props.topic, opts) : (new ProducerEngine(spec.binding, global, props.topic, opts) as E);
}
