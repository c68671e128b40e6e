import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createNativeAdminClient } from '../../../src/native/admin.js';
import { loadNativeBinding } from '../../../src/native/binding.js';
import { OAuthBearerRefresher } from '../../../src/native/oauth.js';
import { withOAuthBearer } from '../../../src/native/oauth-binding.js';

/** A full GC (mocha runs without --expose-gc: switched on at run time, `gc` taken from a fresh context). */
const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** librdkafka's threads of this process (rdk:main, rdk:broker…): a handle's exist until rd_kafka_destroy has joined them. */
function rdkThreads(): number {
  let n = 0;
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      if (fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('rdk:')) n++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return n;
}

/** Collects garbage and lets finalizers run until `done()`, at most 200 rounds. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await delay(1);
    gc();
    await delay(10);
  }
}

describe('admin addon: an Admin garbage collected without close()', () => {
  it('is finalized and its handle destroyed (off the JS thread): its librdkafka threads end', async () => {
    for (let i = 0; i < 3; i++) {
      gc(); // settle what earlier tests left to the collector
      await delay(10);
    }
    const before = rdkThreads();
    const ref = (() => {
      const a = createNativeAdminClient({ 'bootstrap.servers': '127.0.0.1:1' });
      return new WeakRef(a);
    })();
    assert.ok(rdkThreads() > before, 'rd_kafka_new started its threads');
    await collectUntil(() => ref.deref() === undefined && rdkThreads() <= before);
    assert.equal(ref.deref(), undefined, 'the Admin was collected');
    assert.ok(rdkThreads() <= before, `librdkafka threads left: ${rdkThreads()} (before: ${before})`);
  });

  it('with the OAUTHBEARER refresh hook: the hook is released in the finalizer (JS thread), then the handle is destroyed off it', async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await delay(10);
    }
    const before = rdkThreads();
    const refresher = new OAuthBearerRefresher({ tokenProvider: () => ({ value: 'header.payload.', lifetimeMs: 60_000 }) });
    await refresher.start();
    let asked!: () => void;
    const wanted = new Promise<void>((resolve) => (asked = resolve));
    refresher.refreshWanted = () => asked();
    const ref = (() => {
      const a = createNativeAdminClient({ 'bootstrap.servers': '127.0.0.1:1', 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'OAUTHBEARER' }, withOAuthBearer(loadNativeBinding(), refresher));
      return new WeakRef(a);
    })();
    await wanted; // the hook is live: librdkafka's first refresh request reached JS
    refresher.stop(); // lets go of its targets (close() would too): only the finalizer is left
    await collectUntil(() => ref.deref() === undefined && rdkThreads() <= before);
    assert.equal(ref.deref(), undefined, 'the Admin was collected');
    assert.ok(rdkThreads() <= before, `librdkafka threads left: ${rdkThreads()} (before: ${before})`);
  });
});
