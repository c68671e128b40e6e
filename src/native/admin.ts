import { ConfigError } from '../config/errors.js';
import { loadAddon } from './addon.js';
import { loadNativeBinding } from './binding.js';
import { assertConfigFeatures } from './features.js';
import { OAuthTokenError, type OAuthBearerRefresher, type OAuthBearerTarget } from './oauth.js';
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
  /** `oauthRefresh`: called (JS thread) when librdkafka wants a new OAUTHBEARER token; only with `gocoffee.oauthbearer` = "1". */
  Admin: new (global: Record<string, string>, oauthRefresh?: () => void) => NativeAdminClient;
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
 *
 * With `oauthBearer` (the client's token refresher, docs/oauth.md) the handle is built with the
 * addon's refresh hook (`gocoffee.oauthbearer`, src/native/addon/oauth.h), gets the current token
 * in this same tick (before its first connection logs in) and every later one, and asks the
 * refresher when librdkafka wants a new one; close() unregisters it.
 */
export function createNativeAdminClient(
  global: NativeConfig,
  binding: Pick<NativeBinding, 'features' | 'librdkafkaVersion'> = loadNativeBinding(),
  oauthBearer?: OAuthBearerRefresher,
): NativeAdminClient {
  assertConfigFeatures(binding, global);
  const { Admin } = loadAddon<AdminAddon>(ADDON);
  let admin: NativeAdminClient;
  try {
    admin = oauthBearer === undefined ? new Admin(stringify(global)) : new Admin(stringify({ ...global, 'gocoffee.oauthbearer': '1' }), () => oauthBearer.refreshWanted());
  } catch (e) {
    throw new ConfigError([{ path: 'kafka.librdkafka', message: `librdkafka refused the admin configuration: ${(e as Error)?.message ?? String(e)}` }], { cause: e });
  }
  if (oauthBearer !== undefined) {
    let target: OAuthBearerTarget;
    try {
      target = adminTokenTarget(admin);
    } catch (e) {
      void admin.close();
      throw e;
    }
    oauthBearer.addTarget(target);
    const close = admin.close.bind(admin);
    // The addon's methods are read-only on its prototype: an own property shadows this one.
    Object.defineProperty(admin, 'close', {
      configurable: true,
      value: (): Promise<void> => {
        oauthBearer.removeTarget(target);
        return close();
      },
    });
  }
  return admin;
}

/** The addon's `{code, message}` refusal as the refresher's typed error (never quoting the token: oauth.h cuts it). */
function tokenError(e: unknown): OAuthTokenError {
  return new OAuthTokenError((e as Error)?.message ?? String(e), { cause: e, context: { librdkafkaCode: (e as { code?: unknown })?.code } });
}

/** An admin handle as an OAuthBearerRefresher target: the addon's methods, refusals typed (OAuthTokenError). */
export function adminTokenTarget(admin: NativeAdminClient): OAuthBearerTarget {
  if (typeof admin.setOAuthBearerToken !== 'function' || typeof admin.setOAuthBearerTokenFailure !== 'function') {
    throw new OAuthTokenError('this admin client cannot take OAUTHBEARER tokens (the addon lacks setOAuthBearerToken: rebuild it)');
  }
  return {
    setOAuthBearerToken(value, expiresAtMs, principal, extensions) {
      try {
        admin.setOAuthBearerToken!(value, expiresAtMs, principal, extensions);
      } catch (e) {
        throw tokenError(e);
      }
    },
    setOAuthBearerTokenFailure(reason) {
      try {
        admin.setOAuthBearerTokenFailure!(reason);
      } catch (e) {
        throw tokenError(e);
      }
    },
  };
}
