import { TopicAdmin, benchConfig, brokerCount } from './kafka.js';
import type { BenchContext, BenchOptions } from './types.js';
import type { Versions } from './versions.js';

/** Builds the context every scenario runs in (used by bench/run.ts and the experiments). */
export async function createContext(
  options: BenchOptions,
  replicationFactor: number | undefined,
  versions: Versions,
  log: (m: string) => void = (m) => console.log(m),
): Promise<{ ctx: BenchContext; brokers: number }> {
  const config = benchConfig();
  const brokers = await brokerCount(config);
  const rf = replicationFactor ?? Math.min(3, brokers);
  const admin = new TopicAdmin(config);
  const ctx: BenchContext = {
    options,
    config,
    admin,
    replicationFactor: rf,
    notePeerVersion: (name, version) => (versions.peers[name] = version),
    log,
  };
  return { ctx, brokers };
}
