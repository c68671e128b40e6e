import { createRequire } from 'node:module';
import { newBatchConsumer } from './batch-consumer.js';
import { assertLibrdkafkaVersion } from './features.js';
import { createAddonBatchProducer } from './batch-producer.js';
import { newAdminClient } from './admin-addon.js';
import type { NativeAdmin, NativeBinding, NativeConfig, NativeConsumer, NativeProducer } from './types.js';

/**
 * The only module that loads node-rdkafka. The real client objects are returned as they are (they
 * satisfy the structural interfaces in `types.ts`), so no wrapper sits on the produce/consume path.
 */
export interface RdkafkaModule {
  librdkafkaVersion: string;
  features: string[];
  CODES: { ERRORS: Record<string, number> };
  Producer: new (global: NativeConfig, topic: NativeConfig) => NativeProducer;
  KafkaConsumer: new (global: NativeConfig, topic: NativeConfig) => NativeConsumer;
  /** `oauthToken`: the first OAUTHBEARER token, set before the handle connects (node-rdkafka's AdminClient.create(conf, token)). */
  AdminClient: { create(global: NativeConfig, oauthToken?: string): NativeAdmin };
}

let cached: NativeBinding | undefined;

/**
 * Builds the message → code table used to recover codes of delivery-report errors: node-rdkafka
 * passes those as `Error(err2str(code))` and lower-cases the text after "Local: " / "Broker: ".
 */
function messageTable(codes: Record<string, number>, err2str: ((code: number) => string) | undefined): Map<string, number> {
  const table = new Map<string, number>();
  if (err2str === undefined) return table;
  for (const code of Object.values(codes)) {
    const text = err2str(code);
    if (typeof text !== 'string') continue;
    const lower = text.toLowerCase();
    const colon = lower.indexOf(': ');
    table.set(lower, code);
    if (colon >= 0) table.set(lower.slice(colon + 2), code);
  }
  return table;
}

/**
 * Wraps a loaded node-rdkafka module; checks its version first. Optional features (compression
 * codecs, TLS, SASL mechanisms) are checked where a client is created (features.ts
 * assertConfigFeatures), so a
 * build without zstd still loads and serves every configuration that does not use zstd.
 * Exported for tests.
 */
export function bindingFromModule(mod: RdkafkaModule, err2str?: (code: number) => string): NativeBinding {
  assertLibrdkafkaVersion(mod.librdkafkaVersion);
  const table = messageTable(mod.CODES.ERRORS, err2str);
  return Object.freeze({
    librdkafkaVersion: mod.librdkafkaVersion,
    features: Object.freeze([...mod.features]),
    errorCodes: Object.freeze({ ...mod.CODES.ERRORS }),
    errorCodeOf: (err: { message: string; code?: number }) => {
      if (typeof err.code === 'number' && err.code !== -1) return err.code;
      return table.get(String(err.message).toLowerCase()) ?? -1;
    },
    createProducer: (global: NativeConfig, topic: NativeConfig) => new mod.Producer(global, topic),
    createBatchProducer: createAddonBatchProducer,
    createConsumer: (global: NativeConfig, topic: NativeConfig) => new mod.KafkaConsumer(global, topic),
    createBatchConsumer: (global: NativeConfig, topic: NativeConfig) => newBatchConsumer(global, topic),
    createAdmin: (global: NativeConfig, oauthToken?: string) => mod.AdminClient.create(global, oauthToken),
    createAdminClient: (global: NativeConfig, onOAuthRefresh?: () => void) => newAdminClient(global, onOAuthRefresh),
  });
}

/**
 * Loads node-rdkafka once and verifies its librdkafka version (NativeFeatureError when it is older
 * than the supported minimum).
 */
export function loadNativeBinding(): NativeBinding {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    const mod = require('node-rdkafka') as RdkafkaModule;
    const lib = require('node-rdkafka/librdkafka.js') as { err2str?: (code: number) => string };
    cached = bindingFromModule(mod, lib.err2str);
  }
  return cached;
}
