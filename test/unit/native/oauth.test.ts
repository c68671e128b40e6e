import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mock } from 'node:test';
import { GroupAdmin, TopicError, TopicManager, adminFactoryOf, type AdminHost } from '../../../src/admin/index.js';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { adminTokenTarget, createNativeAdminClient } from '../../../src/native/admin.js';
import type { NativeAdminClient } from '../../../src/native/admin-types.js';
import { loadNativeBinding } from '../../../src/native/binding.js';
import { newBatchConsumer } from '../../../src/native/batch-consumer.js';
import { withOAuthBearer } from '../../../src/native/oauth-binding.js';
import { OAuthBearerRefresher, OAuthTokenError, jwtClaims, normalizeToken, rdkafkaClientTarget, type OAuthBearerTarget, type OAuthBearerToken } from '../../../src/native/oauth.js';
import type { NativeAdmin, NativeBinding, NativeConfig, NativeError, NativeMetadata } from '../../../src/native/types.js';
import { FakeBinding } from '../../helpers/fake-binding.js';

const T0 = 1_800_000_000_000;

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none' })}.${b64(claims)}.`;
}

/** A target that records what it was handed (an EventEmitter, as the batch addons are). */
class FakeTarget extends EventEmitter implements OAuthBearerTarget {
  readonly tokens: Array<{ value: string; expiresAt: number; principal: string; extensions: string[] }> = [];
  readonly failures: string[] = [];
  refuse: Error | undefined;
  setOAuthBearerToken(value: string, expiresAt: number, principal: string, extensions: string[]): void {
    if (this.refuse !== undefined) throw this.refuse;
    this.tokens.push({ value, expiresAt, principal, extensions });
  }
  setOAuthBearerTokenFailure(reason: string): void {
    this.failures.push(reason);
  }
}

/** Lets promise continuations run (the provider is async) without moving the fake clock. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('OAUTHBEARER token refresher (src/native/oauth.ts)', () => {
  describe('normalizeToken', () => {
    it('takes expiresAt (number or Date), lifetimeMs (from now), or a JWT exp; principal defaults to the JWT sub; extensions are flattened', () => {
      assert.deepEqual(normalizeToken({ value: 'abc', expiresAt: T0 + 5000, principal: 'p', extensions: { logicalCluster: 'lkc-1', identityPoolId: 'pool-2' } }, T0), {
        value: 'abc', expiresAt: T0 + 5000, principal: 'p', extensions: ['logicalCluster', 'lkc-1', 'identityPoolId', 'pool-2'],
      });
      assert.equal(normalizeToken({ value: 'abc', expiresAt: new Date(T0 + 7000) }, T0).expiresAt, T0 + 7000);
      assert.equal(normalizeToken({ value: 'abc', lifetimeMs: 3000 }, T0).expiresAt, T0 + 3000);
      const t = jwt({ sub: 'svc-a', exp: T0 / 1000 + 60 });
      assert.deepEqual(normalizeToken({ value: t }, T0), { value: t, expiresAt: T0 + 60_000, principal: 'svc-a', extensions: [] });
      assert.equal(normalizeToken({ value: 'abc', expiresAt: T0 + 1 }, T0).principal, '');
      assert.deepEqual(jwtClaims(t), { sub: 'svc-a', exp: T0 / 1000 + 60 });
      assert.equal(jwtClaims('not-a-jwt'), undefined);
    });

    it('refuses unusable results with a typed error that never contains the token', () => {
      const secret = 'tok\u00e9n-s3cret-value';
      const cases: Array<[unknown, RegExp]> = [
        [null, /expected an object/],
        ['a string', /expected an object/],
        [{ value: '' }, /non-empty string/],
        [{ value: 'abc' }, /no expiresAt or lifetimeMs/],
        [{ value: 'abc', expiresAt: T0 + 1, lifetimeMs: 5 }, /not both/],
        [{ value: 'abc', expiresAt: 'tomorrow' }, /expiresAt must be/],
        [{ value: 'abc', lifetimeMs: Number.NaN }, /lifetimeMs must be/],
        [{ value: 'abc', expiresAt: T0 - 1000 }, /expired 1000 ms ago/],
        [{ value: 'abc', lifetimeMs: 0 }, /expired 0 ms ago/],
        [{ value: jwt({ sub: 'x', exp: T0 / 1000 - 1 }) }, /expired/],
        [{ value: secret, lifetimeMs: 1000 }, /value has characters other than/],
        [{ value: 'abc', lifetimeMs: 1000, principal: 5 }, /principal must be a string/],
        [{ value: 'abc', lifetimeMs: 1000, extensions: { auth: 'x' } }, /extension key "auth"/],
        [{ value: 'abc', lifetimeMs: 1000, extensions: { 'bad-key': 'x' } }, /letters only/],
        [{ value: 'abc', lifetimeMs: 1000, extensions: { k: 1 } }, /extension k must be a string/],
        [{ value: 'abc', lifetimeMs: 1000, extensions: ['k', 'v'] }, /extensions must be an object/],
      ];
      for (const [raw, re] of cases) {
        assert.throws(() => normalizeToken(raw, T0), (e: unknown) => {
          assert.ok(e instanceof OAuthTokenError, `typed for ${JSON.stringify(raw)}`);
          assert.equal(e.code, 'GCK_OAUTH_TOKEN');
          assert.match(e.message, re);
          assert.ok(!e.message.includes(secret));
          return true;
        });
      }
    });
  });

  describe('refresh schedule (fake clock)', () => {
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
    afterEach(() => mock.timers.reset());

    function refresher(tokens: Array<OAuthBearerToken | Error | 'hang'>, extra: Partial<ConstructorParameters<typeof OAuthBearerRefresher>[0]> = {}) {
      const errors: OAuthTokenError[] = [];
      let calls = 0;
      const r = new OAuthBearerRefresher({
        tokenProvider: () => {
          const next = tokens[Math.min(calls++, tokens.length - 1)]!;
          if (next === 'hang') return new Promise<never>(() => undefined);
          return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
        },
        onError: (e) => errors.push(e),
        ...extra,
      });
      return { r, errors, calls: () => calls };
    }

    it('fetches once at start, hands the token to a target added later at once, and refreshes at 80% of the lifetime', async () => {
      const { r, calls } = refresher([{ value: 'one', lifetimeMs: 10_000, principal: 'p', extensions: { a: 'b' } }]);
      await r.start();
      assert.equal(calls(), 1);
      const t = new FakeTarget();
      r.addTarget(t);
      assert.deepEqual(t.tokens, [{ value: 'one', expiresAt: T0 + 10_000, principal: 'p', extensions: ['a', 'b'] }]);
      assert.equal(r.currentToken(), 'one');
      mock.timers.tick(7_999);
      await settle();
      assert.equal(calls(), 1);
      mock.timers.tick(1);
      await settle();
      assert.equal(calls(), 2);
      assert.equal(t.tokens.length, 2);
      assert.equal(t.tokens[1]!.expiresAt, T0 + 8_000 + 10_000);
      r.stop();
    });

    it('a provider that throws: failure to every target, a typed error, retries with doubling backoff up to the maximum, then recovers', async () => {
      const boom = new Error('idp down');
      const { r, errors, calls } = refresher([boom, boom, boom, boom, { value: 'ok', lifetimeMs: 60_000 }], { retryBackoffMs: 1000, retryBackoffMaxMs: 3000 });
      const t = new FakeTarget();
      r.addTarget(t);
      const ready = r.start();
      await settle();
      assert.equal(calls(), 1);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof OAuthTokenError);
      assert.equal(errors[0].code, 'GCK_OAUTH_TOKEN');
      assert.equal(errors[0].retriable, true);
      assert.equal(errors[0].cause, boom);
      assert.match(errors[0].message, /token provider failed: idp down/);
      assert.deepEqual(t.failures, [errors[0].message]);
      assert.equal(r.lastError, errors[0]);
      // Retries after 1 s, 2 s, 3 s (capped), 3 s.
      for (const [wait, expected] of [[1000, 2], [2000, 3], [3000, 4], [3000, 5]] as const) {
        mock.timers.tick(wait - 1);
        await settle();
        assert.equal(calls(), expected - 1, `not before ${wait} ms`);
        mock.timers.tick(1);
        await settle();
        assert.equal(calls(), expected);
      }
      await ready;
      assert.equal(errors.length, 4);
      assert.equal(t.tokens.length, 1);
      assert.equal(r.lastError, undefined);
      r.stop();
    });

    it('a provider that does not settle within timeoutMs fails typed; its late answer is ignored', async () => {
      let release: ((t: OAuthBearerToken) => void) | undefined;
      let calls = 0;
      const errors: OAuthTokenError[] = [];
      const r = new OAuthBearerRefresher({
        tokenProvider: () => (++calls === 1 ? new Promise<OAuthBearerToken>((res) => (release = res)) : Promise.resolve({ value: 'second', lifetimeMs: 60_000 })),
        onError: (e) => errors.push(e),
        timeoutMs: 500,
        retryBackoffMs: 100,
      });
      const t = new FakeTarget();
      r.addTarget(t);
      void r.start();
      await settle();
      mock.timers.tick(500);
      await settle();
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /did not settle within 500 ms/);
      mock.timers.tick(100);
      await settle();
      assert.deepEqual(t.tokens.map((x) => x.value), ['second']);
      release!({ value: 'late', lifetimeMs: 60_000 });
      await settle();
      assert.deepEqual(t.tokens.map((x) => x.value), ['second']);
      r.stop();
    });

    it('librdkafka refusing a token counts as a failure; a target added after a failure gets the failure', async () => {
      const { r, errors } = refresher([{ value: 'x', lifetimeMs: 60_000 }]);
      const t = new FakeTarget();
      t.refuse = Object.assign(new Error('setOAuthBearerToken: Must supply an unexpired token'), { code: -186 });
      r.addTarget(t);
      void r.start();
      await settle();
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /librdkafka refused the token: setOAuthBearerToken: Must supply an unexpired token/);
      const late = new FakeTarget();
      r.addTarget(late);
      assert.deepEqual(late.failures, [errors[0]!.message]);
      r.stop();
    });

    it("librdkafka's refresh request: ignored while the token is fresh, honoured near its refresh time; forced at most once per retryBackoffMs", async () => {
      const { r, calls } = refresher([{ value: 'a', lifetimeMs: 10_000 }]);
      const t = new FakeTarget();
      r.addTarget(t);
      await r.start();
      t.emit('oauthbearer.refresh');
      await settle();
      assert.equal(calls(), 1, 'fresh token: no new call');
      mock.timers.tick(7_500); // refresh time is 8 s, within the 1 s slack
      t.emit('oauthbearer.refresh');
      await settle();
      assert.equal(calls(), 2);
      r.refreshWanted(true);
      await settle();
      assert.equal(calls(), 2, 'forced, but within retryBackoffMs of the last call');
      mock.timers.tick(1000);
      r.refreshWanted(true);
      await settle();
      assert.equal(calls(), 3);
      r.removeTarget(t);
      assert.equal(t.listenerCount('oauthbearer.refresh'), 0);
      r.stop();
    });

    it('stop(): no further calls, start() rejects when no token came, listeners removed, later targets ignored', async () => {
      const { r, calls } = refresher([new Error('down')], { retryBackoffMs: 1000 });
      const t = new FakeTarget();
      r.addTarget(t);
      const ready = r.start();
      await settle();
      r.stop();
      await assert.rejects(ready, (e: unknown) => e instanceof OAuthTokenError && /stopped before a token/.test(e.message));
      assert.equal(t.listenerCount('oauthbearer.refresh'), 0);
      mock.timers.tick(60_000);
      await settle();
      assert.equal(calls(), 1);
      const after = new FakeTarget();
      r.addTarget(after);
      assert.deepEqual(after.failures, []);
      await assert.rejects(r.start(), OAuthTokenError);
    });
  });

  it('rdkafkaClientTarget hands the value to node-rdkafka (refreshOauthBearerToken, else setOauthBearerToken)', () => {
    const admin: string[] = [];
    rdkafkaClientTarget({ refreshOauthBearerToken: (v) => void admin.push(v) }).setOAuthBearerToken('tok', T0, 'p', []);
    const client: string[] = [];
    rdkafkaClientTarget({ setOauthBearerToken: (v) => void client.push(v) }).setOAuthBearerToken('tok2', T0, 'p', []);
    assert.deepEqual([admin, client], [['tok'], ['tok2']]);
    assert.throws(() => rdkafkaClientTarget({}).setOAuthBearerToken('x', T0, '', []), TypeError);
  });

  it('the options are checked', () => {
    assert.throws(() => new OAuthBearerRefresher({} as never), (e: unknown) => e instanceof Error && e.name === 'InvalidArgumentError' && /tokenProvider: got undefined, expected a function/.test(e.message));
    assert.throws(() => new OAuthBearerRefresher({ tokenProvider: () => ({ value: 'x', lifetimeMs: 1 }), timeoutMs: 0 }), /timeoutMs/);
    assert.throws(() => new OAuthBearerRefresher({ tokenProvider: () => ({ value: 'x', lifetimeMs: 1 }), retryBackoffMs: 1.5 }), /retryBackoffMs/);
  });
});

describe('batch consumer addon: OAUTHBEARER methods (no broker)', function () {
  this.timeout(20_000);
  const base = { 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'unit-oauth', 'socket.connection.setup.timeout.ms': 1000 };
  const oauth = { ...base, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'OAUTHBEARER', 'gocoffee.oauthbearer': '1' };

  it("asks for a token once created (served on the JS thread even while subscribed and not fetching); takes one; librdkafka's refusals are typed and never quote the token", async () => {
    const c = newBatchConsumer(oauth, {});
    try {
      c.subscribe(['t']); // not started: the consumer queue is not drained, the SASL queue is
      await new Promise<void>((resolve) => c.once('oauthbearer.refresh', () => resolve()));
      assert.equal(c.engineStats().oauthRefreshRequests, 1);
      c.setOAuthBearerToken('header.payload.', Date.now() + 60_000, 'svc', ['logicalCluster', 'lkc-1']);
      assert.throws(() => c.setOAuthBearerToken('abc', Date.now() - 1000, 'svc'), (e: unknown) => {
        assert.ok(e instanceof OAuthTokenError);
        assert.match(e.message, /unexpired token/);
        assert.equal(e.context.librdkafkaCode, -186);
        return true;
      });
      const secret = 'secret\u0001token-value';
      assert.throws(() => c.setOAuthBearerToken(secret, Date.now() + 60_000, 'svc'), (e: unknown) => {
        assert.ok(e instanceof OAuthTokenError);
        assert.match(e.message, /%x21-7E/);
        assert.ok(!e.message.includes('token-value'), e.message);
        return true;
      });
      assert.throws(() => c.setOAuthBearerToken('abc', Date.now() + 60_000, 'svc', ['odd']), /Incorrect extension size/);
      assert.throws(() => c.setOAuthBearerToken('a\u0000b', Date.now() + 60_000, 'svc'), /NUL/);
    } finally {
      await new Promise<void>((resolve) => c.disconnect(() => resolve()));
    }
    c.setOAuthBearerToken('abc', Date.now() + 60_000, 'svc'); // closed: a no-op
  });

  it('a token failure reaches librdkafka, which reports it as an authentication error (-169)', async () => {
    const c = newBatchConsumer(oauth, {});
    try {
      const reported = new Promise<NativeError>((resolve) => c.on('event.error', (e: NativeError) => e.code === -169 && resolve(e)));
      c.setOAuthBearerTokenFailure('identity provider unavailable');
      const e = await reported;
      assert.match(String(e.message), /Failed to acquire SASL OAUTHBEARER token: identity provider unavailable/);
    } finally {
      await new Promise<void>((resolve) => c.disconnect(() => resolve()));
    }
  });

  it('a consumer without OAUTHBEARER refuses a token (ERR__STATE) and never asks for one', async () => {
    const c = newBatchConsumer({ ...base, 'gocoffee.oauthbearer': '1' }, {});
    try {
      assert.throws(() => c.setOAuthBearerToken('abc', Date.now() + 60_000, 'svc'), (e: unknown) => e instanceof OAuthTokenError && e.context.librdkafkaCode === -172);
      assert.equal(c.engineStats().oauthRefreshRequests, 0);
    } finally {
      await new Promise<void>((resolve) => c.disconnect(() => resolve()));
    }
  });
});

/** A refresher that records its targets and librdkafka's refresh requests (the real one underneath). */
class RecordingRefresher extends OAuthBearerRefresher {
  readonly added: OAuthBearerTarget[] = [];
  readonly removed: OAuthBearerTarget[] = [];
  wanted = 0;
  #onWanted: (() => void) | undefined;
  constructor(retryBackoffMs?: number) {
    let n = 0;
    super({ tokenProvider: () => ({ value: jwt({ sub: 'svc', exp: Math.floor(Date.now() / 1000) + 3600, n: ++n }) }), ...(retryBackoffMs !== undefined ? { retryBackoffMs } : {}) });
  }
  /** Resolves at the next refresh request. */
  nextWanted(): Promise<void> {
    return new Promise<void>((resolve) => (this.#onWanted = resolve));
  }
  override addTarget(target: OAuthBearerTarget): void {
    this.added.push(target);
    super.addTarget(target);
  }
  override removeTarget(target: OAuthBearerTarget): void {
    this.removed.push(target);
    super.removeTarget(target);
  }
  override refreshWanted(force?: boolean): void {
    this.wanted++;
    this.#onWanted?.();
    super.refreshWanted(force);
  }
}

describe('admin addon: OAUTHBEARER (no broker)', function () {
  this.timeout(20_000);
  const base = { 'bootstrap.servers': '127.0.0.1:1', 'socket.connection.setup.timeout.ms': 1000 };
  const oauth = { ...base, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'OAUTHBEARER' };

  it("through a binding with a refresher: built with the refresh hook (librdkafka's request reaches the refresher on the JS thread), a target until closed; refusals typed, never quoting the token", async () => {
    const r = new RecordingRefresher();
    await r.start();
    const wanted = r.nextWanted();
    const a = createNativeAdminClient(oauth, withOAuthBearer(loadNativeBinding(), r));
    try {
      assert.equal(r.added.length, 1, 'registered at creation');
      await wanted; // the request librdkafka queued at rd_kafka_new, served by the hook
      const target = r.added[0]!;
      target.setOAuthBearerToken('header.payload.', Date.now() + 60_000, 'svc', ['logicalCluster', 'lkc-1']);
      assert.throws(() => target.setOAuthBearerToken('abc', Date.now() - 1000, 'svc', []), (e: unknown) => {
        assert.ok(e instanceof OAuthTokenError);
        assert.match(e.message, /unexpired token/);
        assert.equal(e.context.librdkafkaCode, -186);
        return true;
      });
      assert.throws(() => target.setOAuthBearerToken('secret\u0001token-value', Date.now() + 60_000, 'svc', []), (e: unknown) => {
        assert.ok(e instanceof OAuthTokenError);
        assert.ok(!e.message.includes('token-value'), e.message);
        return true;
      });
      target.setOAuthBearerTokenFailure('identity provider unavailable');
      assert.deepEqual(r.removed, []);
    } finally {
      await a.close();
      r.stop();
    }
    assert.deepEqual(r.removed, r.added, 'unregistered at close');
    a.setOAuthBearerToken!('abc', Date.now() - 1000, 'svc', []); // closed: a no-op
  });

  it('through the plain binding: no hook; a handle without OAUTHBEARER refuses a token (ERR__STATE)', async () => {
    const a = createNativeAdminClient(base);
    try {
      assert.throws(() => adminTokenTarget(a).setOAuthBearerToken('abc', Date.now() + 60_000, 'svc', []), (e: unknown) => e instanceof OAuthTokenError && e.context.librdkafkaCode === -172);
    } finally {
      await a.close();
    }
  });

  it("TopicManager and GroupAdmin of a host whose binding has a refresher: every handle they open (ensureTopics' too) takes the host's tokens until it is closed", async () => {
    const r = new RecordingRefresher();
    await r.start();
    const host: AdminHost = {
      config: resolveConfig({ brokers: ['127.0.0.1:1'], enableSasl: true, saslMechanism: 'OAUTHBEARER', writeTimeoutMs: 1000 }),
      metadata: async () => ({ orig_broker_id: 1, orig_broker_name: 'b', brokers: [], topics: [] }) as unknown as NativeMetadata,
      binding: withOAuthBearer(loadNativeBinding(), r),
    };
    try {
      const a = adminFactoryOf(host)();
      assert.equal(r.added.length, 1);
      await a.close();
      assert.deepEqual(r.removed, r.added);
      // No broker: the calls time out, and their handles are closed (unregistered) all the same.
      await assert.rejects(new GroupAdmin(host).listGroups({ timeoutMs: 500 }));
      await assert.rejects(new TopicManager(host).deleteTopics(['t'], { timeoutMs: 500 }));
      await assert.rejects(new TopicManager(host).ensureTopics([{ name: 't' }]), TopicError);
      assert.equal(r.added.length, 4);
      assert.deepEqual(r.removed, r.added);
    } finally {
      r.stop();
    }
  });
});

describe('withOAuthBearer: node-rdkafka admin client (fake binding)', () => {
  it('creates it with the current token (AdminClient.create(conf, token)), hands it later tokens, unregisters it at disconnect', async () => {
    const r = new RecordingRefresher();
    await r.start();
    const created: Array<{ global: NativeConfig; token: string | undefined }> = [];
    const refreshed: string[] = [];
    let disconnected = 0;
    const fake = {
      createAdmin(this: unknown, global: NativeConfig, token?: string): NativeAdmin {
        assert.equal(this, fake, 'called on the binding');
        created.push({ global, token });
        return { refreshOauthBearerToken: (t: string) => void refreshed.push(t), disconnect: () => void disconnected++ } as unknown as NativeAdmin;
      },
    } as unknown as NativeBinding;
    try {
      const admin = withOAuthBearer(fake, r).createAdmin({ 'bootstrap.servers': 'b:1' });
      assert.equal(created.length, 1);
      assert.equal(created[0]!.token, r.currentToken());
      assert.deepEqual(created[0]!.global, { 'bootstrap.servers': 'b:1' }, 'no addon hook key for node-rdkafka');
      assert.deepEqual(refreshed, [r.currentToken()], 'addTarget hands the current token too');
      admin.disconnect();
      assert.equal(disconnected, 1);
      assert.deepEqual(r.removed, r.added);
    } finally {
      r.stop();
    }
  });
});

/** A binding whose admin addon handles are scripted: what each was created with, the tokens it got, its close() calls. */
function adminAddonFake() {
  const handles: Array<{ global: NativeConfig; onRefresh: (() => void) | undefined; tokens: string[]; failures: string[]; closed: number }> = [];
  const binding = new (class extends FakeBinding {
    override createAdminClient(global: NativeConfig, onOAuthRefresh?: () => void): NativeAdminClient {
      const h = { global, onRefresh: onOAuthRefresh, tokens: [] as string[], failures: [] as string[], closed: 0 };
      handles.push(h);
      return {
        listGroups: async () => ({ groups: [], errors: [] }),
        close: async () => void h.closed++,
        setOAuthBearerToken: (value: string) => void h.tokens.push(value),
        setOAuthBearerTokenFailure: (reason: string) => void h.failures.push(reason),
      } as unknown as NativeAdminClient;
    }
  })();
  return { binding, handles };
}

describe('withOAuthBearer: admin addon client (fake binding)', () => {
  it("created with the refresh hook (librdkafka's requests reach the refresher), the current token at creation and every refresh until closed", async () => {
    const r = new RecordingRefresher(1); // a forced refresh may follow the last fetch after 1 ms
    await r.start();
    const { binding, handles } = adminAddonFake();
    try {
      const admin = withOAuthBearer(binding, r).createAdminClient({ 'bootstrap.servers': 'b:1' });
      assert.equal(handles.length, 1);
      const h = handles[0]!;
      assert.deepEqual(h.global, { 'bootstrap.servers': 'b:1', 'gocoffee.oauthbearer': '1' });
      assert.deepEqual(h.tokens, [r.currentToken()], 'the current token, in the same tick');
      h.onRefresh!();
      assert.equal(r.wanted, 1, "librdkafka's request goes to the refresher");
      await new Promise((resolve) => setTimeout(resolve, 5));
      r.refreshWanted(true);
      await settle();
      assert.deepEqual(h.tokens, [h.tokens[0], r.currentToken()], 'a refreshed token reaches the open handle');
      assert.notEqual(h.tokens[1], h.tokens[0]);
      await admin.close();
      assert.equal(h.closed, 1);
      assert.deepEqual(r.removed, r.added);
      await new Promise((resolve) => setTimeout(resolve, 5));
      r.refreshWanted(true);
      await settle();
      assert.equal(r.fetches, 3);
      assert.equal(h.tokens.length, 2, 'nothing after close');
    } finally {
      r.stop();
    }
  });

  it("a ConnectionManager with a token provider: its GroupAdmin's handles come from its binding, with the hook and the client's token", async () => {
    const { binding, handles } = adminAddonFake();
    const value = jwt({ sub: 'svc', exp: Math.floor(Date.now() / 1000) + 3600 });
    const cm = new ConnectionManager(resolveConfig({ brokers: ['b:1'], enableSasl: true, saslMechanism: 'OAUTHBEARER' }), { binding, oauthBearerTokenProvider: () => ({ value }) });
    try {
      await cm.oauthBearer!.start();
      assert.deepEqual(await cm.createGroupAdmin().listGroups(), []);
      assert.equal(handles.length, 1);
      assert.equal(handles[0]!.global['gocoffee.oauthbearer'], '1');
      assert.equal(typeof handles[0]!.onRefresh, 'function');
      assert.deepEqual(handles[0]!.tokens, [value]);
      assert.equal(handles[0]!.closed, 1);
    } finally {
      cm.oauthBearer!.stop();
    }
  });
});
