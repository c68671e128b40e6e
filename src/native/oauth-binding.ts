import { ConfigError, type ConfigIssue } from '../config/errors.js';
import type { KafkaConfig } from '../config/types.js';
import { InvalidArgumentError } from '../errors/base.js';
import { adminTokenTarget } from './admin.js';
import type { NativeAdminClient } from './admin-types.js';
import { OAuthBearerRefresher, OAuthTokenError, rdkafkaClientTarget, type OAuthBearerTarget, type OAuthBearerTokenProvider } from './oauth.js';
import type { BatchProducerEvents, NativeAdmin, NativeBatchConsumer, NativeBatchProducer, NativeBinding, NativeConfig } from './types.js';

/**
 * OAUTHBEARER with a token provider, for every handle of one client: a binding that creates the
 * handles as the one it wraps does, with the addons' refresh hook turned on
 * (`gocoffee.oauthbearer`, src/native/addon/oauth.h) and each handle registered with the
 * refresher (the current token handed over in the same tick, every later one too) until it is
 * closed. The client builds every producer, consumer, reader and admin handle (the admin addon's
 * of its TopicManager and GroupAdmin, node-rdkafka's AdminClient) through its binding, so none is
 * left without tokens (docs/oauth.md).
 */
export function withOAuthBearer(binding: NativeBinding, refresher: OAuthBearerRefresher): NativeBinding {
  const hooked = (global: NativeConfig): NativeConfig => ({ ...global, 'gocoffee.oauthbearer': '1' });
  // The admin handle keeps its refresh callback in a strong reference until it is collected: made
  // here, the callback's closure holds nothing of the handle (one made in createAdminClient would
  // share that call's scope, which holds the handle, and keep a never-closed one alive).
  const refreshWanted = (): void => refresher.refreshWanted();
  return {
    librdkafkaVersion: binding.librdkafkaVersion,
    features: binding.features,
    errorCodes: binding.errorCodes,
    errorCodeOf: (err) => binding.errorCodeOf(err),
    createProducer: (global, topic) => binding.createProducer(global, topic),
    createConsumer: (global, topic) => binding.createConsumer(global, topic),
    createBatchProducer(global, topic, events) {
      const withRefresh: BatchProducerEvents & { onOAuthRefresh(): void } = { ...events, onOAuthRefresh: () => refresher.refreshWanted() };
      const producer = binding.createBatchProducer(hooked(global), topic, withRefresh);
      let target: OAuthBearerTarget;
      try {
        target = tokenTarget(producer, 'producer');
      } catch (e) {
        void producer.close().catch(() => undefined); // not left running without tokens
        throw e;
      }
      refresher.addTarget(target);
      const close = producer.close.bind(producer);
      producer.close = () => {
        refresher.removeTarget(target);
        return close();
      };
      return producer;
    },
    ...(binding.createBatchConsumer === undefined
      ? {}
      : {
          createBatchConsumer(global: NativeConfig, topic: NativeConfig): NativeBatchConsumer {
            const consumer = binding.createBatchConsumer!(hooked(global), topic);
            // The consumer emits 'oauthbearer.refresh' itself (the refresher listens while it is a target).
            const target = consumer as unknown as OAuthBearerTarget;
            refresher.addTarget(target);
            consumer.on('disconnected', () => refresher.removeTarget(target));
            return consumer;
          },
        }),
    createAdminClient(global): NativeAdminClient {
      const admin = binding.createAdminClient(hooked(global), refreshWanted);
      let target: OAuthBearerTarget;
      try {
        target = adminTokenTarget(admin);
      } catch (e) {
        void admin.close().catch(() => undefined); // not left running without tokens
        throw e;
      }
      refresher.addTarget(target);
      const close = admin.close.bind(admin);
      // The addon's methods are read-only on its prototype: an own property shadows this one.
      Object.defineProperty(admin, 'close', {
        configurable: true,
        value: (): Promise<void> => {
          refresher.removeTarget(target);
          return close();
        },
      });
      return admin;
    },
    createAdmin(global): NativeAdmin {
      // node-rdkafka's AdminClient takes the first token at creation and later ones by
      // refreshOauthBearerToken (it has no refresh callback: the refresher's schedule drives it).
      const admin = binding.createAdmin(global, refresher.currentToken());
      const target = rdkafkaClientTarget(admin as unknown as { refreshOauthBearerToken(token: string): void });
      refresher.addTarget(target);
      const disconnect = admin.disconnect.bind(admin);
      admin.disconnect = () => {
        refresher.removeTarget(target);
        disconnect();
      };
      return admin;
    },
  };
}

/** The batch producer as a token target (its addon methods, when this build has them). */
function tokenTarget(p: NativeBatchProducer, what: string): OAuthBearerTarget {
  const t = p as unknown as Partial<OAuthBearerTarget>;
  if (typeof t.setOAuthBearerToken !== 'function' || typeof t.setOAuthBearerTokenFailure !== 'function') {
    throw new OAuthTokenError(`this ${what} cannot take OAUTHBEARER tokens (the addon lacks setOAuthBearerToken: rebuild it)`);
  }
  return t as OAuthBearerTarget;
}

/** How the token provider is called (ConnectionManagerOptions.oauthBearer). */
export interface OAuthBearerOptions {
  /** How long one provider call may take (default 10 s). */
  readonly timeoutMs?: number;
  /** First retry after a failure (default 1 s), doubled up to retryBackoffMaxMs (default 30 s). */
  readonly retryBackoffMs?: number;
  readonly retryBackoffMaxMs?: number;
}

/** librdkafka properties that would give librdkafka a token source of its own beside the provider. */
const OWN_TOKEN_SOURCES: ReadonlyArray<readonly [string, (v: string) => boolean, string]> = [
  ['sasl.oauthbearer.method', (v) => v.toLowerCase() === 'oidc', "librdkafka's own OIDC client (sasl.oauthbearer.method=oidc)"],
  ['enable.sasl.oauthbearer.unsecure.jwt', (v) => v === 'true', "librdkafka's unsecured test tokens (enable.sasl.oauthbearer.unsecure.jwt)"],
];

/**
 * The refresher of a client given a token provider, after checking that the configuration uses
 * it: SASL on with mechanism OAUTHBEARER, and no other token source. ConfigError naming the field.
 */
export function oauthBearerRefresher(
  config: Pick<KafkaConfig, 'enableSasl' | 'saslMechanism' | 'librdkafka'>,
  provider: OAuthBearerTokenProvider,
  options: OAuthBearerOptions,
  onError: (err: OAuthTokenError) => void,
): OAuthBearerRefresher {
  const issues: ConfigIssue[] = [];
  if (typeof provider !== 'function') throw new InvalidArgumentError('ConnectionManager option oauthBearerTokenProvider', `got ${typeof provider}, expected a function returning { value, expiresAt | lifetimeMs, principal?, extensions? }`);
  if (!config.enableSasl) issues.push({ path: 'kafka.enable_sasl', message: 'false, but an OAUTHBEARER token provider is given: set enable_sasl: true and sasl_mechanism: OAUTHBEARER' });
  else if (config.saslMechanism !== 'OAUTHBEARER') issues.push({ path: 'kafka.sasl_mechanism', message: `${config.saslMechanism}, but an OAUTHBEARER token provider is given: set sasl_mechanism: OAUTHBEARER` });
  for (const [property, conflicts, what] of OWN_TOKEN_SOURCES) {
    const v = config.librdkafka[property];
    if (v !== undefined && conflicts(String(v))) issues.push({ path: `kafka.librdkafka.${property}`, message: `${what} conflicts with the token provider: remove one of them` });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new InvalidArgumentError('ConnectionManager option oauthBearer', `got ${options === null ? 'null' : typeof options}, expected an object`);
  try {
    return new OAuthBearerRefresher({ tokenProvider: provider, onError, ...options });
  } catch (e) {
    throw new InvalidArgumentError('ConnectionManager option oauthBearer', (e as Error).message);
  }
}
