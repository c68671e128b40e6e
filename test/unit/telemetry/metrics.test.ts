import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { ConsumerBinding, handlerTimeoutRun } from '../consumer/fake-consumer.js';
import { metricValue } from '../../helpers/metrics.js';

describe('telemetry/metrics: kafka_handler_timeouts_total (issue 17 item 8, fake broker)', () => {
  it('counts each handler run that hits handlerTimeoutMs, by topic and group (from the task-end channel); other failures are not timeouts', async () => {
    const registry = new Registry();
    const seen: string[] = [];
    const { cm, consumer } = await handlerTimeoutRun({ closeTimeoutMs: 50, telemetry: { metrics: registry, tracing: false } }, (m) => {
      seen.push(`${m.offset}@${m.attempt}`);
      // offset 0 hangs twice (two timeouts), offset 1 throws once (a failure, not a timeout)
      if (m.offset === 0 && m.attempt <= 2) return new Promise<void>(() => undefined);
      if (m.offset === 1 && m.attempt === 1) throw new Error('boom');
      return undefined;
    });
    try {
      const end = Date.now() + 5000;
      while (!(seen.includes('0@3') && seen.includes('1@2')) && Date.now() < end) await delay(10);
      assert.ok(seen.includes('0@3') && seen.includes('1@2'), `ran: ${seen.join(' ')}`);
      const text = await registry.metrics();
      assert.equal(metricValue(text, 'kafka_handler_timeouts_total', { topic: 't', group: 'g' }), 2, text);
      assert.equal(consumer.stats()[0]!.handlerTimeouts, 2, 'the same count as the consumer statistics');
      assert.equal(metricValue(text, 'kafka_retries_total', { topic: 't', operation: 'consume' }), 3, 'two timeouts and one failure were retried');
    } finally {
      await consumer.stop();
      await cm.close();
    }
  });

  it('is registered (at 0 series) with the other metrics as soon as a registry is given', async () => {
    const registry = new Registry();
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding: new ConsumerBinding(), closeTimeoutMs: 50, telemetry: { metrics: registry, tracing: false } });
    assert.match(await registry.metrics(), /# TYPE kafka_handler_timeouts_total counter/);
    await cm.close();
  });
});
