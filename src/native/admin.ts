import { loadNativeBinding } from './binding.js';
import { assertConfigFeatures } from './features.js';
import { OAuthTokenError, type OAuthBearerTarget } from './oauth.js';
import type { NativeAdminClient } from './admin-types.js';
import type { NativeBinding, NativeConfig } from './types.js';

/**
 * A new handle of the admin addon (gocoffee_admin.node, src/native/addon/admin.cc,
 * binding-notes/admin.md): one librdkafka handle of its own for the Admin API operations (topics,
 * consumer groups, configs, offsets), created from the `admin` role configuration
 * (config/librdkafka.ts), so the security settings are the same as every other client's. It
 * connects at its first request; the caller closes it.
 *
 * Made by `binding.createAdminClient`, like every other handle: a client's binding with a token
 * provider (oauth-binding.ts withOAuthBearer) builds it with the addon's refresh hook and registers
 * it with the refresher (the current token in this same tick, every later one too) until it is
 * closed. Like every native client: a feature the build lacks is a NativeFeatureError
 * (native/features.ts assertConfigFeatures), a configuration librdkafka refuses is a ConfigError.
 */
export function createNativeAdminClient(global: NativeConfig, binding: NativeBinding = loadNativeBinding()): NativeAdminClient {
  assertConfigFeatures(binding, global);
  return binding.createAdminClient(global);
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
