import { ConfigError } from '../config/errors.js';
import { loadAddon } from './addon.js';
import { loadNativeBinding } from './binding.js';
import { assertConfigFeatures } from './features.js';
import type { NativeAdminClient } from './admin-types.js';
import type { NativeBinding, NativeConfig } from './types.js';

/**
 * The admin addon (gocoffee_admin.node, src/native/addon/admin.cc, binding-notes/admin.md): one
 * librdkafka handle of its own for the Admin API operations node-rdkafka's AdminClient lacks
 * (consumer groups, configs, offsets, delete topics, partitions). Created from the same `admin`
 * role configuration as node-rdkafka's admin client (config/librdkafka.ts), so the security
 * settings are the same.
 */
interface AdminAddon {
  Admin: new (global: Record<string, string>) => NativeAdminClient;
  librdkafkaVersion: string;
}

/** The addon's name; addon.ts types only the engine's two names, the loader itself takes any. */
const ADDON = 'gocoffee_admin';

/** librdkafka takes strings: booleans and numbers as their text. */
function stringify(global: NativeConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(global)) out[k] = String(v);
  return out;
}

/**
 * A new admin handle (connects at its first request). The caller closes it. Like every native
 * client (native/lifecycle.ts): a feature the build lacks is a NativeFeatureError, a configuration
 * librdkafka refuses is a ConfigError.
 */
export function createNativeAdminClient(global: NativeConfig, binding: Pick<NativeBinding, 'features' | 'librdkafkaVersion'> = loadNativeBinding()): NativeAdminClient {
  assertConfigFeatures(binding, global);
  const { Admin } = loadAddon<AdminAddon>(ADDON);
  try {
    return new Admin(stringify(global));
  } catch (e) {
    throw new ConfigError([{ path: 'kafka.librdkafka', message: `librdkafka refused the admin configuration: ${(e as Error)?.message ?? String(e)}` }], { cause: e });
  }
}
