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

/**
 * Oldest librdkafka the library supports (retry.backoff.max.ms, cooperative incremental
 * rebalancing fixes). Guards against the binding picking up an old system librdkafka at run time
 * (e.g. through LD_LIBRARY_PATH) whose features would otherwise pass the check.
 */
export const MIN_LIBRDKAFKA_VERSION = '2.2.0';

function versionTuple(v: string): number[] {
  return v.split(/[.-]/).slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
}

export function isVersionAtLeast(v: string, min: string): boolean {
  const a = versionTuple(v);
  const b = versionTuple(min);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Throws {@link NativeFeatureError} naming every missing feature and its system package. */
export function assertFeatures(features: readonly string[], librdkafkaVersion: string): void {
  if (!isVersionAtLeast(librdkafkaVersion, MIN_LIBRDKAFKA_VERSION)) {
    throw new NativeFeatureError(
      [{ feature: `librdkafka >= ${MIN_LIBRDKAFKA_VERSION}`, provider: `the loaded librdkafka is ${librdkafkaVersion}; make sure node-rdkafka loads its bundled build (check LD_LIBRARY_PATH) or upgrade node-rdkafka` }],
      librdkafkaVersion,
    );
  }
  const have = new Set(features);
  const missing = REQUIRED_FEATURES.filter((f) => !have.has(f.feature));
  if (missing.length > 0) throw new NativeFeatureError(missing, librdkafkaVersion);
}
