import assert from 'node:assert/strict';
import { channel, hasSubscribers } from 'node:diagnostics_channel';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { Subscriptions } from '../../../src/telemetry/subscriptions.js';
import { FakeBinding } from '../../helpers/fake-binding.js';
import { metricValue } from '../../helpers/metrics.js';

/** A full GC (mocha runs without --expose-gc: switched on at run time, `gc` taken from a fresh context). */
const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/**
 * Collects garbage and lets FinalizationRegistry callbacks run, until `done()` or 50 rounds. A
 * WeakRef's target stays alive until the end of the job that dereferenced it: gc() runs in a later one.
 */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) {
    await delay(1);
    gc();
    await delay(5);
  }
}

describe('telemetry/subscriptions: a client dropped without close() is not kept alive by its channel listeners (issue 19)', () => {
  it("routes each event to the listeners of its own client only (by the event's source); clear() unsubscribes", () => {
    const name = 'gocoffee-kafka:test:subscriptions-route';
    const a = new Diagnostics({ clientId: 'a' });
    const b = new Diagnostics({ clientId: 'b' });
    const seen: string[] = [];
    const subs = new Subscriptions(a);
    subs.on<{ source: Diagnostics }>(name, (ev) => seen.push(ev.source.clientId));
    for (const source of [a, b, undefined]) channel(name).publish({ source });
    assert.deepEqual(seen, ['a']);
    assert.equal(subs.size, 1);
    subs.clear();
    assert.equal(subs.size, 0);
    assert.equal(hasSubscribers(name), false);
  });

  it('a dropped Subscriptions neither keeps its Diagnostics alive nor stays subscribed', async () => {
    const name = 'gocoffee-kafka:test:subscriptions-gc';
    let ref: WeakRef<Diagnostics> | undefined;
    (() => {
      const diag = new Diagnostics({ clientId: 'dropped' });
      new Subscriptions(diag).on(name, () => undefined);
      ref = new WeakRef(diag);
    })();
    assert.equal(hasSubscribers(name), true);
    await collectUntil(() => ref!.deref() === undefined && !hasSubscribers(name));
    assert.equal(ref!.deref(), undefined, 'the Diagnostics was collected');
    assert.equal(hasSubscribers(name), false, 'its listener was unsubscribed once its Subscriptions was collected');
  });

  it('a ConnectionManager with a logger, a metrics registry and a tracer provider, dropped without close(), is collected; its counts stay in the registry', async () => {
    const registry = new Registry();
    let client: WeakRef<ConnectionManager> | undefined;
    let diag: WeakRef<Diagnostics> | undefined;
    await (async () => {
      const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), {
        binding: new FakeBinding(),
        closeTimeoutMs: 50,
        telemetry: { logger: pino({ level: 'silent' }), metrics: registry, tracerProvider: new BasicTracerProvider() },
      });
      await cm.initialize();
      assert.equal(cm.telemetry.tracing?.attached, true, 'tracing listens');
      cm.diagnostics.counters.counters('dropped-topic', 'publish').total += 2;
      client = new WeakRef(cm);
      diag = new WeakRef(cm.diagnostics);
    })();
    await collectUntil(() => client!.deref() === undefined && diag!.deref() === undefined);
    assert.equal(client!.deref(), undefined, 'the ConnectionManager was collected');
    assert.equal(diag!.deref(), undefined, 'its Diagnostics was collected');
    // Its counts stay (folded into the registry's store of closed connections: counters never go down).
    assert.equal(metricValue(await registry.metrics(), 'kafka_messages_total', { topic: 'dropped-topic', operation: 'publish' }), 2);
  });
});
