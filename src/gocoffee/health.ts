import type { TopicStatistics } from '../diagnostics/counters.js';
import type { LibrdkafkaSummary } from '../diagnostics/statistics.js';
import type { Manager } from './manager.js';

export interface PartitionHealth {
  readonly topic: string;
  readonly partition: number;
  readonly paused: boolean;
  /** High watermark minus the committable offset (messages not yet done), when known. */
  readonly lag: number | undefined;
}

export interface HealthStatus {
  readonly healthy: boolean;
  readonly error?: string;
  readonly responseTimeMs: number;
  readonly details: {
    readonly state: string;
    readonly brokers?: number;
    readonly metadataMs?: number;
    readonly producer?: { readonly inflight: number; readonly waitingForQueue: number; readonly fatalError?: string };
    readonly consumer?: ReadonlyArray<{
      readonly groupId: string;
      readonly assigned: number;
      readonly inFlight: number;
      readonly partitions: readonly PartitionHealth[];
      /** Handler runs that hit handlerTimeoutMs since start. */
      readonly handlerTimeouts: number;
      /** Partitions paused because their dead-letter writes fail (`permanent`: retrying cannot clear it). */
      readonly deadLetterBlocked: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly error: string; readonly permanent: boolean; readonly since: number }>;
      /**
       * Dispatch held by failures outside the handler (pool tasks that cannot start, key lanes
       * waiting out an infrastructure failure): how many, for how long, and the last reason.
       * Unhealthy once `oldestMs` reaches ManagerOptions.heldDispatchUnhealthyAfterMs.
       */
      readonly held: { readonly handlers: number; readonly lanes: number; readonly oldestMs: number; readonly reason: string };
    }>;
    /** Set when a consumer group met a fatal error (the consumer is `failed` until restarted). */
    readonly consumerFailure?: string;
    /** The Schema Registry probe; absent when the Manager has none (every event JSON). */
    readonly registry?: { readonly url: string; readonly reachable: boolean; readonly error?: string; readonly responseTimeMs: number };
  };
}

export interface Statistics {
  readonly state: string;
  readonly topics: readonly string[];
  readonly producer: {
    /**
     * Topics this Manager's connection writes to: every topic it has handed a message to (events
     * of the Manager and EventBus, `producer.publish()` / `send()` / `publishBatch()`, writers;
     * dead-letter copies aside), plus the `getWriter()` views not yet written through. Go counts
     * the writers its ConnectionManager opened, one per topic published to.
     */
    readonly writersCount: number;
    readonly inflight: number;
    readonly waitingForQueue: number;
  };
  readonly consumer: {
    /**
     * (topic, consumer group) subscriptions of the Manager's consumer while it runs (one per topic
     * of each handler, default handlers included), plus the open `getReader()` readers. Go counts
     * the readers its Consumer opened, one per topic and group.
     */
    readonly readersCount: number;
    readonly groups: ReadonlyArray<{ readonly groupId: string; readonly consumed: number; readonly processed: number; readonly retried: number; readonly deadLettered: number; readonly inFlight: number; readonly assigned: number; readonly paused: number }>;
  };
  /** Message counters per topic since the connection was created (publish and consume side). */
  readonly perTopic: Readonly<Record<string, TopicStatistics>>;
  /**
   * The last librdkafka statistics summaries (queue, tx/rx messages, brokers with state and RTT,
   * consumer lag): of the shared producer and of each consumer group's consumer. Present only when
   * statistics are on (`telemetry.statisticsIntervalMs`, default 15 s with metrics) and one arrived.
   */
  readonly librdkafka: { readonly producer?: LibrdkafkaSummary; readonly consumers: Readonly<Record<string, LibrdkafkaSummary>> };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A GET /subjects through the Manager's own registry client, so with exactly its credentials
 * (username/password, or the ones in the URL, which the client takes out of the shown URL) and TLS
 * settings — a probe with the redacted URL would be refused (401) and restart a service whose
 * registry is fine.
 */
async function registryHealth(m: Manager, timeoutMs: number): Promise<NonNullable<HealthStatus['details']['registry']>> {
  const url = m.registry.url;
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([m.registry.subjects(), timeout]);
    return { url, reachable: true, responseTimeMs: performance.now() - t0 };
  } catch (e) {
    return { url, reachable: false, error: message(e), responseTimeMs: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One health check: a metadata round trip through the producer's connections (so with the
 * configured SASL/TLS, not a bare TCP dial), the producer's queue and fatal state, each consumer
 * group's assignment, paused partitions and lag, and registry reachability (when the Manager has a
 * registry: one whose events are all JSON has none to probe). Never throws.
 */
export async function checkHealth(m: Manager): Promise<HealthStatus> {
  const t0 = performance.now();
  const state = m.state;
  if (state !== 'ready') {
    return { healthy: false, error: `Kafka manager is ${state}: call initialize() first`, responseTimeMs: performance.now() - t0, details: { state } };
  }
  const timeout = m.config.connectTimeoutMs;
  const problems: string[] = [];
  let brokers: number | undefined;
  let metadataMs: number | undefined;
  const registryP = m.hasRegistry ? registryHealth(m, timeout) : undefined;
  try {
    const t = performance.now();
    const md = await m.connection.metadata(undefined, timeout);
    metadataMs = performance.now() - t;
    brokers = md.brokers.length;
  } catch (e) {
    problems.push(`metadata request failed: ${message(e)}`);
  }
  let producer: NonNullable<HealthStatus['details']['producer']> | undefined;
  try {
    const engine = m.connection.producerEngine();
    const fatal = engine.fatalError;
    producer = { inflight: engine.inflightCount, waitingForQueue: engine.waitingCount, ...(fatal ? { fatalError: fatal.message } : {}) };
    if (fatal) problems.push(`producer fatal error: ${fatal.message}`);
  } catch (e) {
    problems.push(`producer: ${message(e)}`);
  }
  const consumer = m.consumer.groups.map((g) => {
    const paused = new Set(g.pausedPartitions.map((p) => `${p.topic}/${p.partition}`));
    const partitions = g.watermarks.map((w) => {
      let lag: number | undefined;
      try {
        const wm = g.native?.getWatermarkOffsets(w.topic, w.partition);
        if (wm !== undefined && wm.highOffset >= 0 && w.offset >= 0) lag = Math.max(0, wm.highOffset - w.offset);
      } catch {
        lag = undefined;
      }
      return { topic: w.topic, partition: w.partition, paused: paused.has(`${w.topic}/${w.partition}`), lag };
    });
    const blocked = g.deadLetterBlocked.map((b) => ({ topic: b.topic, partition: b.partition, error: b.error.message, permanent: b.permanent, since: b.since }));
    for (const b of blocked) {
      if (b.permanent) problems.push(`dead-letter writes of ${b.topic}[${b.partition}] (group ${g.groupId}) cannot succeed: ${b.error}`);
    }
    const h = g.held;
    const held = { handlers: h.handlers, lanes: h.lanes, oldestMs: h.since === 0 ? 0 : Math.max(0, Date.now() - h.since), reason: h.reason };
    if (held.handlers + held.lanes > 0 && held.oldestMs >= m.heldDispatchUnhealthyAfterMs) {
      problems.push(`dispatch of group ${g.groupId} held for ${Math.round(held.oldestMs / 1000)} s (${held.handlers} handler(s), ${held.lanes} lane(s)): ${held.reason}`);
    }
    return { groupId: g.groupId, assigned: g.assignment.length, inFlight: g.inFlight, partitions, handlerTimeouts: g.stats.handlerTimeouts, deadLetterBlocked: blocked, held };
  });
  const failure = m.consumer.state === 'failed' ? m.consumer.failure : undefined;
  if (failure !== undefined) problems.push(`consumer failed (fatal error; stop() and start() to restart): ${failure.message}`);
  const registry = await registryP;
  if (registry !== undefined && !registry.reachable) problems.push(`schema registry unreachable: ${registry.error ?? 'unknown error'}`);
  const details = {
    state,
    ...(brokers !== undefined ? { brokers } : {}),
    ...(metadataMs !== undefined ? { metadataMs } : {}),
    ...(producer !== undefined ? { producer } : {}),
    consumer,
    ...(failure !== undefined ? { consumerFailure: failure.message } : {}),
    ...(registry !== undefined ? { registry } : {}),
  };
  const responseTimeMs = performance.now() - t0;
  return problems.length === 0 ? { healthy: true, responseTimeMs, details } : { healthy: false, error: problems.join('; '), responseTimeMs, details };
}

/** Counters and a snapshot of what is open. Never throws. */
export function collectStatistics(m: Manager): Statistics {
  let inflight = 0;
  let waiting = 0;
  try {
    const e = m.connection.producerEngine();
    inflight = e.inflightCount;
    waiting = e.waitingCount;
  } catch {
    /* not connected */
  }
  const counts = m.connection.counts;
  const producerStats = m.connection.librdkafkaStats;
  return {
    state: m.state,
    topics: m.topics.eventTopics(),
    producer: { writersCount: counts.writers, inflight, waitingForQueue: waiting },
    consumer: { readersCount: counts.readers + m.consumer.subscriptionCount, groups: m.consumer.stats() },
    perTopic: m.connection.diagnostics.counters.snapshot(),
    librdkafka: { ...(producerStats !== undefined ? { producer: producerStats } : {}), consumers: Object.fromEntries(m.consumer.librdkafkaStats) },
  };
}
