import assert from 'node:assert/strict';
import { bindingFromModule, loadNativeBinding, REQUIRED_FEATURES, type RdkafkaModule } from '../../../src/native/index.js';
import { NativeFeatureError } from '../../../src/errors/index.js';
import { ALL_FEATURES } from '../../helpers/fake-binding.js';

function fakeModule(features: string[]): RdkafkaModule {
  return {
    librdkafkaVersion: '2.12.0',
    features,
    CODES: { ERRORS: { ERR_MSG_SIZE_TOO_LARGE: 10 } },
    Producer: class {} as never,
    KafkaConsumer: class {} as never,
    AdminClient: { create: () => ({}) as never },
  };
}

describe('native binding feature check', () => {
  it('accepts a binding with every required feature', () => {
    const b = bindingFromModule(fakeModule(ALL_FEATURES));
    assert.equal(b.librdkafkaVersion, '2.12.0');
  });

  it('names each missing feature and the system package that provides it', () => {
    const reduced = ALL_FEATURES.filter((f) => f !== 'zstd' && f !== 'ssl');
    assert.throws(
      () => bindingFromModule(fakeModule(reduced)),
      (err: unknown) => {
        assert.ok(err instanceof NativeFeatureError);
        assert.equal(err.code, 'ERR_NATIVE_FEATURE_MISSING');
        assert.deepEqual([...err.missing].sort(), ['ssl', 'zstd']);
        assert.match(err.message, /zstd: .*libzstd-dev/);
        assert.match(err.message, /ssl: .*libssl-dev/);
        assert.match(err.message, /npm rebuild node-rdkafka/);
        assert.doesNotMatch(err.message, /gzip/);
        return true;
      },
    );
  });

  for (const { feature } of REQUIRED_FEATURES) {
    it(`fails without ${feature}`, () => {
      assert.throws(() => bindingFromModule(fakeModule(ALL_FEATURES.filter((f) => f !== feature))), new RegExp(`- ${feature}: `));
    });
  }

  it('refuses a librdkafka older than the supported minimum, naming the version', () => {
    const old = { ...fakeModule(ALL_FEATURES), librdkafkaVersion: '2.0.2' };
    assert.throws(() => bindingFromModule(old), (e: unknown) => e instanceof NativeFeatureError && /librdkafka >= 2\.2\.0: the loaded librdkafka is 2\.0\.2/.test(e.message));
  });

  it('the installed node-rdkafka has every required feature and recovers delivery error codes', () => {
    const b = loadNativeBinding();
    assert.match(b.librdkafkaVersion, /^\d+\.\d+\.\d+/);
    // node-rdkafka passes delivery-report errors as Error("Broker: Message size too large") and
    // then lower-cases the text after the colon; both forms must map back to the code.
    assert.equal(b.errorCodeOf({ message: 'message size too large', code: -1 }), 10);
    assert.equal(b.errorCodeOf({ message: 'Local: Message timed out' }), -192);
    assert.equal(b.errorCodeOf({ message: 'something else' }), -1);
  });
});
