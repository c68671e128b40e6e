import { NativeFeatureError } from '../errors/base.js';
import type { NativeConfig } from './types.js';

/**
 * Optional librdkafka features and where each comes from when node-rdkafka builds its bundled
 * librdkafka during `npm ci`. The packages are Debian/Ubuntu names; the README lists the equivalents
 * for other systems. None is needed to load the library: each is checked when a client whose
 * configuration uses it is created (see {@link assertConfigFeatures}).
 */
export const OPTIONAL_FEATURES: Readonly<Record<string, string>> = Object.freeze({
  ssl: 'OpenSSL headers: apt-get install libssl-dev',
  sasl_plain: 'built into librdkafka; rebuild node-rdkafka (npm rebuild node-rdkafka)',
  sasl_scram: 'OpenSSL headers (SCRAM needs libcrypto): apt-get install libssl-dev',
  sasl_oauthbearer: 'OpenSSL headers (OAUTHBEARER needs libcrypto): apt-get install libssl-dev',
  sasl_gssapi: 'Cyrus SASL headers (Kerberos): apt-get install libsasl2-dev',
  gzip: 'zlib headers: apt-get install zlib1g-dev',
  snappy: 'built into librdkafka; rebuild node-rdkafka (npm rebuild node-rdkafka)',
  lz4: 'LZ4 headers: apt-get install liblz4-dev',
  zstd: 'Zstandard headers: apt-get install libzstd-dev',
});

/** The features a full build has (what `npm ci` produces after the README's apt line). */
export const REQUIRED_FEATURES: readonly { feature: string; provider: string }[] = Object.freeze(
  ['ssl', 'sasl_plain', 'sasl_scram', 'gzip', 'snappy', 'lz4', 'zstd'].map((feature) => Object.freeze({ feature, provider: OPTIONAL_FEATURES[feature]! })),
);

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

/** Load-time check: only the version. Missing optional features are reported where they are used. */
export function assertLibrdkafkaVersion(librdkafkaVersion: string): void {
  if (!isVersionAtLeast(librdkafkaVersion, MIN_LIBRDKAFKA_VERSION)) {
    throw new NativeFeatureError(
      [{ feature: `librdkafka >= ${MIN_LIBRDKAFKA_VERSION}`, provider: `the loaded librdkafka is ${librdkafkaVersion}; make sure node-rdkafka loads its bundled build (check LD_LIBRARY_PATH) or upgrade node-rdkafka` }],
      librdkafkaVersion,
    );
  }
}

const CODEC_FEATURE: Readonly<Record<string, string>> = { gzip: 'gzip', snappy: 'snappy', lz4: 'lz4', zstd: 'zstd' };
const MECHANISM_FEATURE: Readonly<Record<string, string>> = {
  PLAIN: 'sasl_plain',
  'SCRAM-SHA-256': 'sasl_scram',
  'SCRAM-SHA-512': 'sasl_scram',
  OAUTHBEARER: 'sasl_oauthbearer',
  GSSAPI: 'sasl_gssapi',
};

function prop(global: NativeConfig, topic: NativeConfig | undefined, ...names: string[]): string | undefined {
  for (const conf of topic ? [topic, global] : [global]) {
    for (const n of names) {
      const v = conf[n];
      if (v !== undefined && v !== null && String(v) !== '') return String(v);
    }
  }
  return undefined;
}

/** Each optional feature a librdkafka configuration needs, with the property that needs it. */
export function featuresNeeded(global: NativeConfig, topic?: NativeConfig): { feature: string; because: string }[] {
  const needed: { feature: string; because: string }[] = [];
  const codec = prop(global, topic, 'compression.type', 'compression.codec')?.toLowerCase();
  if (codec !== undefined && CODEC_FEATURE[codec]) needed.push({ feature: CODEC_FEATURE[codec], because: `compression.type=${codec}` });
  const protocol = (prop(global, undefined, 'security.protocol') ?? 'plaintext').toLowerCase();
  if (protocol === 'ssl' || protocol === 'sasl_ssl') needed.push({ feature: 'ssl', because: `security.protocol=${protocol}` });
  if (protocol === 'sasl_plaintext' || protocol === 'sasl_ssl') {
    // librdkafka's default mechanism is GSSAPI.
    const mechanism = (prop(global, undefined, 'sasl.mechanisms', 'sasl.mechanism') ?? 'GSSAPI').toUpperCase();
    const feature = MECHANISM_FEATURE[mechanism];
    if (feature) needed.push({ feature, because: `sasl.mechanisms=${mechanism}` });
  }
  return needed;
}

/**
 * Throws {@link NativeFeatureError} naming each feature the configuration needs that the loaded
 * librdkafka lacks, the property that needs it and the system package that provides it. Called
 * where every native client is created, so it fails at initialize()/connect, not at import.
 */
export function assertConfigFeatures(have: { features: readonly string[]; librdkafkaVersion: string }, global: NativeConfig, topic?: NativeConfig): void {
  const present = new Set(have.features);
  const missing = featuresNeeded(global, topic).filter((n) => !present.has(n.feature));
  if (missing.length === 0) return;
  throw new NativeFeatureError(
    missing.map((m) => ({ feature: m.feature, provider: `needed for ${m.because}; ${OPTIONAL_FEATURES[m.feature]}` })),
    have.librdkafkaVersion,
  );
}
