import type { GroupConsumer } from './group/group-consumer.js';

/** What Consumer.stats() reports per group (moved out of consumer.ts, which re-exports the types). */
export interface ConsumerStats {
  readonly groupId: string;
  readonly consumed: number;
  readonly processed: number;
  readonly retried: number;
  readonly deadLettered: number;
  readonly taskErrors: number;
  /** Handler runs that hit handlerTimeoutMs (retried or dead-lettered with HandlerTimeoutError). */
  readonly handlerTimeouts: number;
  /**
   * Partitions paused because their dead-letter writes fail; `permanent`: retrying cannot clear it
   * (not authorized, invalid topic, even the reduced copy too large) — the consumer is unhealthy.
   */
  readonly deadLetterBlocked: ReadonlyArray<{ topic: string; partition: number; error: string; permanent: boolean; since: number }>;
  /**
   * Dispatch held by infrastructure failures (no attempt charged, so retried/deadLettered do not
   * show them): `heldHandlers` handlers whose last task never started (the pool refused it, a
   * replacement worker could not load the handler module), `heldLanes` messages waiting to run
   * again after a failure of the infrastructure (e.g. the registry unreachable), each holding its
   * key lane; `oldestHeldMs` how long the oldest of them has been held (0: none), `heldReason` the
   * last such failure ('' when none is held). Health: held for long means the consumer makes no
   * progress on those messages until the infrastructure recovers.
   */
  readonly heldHandlers: number;
  readonly heldLanes: number;
  readonly oldestHeldMs: number;
  readonly heldReason: string;
  readonly rebalances: number;
  readonly inFlight: number;
  readonly assigned: number;
  /** Partitions paused for any reason: backpressure, dead-letter failures, pause(), a seek's drain. */
  readonly paused: number;
  /**
   * The batch engine's consumer counters (undefined before start): slabs handed to JS, the
   * messages and bytes in them, the largest slab seen, the slab bound (`fetchBatchSize` messages)
   * and librdkafka wake-ups.
   */
  readonly engine: EngineConsumerStats | undefined;
}

/** Counters of a group's engine consumer (src/native/addon/consumer-close.cc, Stats()), cumulative since start. */
export interface EngineConsumerStats {
  readonly wakeups: number;
  readonly slabs: number;
  readonly messages: number;
  readonly slabBytes: number;
  readonly maxSlabBytes: number;
  readonly maxSlabMessages: number;
}

/** One group's counters at `now` (epoch ms). */
export function groupStats(g: GroupConsumer, now: number): ConsumerStats {
  const s = g.stats;
  const held = g.held;
  return {
    groupId: g.groupId,
    consumed: s.consumed,
    processed: s.processed,
    retried: s.retried,
    deadLettered: s.deadLettered,
    taskErrors: s.taskErrors,
    handlerTimeouts: s.handlerTimeouts,
    deadLetterBlocked: g.deadLetterBlocked.map((b) => ({ topic: b.topic, partition: b.partition, error: b.error.message, permanent: b.permanent, since: b.since })),
    heldHandlers: held.handlers,
    heldLanes: held.lanes,
    oldestHeldMs: held.since === 0 ? 0 : Math.max(0, now - held.since),
    heldReason: held.reason,
    rebalances: s.rebalances,
    inFlight: g.inFlight,
    assigned: g.assignedCount,
    paused: g.pausedCount,
    engine: engineCounters(g.engineStats),
  };
}

function engineCounters(e: Record<string, number> | undefined): EngineConsumerStats | undefined {
  if (e === undefined) return undefined;
  return {
    wakeups: e['wakeups'] ?? 0,
    slabs: e['slabs'] ?? 0,
    messages: e['messages'] ?? 0,
    slabBytes: e['slabBytes'] ?? 0,
    maxSlabBytes: e['maxSlabBytes'] ?? 0,
    maxSlabMessages: e['maxSlabMessages'] ?? 0,
  };
}
