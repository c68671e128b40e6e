import { NativeFeatureError } from '../errors/base.js';

/**
 * librdkafka features the library relies on, and where each comes from when node-rdkafka builds its
 * bundled librdkafka during `npm ci`. The packages are Debian/Ubuntu names; the README lists the
 * equivalents for other systems.
 */
export const REQUIRED_FEATURES: readonly { feature: string; provider: string }[] = Object.freeze([
  { feature: 'ssl', provider: 'OpenSSL headers: apt-get install libssl-dev' },
  { feature: 'sasl_plain', provider: 'built into librdkafka; rebuild node-rdkafka (npm rebuild node-rdkafka)' },
  { feature: 'sasl_scram', provider: 'OpenSSL headers (SCRAM needs libcrypto): apt-get install libssl-dev' },
  { feature: 'gzip', provider: 'zlib headers: apt-get install zlib1g-dev' },
  { feature: 'snappy', provider: 'built into librdkafka; rebuild node-rdkafka (npm rebuild node-rdkafka)' },
  { feature: 'lz4', provider: 'LZ4 headers: apt-get install liblz4-dev' },
  { feature: 'zstd', provider: 'Zstandard headers: apt-get install libzstd-dev' },
]);

/** Throws {@link NativeFeatureError} naming every missing feature and its system package. */
export function assertFeatures(features: readonly string[], librdkafkaVersion: string): void {
  const have = new Set(features);
  const missing = REQUIRED_FEATURES.filter((f) => !have.has(f.feature));
  if (missing.length > 0) throw new NativeFeatureError(missing, librdkafkaVersion);
}
