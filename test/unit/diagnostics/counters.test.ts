import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { resolveConfig } from '../../../src/config/index.js';
import { CounterStore, MAX_TOPICS, OTHER_TOPICS } from '../../../src/diagnostics/counters.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { metricValue } from '../../helpers/metrics.js';

describe('message counters (unit)', () => {
  it('two connections on one registry are summed; a closed one keeps its counts, folded into one store', async () => {
    const registry = new Registry();
    const config = resolveConfig({ brokers: ['fake:9092'] });
    const da = new Diagnostics({ clientId: 'a' });
    const db = new Diagnostics({ clientId: 'b' });
    const a = new Telemetry(config, da, { metrics: registry, tracing: false });
    const b = new Telemetry(config, db, { metrics: registry, tracing: false });
    da.counters.publish('orders').total += 3;
    db.counters.publish('orders').total += 2;
    da.counters.error(da.counters.publish('orders'), 'GCK_KAFKA__MSG_TIMED_OUT');
    const total = async () => metricValue(await registry.metrics(), 'kafka_messages_total', { topic: 'orders', operation: 'publish' });
    assert.equal(await total(), 5);
    a.close();
    a.metrics!.retireCounters(da.counters); // twice: no double count
    assert.equal(await total(), 5, 'counts of the closed connection stay (counters never go down)');
    b.close();
    assert.equal(await total(), 5);
    assert.equal(metricValue(await registry.metrics(), 'kafka_messages_error_total', { topic: 'orders', operation: 'publish', error_type: 'GCK_KAFKA__MSG_TIMED_OUT' }), 1);
    // getStatistics' view of a live store
    const dc = new Diagnostics({ clientId: 'c' });
    const c = new Telemetry(config, dc, { metrics: registry, tracing: false });
    dc.counters.publish('orders').total++;
    dc.counters.publish('orders').success++;
    dc.counters.counters('orders', 'consume').total += 4;
    assert.deepEqual(dc.counters.snapshot(), { orders: { published: 1, publishSucceeded: 1, publishFailed: 0, publishRetries: 0, consumed: 4, handled: 0, retried: 0, deadLettered: 0 } });
    assert.equal(await total(), 6);
    c.close();
  });

  it('beyond 10,000 topics per operation, new topics are counted under _other_topics (bounded memory and series)', () => {
    const store = new CounterStore();
    for (let i = 0; i < MAX_TOPICS; i++) store.publish(`t${i}`).total++;
    store.publish('one-more').total++;
    store.publish('and-another').total++;
    const snap = store.snapshot();
    assert.equal(Object.keys(snap).length, MAX_TOPICS + 1);
    assert.equal(snap[OTHER_TOPICS]!.published, 2);
    assert.equal(snap['t0']!.published, 1);
  });
});
