/** The parts of librdkafka's statistics JSON (statistics.interval.ms) the library reports. */
export interface LibrdkafkaSummary {
  readonly name: string;
  readonly type: string;
  readonly at: number;
  /** Messages / bytes waiting in the producer queue. */
  readonly msgCount: number;
  readonly msgBytes: number;
  readonly txMessages: number;
  readonly rxMessages: number;
  readonly brokers: ReadonlyArray<{ readonly name: string; readonly nodeId: number; readonly state: string; readonly rttAvgMs: number }>;
  /** Consumer lag per topic/partition as librdkafka sees it (consumer only). */
  readonly lag: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly lag: number }>;
}

interface RawStats {
  name?: string;
  type?: string;
  ts?: number;
  msg_cnt?: number;
  msg_size?: number;
  txmsgs?: number;
  rxmsgs?: number;
  brokers?: Record<string, { name?: string; nodeid?: number; state?: string; rtt?: { avg?: number } }>;
  topics?: Record<string, { partitions?: Record<string, { partition?: number; consumer_lag?: number }> }>;
}

/** Parses one statistics event (off the hot path: librdkafka emits it every interval). */
export function summarizeStats(json: string): LibrdkafkaSummary | undefined {
  let raw: RawStats;
  try {
    raw = JSON.parse(json) as RawStats;
  } catch {
    return undefined;
  }
  const brokers = Object.values(raw.brokers ?? {})
    .filter((b) => (b.nodeid ?? -1) >= 0)
    .map((b) => ({ name: b.name ?? '', nodeId: b.nodeid ?? -1, state: b.state ?? 'UNKNOWN', rttAvgMs: (b.rtt?.avg ?? 0) / 1000 }));
  const lag: Array<{ topic: string; partition: number; lag: number }> = [];
  for (const [topic, t] of Object.entries(raw.topics ?? {})) {
    for (const p of Object.values(t.partitions ?? {})) {
      if ((p.partition ?? -1) >= 0 && typeof p.consumer_lag === 'number' && p.consumer_lag >= 0) lag.push({ topic, partition: p.partition!, lag: p.consumer_lag });
    }
  }
  return {
    name: raw.name ?? '',
    type: raw.type ?? '',
    at: Date.now(),
    msgCount: raw.msg_cnt ?? 0,
    msgBytes: raw.msg_size ?? 0,
    txMessages: raw.txmsgs ?? 0,
    rxMessages: raw.rxmsgs ?? 0,
    brokers,
    lag,
  };
}
