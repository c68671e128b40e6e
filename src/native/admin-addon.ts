import { ConfigError } from '../config/errors.js';
import { loadAddon } from './addon.js';
import type { NativeAdminClient } from './admin-types.js';
import type { NativeConfig } from './types.js';

/**
 * The admin addon's loader (gocoffee_admin.node, src/native/addon/admin.cc, binding-notes/admin.md):
 * what the loaded binding's `createAdminClient` is (binding.ts). Callers go through a binding
 * (admin.ts createNativeAdminClient), so a binding decorated with a token refresher
 * (oauth-binding.ts withOAuthBearer) hands its tokens to every admin handle.
 */
interface AdminAddon {
  /** `oauthRefresh`: called (JS thread) when librdkafka wants a new OAUTHBEARER token; only with `gocoffee.oauthbearer` = "1". */
  Admin: new (global: Record<string, string>, oauthRefresh?: () => void) => NativeAdminClient;
  librdkafkaVersion: string;
}

/** librdkafka takes strings: booleans and numbers as their text. */
function stringify(global: NativeConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(global)) out[k] = String(v);
  return out;
}

/**
 * A new admin handle (connects at its first request); the caller closes it. With
 * `gocoffee.oauthbearer` = "1" in `global` it is built with the addon's OAUTHBEARER refresh hook
 * (src/native/addon/oauth.h) and calls `oauthRefresh` when librdkafka wants a token. A
 * configuration librdkafka refuses is a ConfigError.
 */
export function newAdminClient(global: NativeConfig, oauthRefresh?: () => void): NativeAdminClient {
  const { Admin } = loadAddon<AdminAddon>('gocoffee_admin');
  try {
    return oauthRefresh === undefined ? new Admin(stringify(global)) : new Admin(stringify(global), oauthRefresh);
  } catch (e) {
    throw new ConfigError([{ path: 'kafka.librdkafka', message: `librdkafka refused the admin configuration: ${(e as Error)?.message ?? String(e)}` }], { cause: e });
  }
}
