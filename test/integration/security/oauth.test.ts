/**
 * OAUTHBEARER with a token provider on a real broker: the secure stack's OAUTH listener
 * (scripts/stack-secure.mjs: SASL_PLAINTEXT 127.0.0.1:9097, OAUTHBEARER only, Kafka's unsecured-JWT
 * validator, connections.max.reauth.ms = 5000, so every connection re-authenticates at least every
 * 5 s with whatever token the client holds then).
 *
 * The batch consumer addon takes its tokens from an OAuthBearerRefresher (src/native/oauth.ts);
 * the topic admin (node-rdkafka's AdminClient) takes them through rdkafkaClientTarget. Messages are
 * produced by the batch producer with PLAIN on the 9096 listener (the producer addon's OAUTHBEARER
 * methods are wired separately).
 *
 * - a 20 s stream with 5 s tokens: the provider is called again and again, the consumer's
 *   connections re-authenticate with the new tokens, every message arrives, no authentication error;
 * - a provider that throws, hangs past its timeout, then returns an expired token: three typed
 *   GCK_OAUTH_TOKEN errors, librdkafka reports the failure, nothing is consumed until a call
 *   succeeds, then everything is;
 * - tokens the broker rejects (no sub claim; exp in the past while the provider claims otherwise):
 *   connecting fails with GCK_AUTHENTICATION.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { resolveConfig, toLibrdkafkaConfig, type KafkaConfigInput } from '../../../src/config/index.js';
import { ConnectionError } from '../../../src/errors/index.js';
import { BatchConsumer, newBatchConsumer } from '../../../src/native/batch-consumer.js';
import { BatchPacker, createAddonBatchProducer } from '../../../src/native/batch-producer.js';
import { connectClient } from '../../../src/native/lifecycle.js';
import { OAuthBearerRefresher, OAuthTokenError, rdkafkaClientTarget, type OAuthBearerToken } from '../../../src/native/oauth.js';
import type { NativeConfig, NativeError } from '../../../src/native/types.js';
import { uniqueName } from '../helpers.js';
import { ConnectionManager } from '../../../src/client.js';
import { newMessage } from '../../../src/producer/index.js';
import { secureStackDown, secureStackUp, unsecuredJwt, waitUntil, type SecureKafka } from './secure-stack.js';

const require = createRequire(import.meta.url);
interface RdkafkaAdmin {
  createTopic(t: { topic: string; num_partitions: number; replication_factor: number }, timeoutMs: number, cb: (err: unknown) => void): void;
  disconnect(): void;
}
const { AdminClient } = require('node-rdkafka') as { AdminClient: { create(conf: NativeConfig, token?: string): RdkafkaAdmin } };

/** Token lifetime of the long run: shorter than the run, so it needs several refreshes. */
const TOKEN_SECONDS = 5;
const RUN_MS = 20_000;
/** librdkafka's codes for an authentication failure (ERR__AUTHENTICATION, SASL_AUTHENTICATION_FAILED). */
const AUTH_CODES = new Set([-169, 58]);

describe('OAUTHBEARER with a token provider (secure broker, unsecured JWTs)', function () {
  this.timeout(120_000);
  let kafka: SecureKafka;
  const closers: Array<() => Promise<void> | void> = [];

  before(async function () {
    this.timeout(180_000);
    const up = await secureStackUp({ only: 'kafka' });
    assert.ok(up.kafka);
    kafka = up.kafka;
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  after(async function () {
    this.timeout(60_000);
    await secureStackDown('kafka');
  });

  const oauthInput = (extra: KafkaConfigInput = {}): KafkaConfigInput => ({
    brokers: kafka.oauthBootstrap, clientId: 'gocoffee-oauth-it', enableSasl: true, saslMechanism: 'OAUTHBEARER', connectTimeoutMs: 10_000, retryBackoffMs: 100, ...extra,
  });

  /** A batch consumer on the OAUTH listener whose tokens come from JS; closed after the test. */
  function oauthConsumer(groupId: string, errors: NativeError[], debug = false): BatchConsumer {
    const cfg = toLibrdkafkaConfig(resolveConfig(oauthInput({ groupId })), 'consumer');
    const c = newBatchConsumer({ ...cfg.global, 'gocoffee.oauthbearer': '1', ...(debug ? { debug: 'security' } : {}) }, cfg.topic);
    c.on('event.error', (e: NativeError) => errors.push(e));
    closers.push(() => new Promise<void>((resolve) => c.disconnect(() => resolve())));
    return c;
  }

  /** node-rdkafka's AdminClient on the OAUTH listener, its tokens from `refresher`: creates a topic. */
  async function createTopicWithOAuth(refresher: OAuthBearerRefresher, topic: string, partitions: number): Promise<void> {
    const cfg = toLibrdkafkaConfig(resolveConfig(oauthInput()), 'admin');
    const admin = AdminClient.create(cfg.global, refresher.currentToken());
    const target = rdkafkaClientTarget(admin as never);
    refresher.addTarget(target);
    closers.push(() => {
      refresher.removeTarget(target);
      admin.disconnect();
    });
    await new Promise<void>((resolve, reject) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 15_000, (err) => (err ? reject(err) : resolve())));
  }

  /** The batch producer with PLAIN on 9096: produce(values) resolves once all are acknowledged. */
  function plainProducer(): { produce(topic: string, values: string[]): Promise<void> } {
    const user = kafka.users.plain;
    const cfg = toLibrdkafkaConfig(resolveConfig({ brokers: kafka.saslPlaintextBootstrap, clientId: 'gocoffee-oauth-it-producer', enableSasl: true, saslMechanism: 'PLAIN', saslUsername: user.username, saslPassword: user.password, connectTimeoutMs: 10_000 }), 'producer');
    let acked = 0;
    const failed: string[] = [];
    const native = createAddonBatchProducer(cfg.global, cfg.topic, {
      onReports(ok, _okPos, bad) {
        if (ok !== null) acked += ok.length / 2;
        if (bad !== null) for (let i = 0; i < bad.length; i += 4) failed.push(`id ${bad[i]} code ${bad[i + 1]}`);
      },
      onError: () => undefined,
      onLog: () => undefined,
      onStats: () => undefined,
    });
    closers.push(() => native.close());
    let nextId = 0;
    return {
      async produce(topic, values) {
        const want = acked + values.length;
        const packer = new BatchPacker(Math.max(1, values.length), 'message_id');
        for (const v of values) packer.add(nextId++, topic, null, Buffer.from(v), Buffer.from(v), undefined, null);
        for (let start = 0; start < packer.count;) {
          start += native.produceBatch(packer.topics, packer.bytes, packer.table, packer.count, start);
          if (start < packer.count) await new Promise((r) => setTimeout(r, 5));
        }
        await waitUntil(() => acked + failed.length >= want, 30_000, () => `acknowledged ${acked}/${want}`);
        assert.deepEqual(failed, []);
      },
    };
  }

  it(`keeps a consumer authenticated for a ${RUN_MS / 1000} s stream with ${TOKEN_SECONDS} s tokens: refreshed, re-authenticated, nothing lost`, async () => {
    let calls = 0;
    const tokenErrors: OAuthTokenError[] = [];
    const refresher = new OAuthBearerRefresher({
      tokenProvider: async () => {
        calls++;
        return { ...unsecuredJwt('gocoffee-oauth-consumer', TOKEN_SECONDS), principal: 'gocoffee-oauth-consumer' };
      },
      onError: (e) => tokenErrors.push(e),
    });
    closers.push(() => refresher.stop());
    await refresher.start();
    const topic = uniqueName('oauth-stream');
    await createTopicWithOAuth(refresher, topic, 3);

    const errors: NativeError[] = [];
    const c = oauthConsumer(uniqueName('oauth-g'), errors, true);
    refresher.addTarget(c);
    let reauths = 0;
    c.on('event.log', (l: { message: string }) => {
      if (l.message.includes('Auth in state REAUTH')) reauths++;
    });
    await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
    const seen = new Set<string>();
    c.subscribe([topic]);
    c.startFetching({ batch: (msgs) => msgs.forEach((m) => seen.add(m.value!.toString())), error: (e) => errors.push(e), room: () => 1000 });

    const producer = plainProducer();
    const callsAtStart = calls;
    const sent: string[] = [];
    const end = Date.now() + RUN_MS;
    for (let batch = 0; Date.now() < end; batch++) {
      const values = Array.from({ length: 20 }, (_, i) => `s${batch}-${i}`);
      await producer.produce(topic, values);
      sent.push(...values);
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitUntil(() => seen.size >= sent.length, 30_000, () => `consumed ${seen.size}/${sent.length}`);

    const missing = sent.filter((v) => !seen.has(v));
    assert.deepEqual(missing, [], 'every message consumed');
    // A 5 s token lasts ~4-5 s (exp is in whole seconds) and is replaced at 80%: about 5 per 20 s.
    assert.ok(calls - callsAtStart >= 3, `the provider was called ${calls - callsAtStart} times during the run`);
    assert.ok(reauths >= 2, `the consumer's connections re-authenticated ${reauths} times`);
    assert.deepEqual(tokenErrors, []);
    const authErrors = errors.filter((e) => AUTH_CODES.has(e.code) || /auth|sasl|oauth/i.test(String(e.message)));
    assert.deepEqual(authErrors, [], 'no authentication error');
    console.log(`      ${sent.length} messages over ${RUN_MS / 1000} s; provider calls ${calls}; re-authentications ${reauths}; refresh requests from librdkafka ${c.engineStats().oauthRefreshRequests}; other consumer errors ${errors.length}`);
  });

  it('a provider that throws, hangs, or returns an expired token: typed GCK_OAUTH_TOKEN errors, nothing consumed until a call succeeds, then everything', async () => {
    const topic = uniqueName('oauth-recover');
    const setup = new OAuthBearerRefresher({ tokenProvider: () => ({ ...unsecuredJwt('gocoffee-oauth-admin', 60) }) });
    closers.push(() => setup.stop());
    await setup.start();
    await createTopicWithOAuth(setup, topic, 2);
    const producer = plainProducer();
    const values = Array.from({ length: 200 }, (_, i) => `r${i}`);
    await producer.produce(topic, values);

    const seen = new Set<string>();
    let consumedAtFirstToken = -1;
    let calls = 0;
    const script: Array<() => Promise<OAuthBearerToken>> = [
      () => Promise.reject(new Error('identity provider unavailable (HTTP 503)')),
      () => new Promise<never>(() => undefined), // never settles: the refresher's timeout ends it
      async () => ({ ...unsecuredJwt('gocoffee-oauth-consumer', -60), principal: 'gocoffee-oauth-consumer' }),
    ];
    const tokenErrors: OAuthTokenError[] = [];
    const refresher = new OAuthBearerRefresher({
      tokenProvider: () => {
        const step = script[calls++];
        if (step !== undefined) return step();
        if (consumedAtFirstToken < 0) consumedAtFirstToken = seen.size;
        return unsecuredJwt('gocoffee-oauth-consumer', 60);
      },
      onError: (e) => tokenErrors.push(e),
      timeoutMs: 500,
      retryBackoffMs: 200,
      retryBackoffMaxMs: 1000,
    });
    closers.push(() => refresher.stop());
    const firstToken = refresher.start();

    const errors: NativeError[] = [];
    const c = oauthConsumer(uniqueName('oauth-g'), errors);
    refresher.addTarget(c);
    c.subscribe([topic]);
    c.startFetching({ batch: (msgs) => msgs.forEach((m) => seen.add(m.value!.toString())), error: (e) => errors.push(e), room: () => 1000 });

    await firstToken;
    await waitUntil(() => seen.size >= values.length, 45_000, () => `consumed ${seen.size}/${values.length}`);
    assert.equal(consumedAtFirstToken, 0, 'nothing was consumed before the provider first succeeded');
    assert.deepEqual(values.filter((v) => !seen.has(v)), []);
    assert.equal(calls, 4);
    assert.equal(tokenErrors.length, 3, tokenErrors.map((e) => e.message).join('\n'));
    for (const e of tokenErrors) {
      assert.ok(e instanceof OAuthTokenError);
      assert.equal(e.code, 'GCK_OAUTH_TOKEN');
      assert.equal(e.retriable, true);
    }
    assert.match(tokenErrors[0]!.message, /token provider failed: identity provider unavailable/);
    assert.match(tokenErrors[1]!.message, /did not settle within 500 ms/);
    assert.match(tokenErrors[2]!.message, /unusable token: it expired/);
    // librdkafka heard of the failure (rd_kafka_oauthbearer_set_token_failure → error_cb).
    assert.ok(
      errors.some((e) => e.code === -169 && /identity provider unavailable|did not settle|unusable token/.test(String(e.message))),
      `librdkafka reported the provider failure as an authentication error: ${JSON.stringify(errors)}`,
    );
  });

  for (const [label, token] of [
    ['a JWT without sub', () => unsecuredJwt('unused', 60, { sub: undefined })],
    ['a JWT whose exp has passed (the provider claims 60 s)', () => ({ ...unsecuredJwt('gocoffee-oauth-consumer', -60, { iat: Math.floor(Date.now() / 1000) - 120 }), expiresAt: Date.now() + 60_000 })],
  ] as const) {
    it(`a token the broker rejects (${label}): connecting fails with GCK_AUTHENTICATION`, async () => {
      const given: string[] = [];
      const refresher = new OAuthBearerRefresher({
        tokenProvider: () => {
          const t = token();
          given.push(t.value);
          return { ...t, principal: 'rejected' };
        },
      });
      closers.push(() => refresher.stop());
      await refresher.start();
      const errors: NativeError[] = [];
      const c = oauthConsumer(uniqueName('oauth-g'), errors);
      refresher.addTarget(c);
      const closed = new Promise<void>((resolve) => c.once('disconnected', () => resolve()));
      const err = await connectClient(c, 5000, kafka.oauthBootstrap).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ConnectionError, `expected a ConnectionError, got ${String(err)}`);
      assert.equal(err.code, 'GCK_AUTHENTICATION', err.message);
      assert.match(err.message, /SASL authentication error.*invalid_token/, "the broker's answer");
      for (const value of given) assert.ok(!err.message.includes(value.split('.')[1]!), 'the token is not in the error');
      await closed; // connectClient closed the consumer
    });
  }

  it('a ConnectionManager given oauthBearerTokenProvider: its topic admin, group admin, producer and consumer all run on the provider\'s tokens through a run longer than a token', async () => {
    const groupId = uniqueName('oauth-lib');
    let calls = 0;
    const errors: Error[] = [];
    const cm = new ConnectionManager(resolveConfig(oauthInput({ groupId })), {
      oauthBearerTokenProvider: () => {
        calls++;
        return { ...unsecuredJwt('gocoffee-lib', TOKEN_SECONDS), principal: 'gocoffee-lib' };
      },
      onError: (e) => errors.push(e),
    });
    closers.push(() => cm.close());
    await cm.initialize();
    const topic = uniqueName('oauth-lib');
    await cm.createTopicManager().ensureTopics([{ name: topic, partitions: 2 }]);
    const seen = new Set<string>();
    const consumer = cm.createConsumer({}, { onError: (e) => errors.push(e) });
    consumer.registerHandler({ topics: [topic], groupId, handle: (m) => void seen.add(m.text()!) });
    await consumer.start();
    closers.push(() => consumer.stop().then(() => undefined));
    // Longer than two token lifetimes: the producer's and the consumer's connections re-authenticate
    // (connections.max.reauth.ms) with refreshed tokens, or the broker closes them.
    const sent: string[] = [];
    const end = Date.now() + 3 * TOKEN_SECONDS * 1000;
    for (let i = 0; Date.now() < end; i++) {
      const v = `m-${i}`;
      await cm.producer.publish(newMessage(topic, v).withKey(`k${i % 7}`));
      sent.push(v);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitUntil(() => seen.size === sent.length, 30_000, () => `consumed ${seen.size} of ${sent.length}`);
    const groups = await cm.createGroupAdmin().listGroups();
    assert.ok(groups.some((g) => g.groupId === groupId), 'the group admin (its own addon handle) authenticated with a token');
    assert.ok(calls >= 3, `the provider was called again and again (${calls} calls)`);
    assert.deepEqual(errors.map((e) => e.message), [], 'no error');
  });
});
