import assert from 'node:assert/strict';
import { connectError, connectNative, creationError, type ConnectWatch } from '../../../src/delivery/connect.js';
import { ConnectionError } from '../../../src/errors/index.js';
import { ConfigError } from '../../../src/config/index.js';
import type { NativeBatchProducer, NativeMetadata } from '../../../src/native/types.js';

const TARGET = 'Kafka cluster broker:9093';

/** A native producer whose metadata request the test settles; counts close() calls. */
function fakeNative() {
  let settle!: { resolve: (md: NativeMetadata) => void; reject: (e: unknown) => void };
  const native = {
    closed: 0,
    metadata: () => new Promise<NativeMetadata>((resolve, reject) => (settle = { resolve, reject })),
    close: async () => {
      native.closed++;
    },
  };
  return { native, settle: () => settle, asNative: native as unknown as NativeBatchProducer };
}

describe('producer engine: connecting (connect.ts)', () => {
  it('connectError: TLS and authentication failures get their own non-retriable codes; other texts only with a cause', () => {
    const tls = connectError(TARGET, 500, 'ssl://broker:9093/bootstrap: SSL handshake failed: certificate verify failed');
    assert.ok(tls instanceof ConnectionError);
    assert.equal(tls.code, 'GCK_TLS');
    assert.equal(tls.retriable, false);
    assert.match(tls.message, /^TLS handshake with Kafka cluster broker:9093 failed: /);
    assert.deepEqual(tls.context, { timeoutMs: 500 });
    assert.equal(connectError(TARGET, 500, 'something', undefined, -181)?.code, 'GCK_TLS');
    // On a sasl_ssl:// broker too.
    assert.equal(connectError(TARGET, 500, 'sasl_ssl://b:9093/bootstrap: certificate verify failed')?.code, 'GCK_TLS');
    const auth = connectError(TARGET, 500, 'SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256');
    assert.equal(auth?.code, 'GCK_AUTHENTICATION');
    assert.equal(auth?.retriable, false);
    for (const code of [-169, 58]) assert.equal(connectError(TARGET, 500, 'x', undefined, code)?.code, 'GCK_AUTHENTICATION');
    assert.equal(connectError(TARGET, 500, 'Connection refused'), undefined, 'a log line that names no lasting failure');
    const cause = new Error('Connection refused');
    const other = connectError(TARGET, 500, 'Connection refused', cause, -195);
    assert.equal(other?.code, 'GCK_CONNECT');
    assert.equal(other?.retriable, true);
    assert.equal(other?.cause, cause);
    assert.deepEqual(other?.context, { timeoutMs: 500, librdkafkaCode: -195 });
  });

  it('creationError: a failing rd_kafka_new() is a connect failure; anything else a ConfigError naming kafka.librdkafka', () => {
    const e = creationError(new Error('rd_kafka_new: ssl.key.location failed: private key could not be loaded'), TARGET, 500);
    assert.ok(e instanceof ConnectionError);
    assert.equal(e.code, 'GCK_TLS');
    assert.match(e.message, /failed: ssl\.key\.location failed/);
    const c = creationError(new Error('No such configuration property: "frobnicate"'), TARGET, 500);
    assert.ok(c instanceof ConfigError);
    assert.match(c.message, /kafka\.librdkafka: librdkafka refused the producer configuration: No such configuration property/);
  });

  it('connectNative: resolves with the metadata and removes its watch', async () => {
    const { native, settle, asNative } = fakeNative();
    const watches: Array<ConnectWatch | undefined> = [];
    let failed = 0;
    const p = connectNative(asNative, TARGET, 1000, { watch: (w) => watches.push(w), failed: () => failed++ });
    const md = { orig_broker_id: 1, orig_broker_name: 'b', topics: [], brokers: [] };
    settle().resolve(md);
    assert.equal(await p, md);
    assert.equal(watches.length, 2);
    assert.equal(typeof watches[0], 'function');
    assert.equal(watches[1], undefined);
    assert.equal(failed, 0);
    assert.equal(native.closed, 0);
  });

  it('connectNative: a TLS log line seen by the watch rejects at once, destroys the handle, and a late answer is ignored', async () => {
    const { native, settle, asNative } = fakeNative();
    let watch: ConnectWatch | undefined;
    let failed = 0;
    const p = connectNative(asNative, TARGET, 60_000, { watch: (w) => (watch = w), failed: () => failed++ });
    watch!('ssl://broker:9093/bootstrap: SSL handshake failed: certificate verify failed');
    await assert.rejects(p, (e: unknown) => e instanceof ConnectionError && e.code === 'GCK_TLS');
    assert.equal(watch, undefined, 'the watch is removed');
    assert.equal(failed, 1);
    assert.equal(native.closed, 1);
    settle().resolve({ orig_broker_id: 1, orig_broker_name: 'b', topics: [], brokers: [] });
  });

  it('connectNative: a failed metadata request rejects with a ConnectionError, classified through the watch', async () => {
    const plain = fakeNative();
    const p = connectNative(plain.asNative, TARGET, 60_000, { watch: () => undefined, failed: () => undefined });
    plain.settle().reject(Object.assign(new Error('Local: Broker transport failure'), { code: -195 }));
    await assert.rejects(p, (e: unknown) => e instanceof ConnectionError && e.code === 'GCK_CONNECT' && /could not connect to Kafka cluster broker:9093: Local: Broker transport failure/.test(e.message) && e.context['librdkafkaCode'] === -195);
    assert.equal(plain.native.closed, 1);
    const auth = fakeNative();
    const q = connectNative(auth.asNative, TARGET, 60_000, { watch: () => undefined, failed: () => undefined });
    auth.settle().reject(Object.assign(new Error('SASL authentication error: Authentication failed'), { code: -169 }));
    await assert.rejects(q, (e: unknown) => e instanceof ConnectionError && e.code === 'GCK_AUTHENTICATION');
  });

  it('connectNative: a broker that never answers rejects after connect_timeout', async () => {
    const { native, asNative } = fakeNative();
    await assert.rejects(connectNative(asNative, TARGET, 20, { watch: () => undefined, failed: () => undefined }), (e: unknown) => e instanceof ConnectionError && /did not answer a metadata request within connect_timeout \(20 ms\)/.test(e.message));
    assert.equal(native.closed, 1);
  });
});
