import assert from 'node:assert/strict';
import {
  assertConfigFeatures,
  bindingFromModule,
  featuresNeeded,
  loadNativeBinding,
  REQUIRED_FEATURES,
  type RdkafkaModule,
} from '../../../src/native/index.js';
import { NativeFeatureError } from '../../../src/errors/index.js';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import { ALL_FEATURES, FakeBinding } from '../../helpers/fake-binding.js';
import { ConsumerBinding } from '../consumer/fake-consumer.js';

function fakeModule(features: string[]): RdkafkaModule {
  return {
    librdkafkaVersion: '2.12.0',
    features,
    CODES: { ERRORS: { GCK_KAFKA_MSG_SIZE_TOO_LARGE: 10 } },
    Producer: class {} as never,
    KafkaConsumer: class {} as never,
    AdminClient: { create: () => ({}) as never },
  };
}

const without = (...drop: string[]) => ALL_FEATURES.filter((f) => !drop.includes(f));

/** Asserts a NativeFeatureError that names exactly `features`, each with its package. */
function featureError(features: string[], packages: RegExp[]) {
  return (err: unknown) => {
    assert.ok(err instanceof NativeFeatureError, `a NativeFeatureError, got ${String(err)}`);
    assert.equal(err.code, 'GCK_NATIVE_FEATURE_MISSING');
    assert.deepEqual([...err.missing].sort(), [...features].sort());
    for (const p of packages) assert.match(err.message, p);
    assert.match(err.message, /npm rebuild node-rdkafka/);
    return true;
  };
}

describe('native binding: optional librdkafka features are checked where a client is created', () => {
  it('a binding without zstd, ssl or SASL still loads (nothing is checked at import)', () => {
    const b = bindingFromModule(fakeModule(without('zstd', 'ssl', 'sasl_scram', 'gzip')));
    assert.equal(b.librdkafkaVersion, '2.12.0');
  });

  it('refuses a librdkafka older than the supported minimum at load, naming the version', () => {
    const old = { ...fakeModule(ALL_FEATURES), librdkafkaVersion: '2.0.2' };
    assert.throws(() => bindingFromModule(old), (e: unknown) => e instanceof NativeFeatureError && /librdkafka >= 2\.2\.0: the loaded librdkafka is 2\.0\.2/.test(e.message));
  });

  it('featuresNeeded: compression codec (topic over global), TLS, each SASL mechanism (GSSAPI by default)', () => {
    const names = (g: Record<string, string>, t?: Record<string, string>) => featuresNeeded(g, t).map((n) => n.feature).sort();
    assert.deepEqual(names({ 'compression.type': 'zstd' }), ['zstd']);
    assert.deepEqual(names({ 'compression.codec': 'gzip' }), ['gzip']);
    assert.deepEqual(names({ 'compression.type': 'none' }), []);
    assert.deepEqual(names({ 'compression.type': 'zstd' }, { 'compression.type': 'lz4' }), ['lz4']);
    assert.deepEqual(names({}, { 'compression.codec': 'snappy' }), ['snappy']);
    assert.deepEqual(names({ 'security.protocol': 'plaintext' }), []);
    assert.deepEqual(names({ 'security.protocol': 'ssl' }), ['ssl']);
    assert.deepEqual(names({ 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'SCRAM-SHA-512' }), ['sasl_scram', 'ssl']);
    assert.deepEqual(names({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN' }), ['sasl_plain']);
    assert.deepEqual(names({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'OAUTHBEARER' }), ['sasl_oauthbearer']);
    assert.deepEqual(names({ 'security.protocol': 'sasl_plaintext' }), ['sasl_gssapi']);
  });

  it('assertConfigFeatures names the feature, the property that needs it and the system package', () => {
    const have = { features: without('zstd', 'ssl', 'sasl_scram'), librdkafkaVersion: '2.12.0' };
    assert.throws(
      () => assertConfigFeatures(have, { 'compression.type': 'zstd', 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'SCRAM-SHA-256' }),
      featureError(['zstd', 'ssl', 'sasl_scram'], [/zstd: needed for compression\.type=zstd; .*apt-get install libzstd-dev/, /ssl: needed for security\.protocol=sasl_ssl; .*libssl-dev/, /sasl_scram: needed for sasl\.mechanisms=SCRAM-SHA-256/]),
    );
    assertConfigFeatures(have, { 'compression.type': 'lz4', 'security.protocol': 'plaintext' });
  });

  for (const { feature } of REQUIRED_FEATURES) {
    it(`a configuration that needs ${feature} fails without it and passes with it`, () => {
      const conf: Record<string, string> =
        feature === 'ssl' ? { 'security.protocol': 'ssl' }
          : feature === 'sasl_plain' ? { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN' }
          : feature === 'sasl_scram' ? { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'SCRAM-SHA-256' }
          : { 'compression.type': feature };
      assert.throws(() => assertConfigFeatures({ features: without(feature), librdkafkaVersion: '2.12.0' }, conf), featureError([feature], [new RegExp(`- ${feature}: needed for `)]));
      assertConfigFeatures({ features: ALL_FEATURES, librdkafkaVersion: '2.12.0' }, conf);
    });
  }

  it('ConnectionManager: compression zstd on a binding without zstd fails at initialize() with the feature error; lz4 on the same binding works', async () => {
    const binding = new FakeBinding(without('zstd'));
    const zstd = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], compression: 'zstd', connectTimeoutMs: 1000 }), { binding });
    await assert.rejects(zstd.initialize(), featureError(['zstd'], [/compression\.type=zstd/, /libzstd-dev/]));
    assert.equal(binding.producers.length, 0, 'no native producer was created');
    await zstd.close();

    const lz4 = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], compression: 'lz4', connectTimeoutMs: 1000 }), { binding });
    await lz4.initialize();
    assert.equal(binding.producers.length, 1);
    await lz4.close();
  });

  it('ConnectionManager: TLS on a binding without ssl fails at initialize(), naming ssl and libssl-dev', async () => {
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], enableTls: true, connectTimeoutMs: 1000 }), { binding: new FakeBinding(without('ssl')) });
    await assert.rejects(cm.initialize(), featureError(['ssl'], [/security\.protocol=ssl/, /libssl-dev/]));
    await cm.close();
  });

  it('Consumer: a group on a binding without the SASL mechanism fails at start(), before a native consumer exists', async () => {
    const binding = new ConsumerBinding(undefined, without('sasl_scram'));
    const config = resolveConfig({ brokers: ['fake:9092'], enableSasl: true, saslMechanism: 'SCRAM-SHA-512', saslUsername: 'u', saslPassword: 'p', connectTimeoutMs: 1000 });
    // The producer side needs SCRAM too: initialize() already fails; the consumer checks its own client.
    const cm = new ConnectionManager(config, { binding });
    await assert.rejects(cm.initialize(), featureError(['sasl_scram'], [/sasl\.mechanisms=SCRAM-SHA-512/]));
    const consumer = new Consumer(cm, { stopTimeoutMs: 100 });
    consumer.registerHandler({ topics: ['t'], groupId: 'g', handle() {} });
    await assert.rejects(consumer.start(), featureError(['sasl_scram'], [/sasl\.mechanisms=SCRAM-SHA-512/, /libssl-dev/]));
    assert.equal(binding.consumers.length, 0);
    await cm.close();
  });

  it('the installed node-rdkafka has every feature of a full build and recovers delivery error codes', () => {
    const b = loadNativeBinding();
    assert.match(b.librdkafkaVersion, /^\d+\.\d+\.\d+/);
    for (const { feature } of REQUIRED_FEATURES) assert.ok(b.features.includes(feature), `${feature} compiled in`);
    // node-rdkafka passes delivery-report errors as Error("Broker: Message size too large") and
    // then lower-cases the text after the colon; both forms must map back to the code.
    assert.equal(b.errorCodeOf({ message: 'message size too large', code: -1 }), 10);
    assert.equal(b.errorCodeOf({ message: 'Local: Message timed out' }), -192);
    assert.equal(b.errorCodeOf({ message: 'something else' }), -1);
  });
});
