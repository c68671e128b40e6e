import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { resolveConfig } from '../../../src/config/index.js';
import { CounterStore, MAX_TOPICS, OTHER_TOPICS } from '../../../src/telemetry/counters.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { metricValue } from '../../helpers/metrics.js';

describe('message counters (unit)', () => {
  it('two connections on one registry are summed; a closed one keeps its counts, folded into one store', async () => {
    const registry = new Registry();
    const config = resolveConfig({ brokers: ['fake:9092'] });
    const a = new Telemetry(config, { metrics: registry });
    const b = new Telemetry(config, { metrics: registry });
    a.counters.publish('orders').total += 3;
    b.counters.publish('orders').total += 2;
    a.counters.error(a.counters.publish('orders'), 'GCK_KAFKA__MSG_TIMED_OUT');
    const total = async () => metricValue(await registry.metrics(), 'kafka_messages_total', { topic: 'orders', operation: 'publish' });
    assert.equal(await total(), 5);
    a.metrics!.retireCounters(a.counters);
    a.metrics!.retireCounters(a.counters); // twice: no double count
    assert.equal(await total(), 5, 'counts of the closed connection stay (counters never go down)');
    b.metrics!.retireCounters(b.counters);
    assert.equal(await total(), 5);
    assert.equal(metricValue(await registry.metrics(), 'kafka_messages_error_total', { topic: 'orders', operation: 'publish', error_type: 'GCK_KAFKA__MSG_TIMED_OUT' }), 1);
    // getStatistics' view of a live store
    const c = new Telemetry(config, { metrics: registry });
    c.counters.publish('orders').total++;
    c.counters.publish('orders').success++;
    c.counters.counters('orders', 'consume').total += 4;
    assert.deepEqual(c.counters.snapshot(), { orders: { published: 1, publishSucceeded: 1, publishFailed: 0, publishRetries: 0, consumed: 4, handled: 0, retried: 0, deadLettered: 0 } });
    assert.equal(await total(), 6);
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
