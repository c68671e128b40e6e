import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { ConnectionManager } from '../../../src/client.js';
import type { ConsumedMessage } from '../../../src/consumer/index.js';
import { Manager } from '../../../src/gocoffee/index.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, REGISTRY_URL, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from '../consumer/util.js';
import { installInMemoryTracing } from '../../helpers/otel.js';
import { metricValue } from '../../helpers/metrics.js';

type Line = Record<string, unknown> & { msg?: string; level: number; component?: string };

/** A pino logger writing parsed lines into an array (synchronously). */
function capture(level = 'debug'): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe('logs and statistics (real broker)', function () {
  this.timeout(120_000);
  let otel: ReturnType<typeof installInMemoryTracing>;
  before(() => {
    otel = installInMemoryTracing();
  });
  after(() => otel.uninstall());

  it('library lines carry trace_id / span_id of the active span', async () => {
    const { logger, lines } = capture('info');
    const cm = new ConnectionManager(testConfig({ clientId: 'log-trace' }), { telemetry: { logger } });
    const span = trace.getTracer('test').startSpan('service start-up');
    try {
      await context.with(trace.setSpan(context.active(), span), () => cm.initialize());
    } finally {
      span.end();
      await cm.close();
    }
    const init = lines.find((l) => l.msg === 'initializing Kafka connection');
    assert.ok(init, 'the connection logs its initialization');
    assert.equal(init.component, 'connection');
    assert.equal(init.trace_id, span.spanContext().traceId);
    assert.equal(init.span_id, span.spanContext().spanId);
  });

  it("consumer lines: start, rebalance, each retry and dead letter with the message's trace ids, stop; librdkafka's consumer lines forwarded with the group", async () => {
    const { logger, lines } = capture('debug');
    // `debug: cgrp` makes librdkafka log consumer-group events (only a consumer has them).
    const cm = new ConnectionManager(testConfig({ clientId: 'log-consumer', retryBackoffMs: 10, librdkafka: { debug: 'cgrp' } }), { telemetry: { logger } });
    await cm.initialize();
    const topic = uniqueName('logc');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    const parent = trace.getTracer('test').startSpan('request');
    const results = await context.with(trace.setSpan(context.active(), parent), () =>
      cm.producer.publishBatch([newMessage(topic, 'ok-1').withKey('a'), newMessage(topic, 'bad').withKey('b'), newMessage(topic, 'ok-2').withKey('c')]),
    );
    parent.end();
    assert.ok(results.every((r) => r.ok));
    const badOffset = (results[1] as { result: { offset: number } }).result.offset;
    const { Consumer } = await import('../../../src/consumer/index.js');
    const consumer = new Consumer(cm, { retryMax: 1, retryBackoffMs: 10 });
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage) {
        if (m.value?.toString() === 'bad') throw new Error('cannot brew this one');
      },
    });
    try {
      await consumer.start();
      await waitUntil(() => consumer.stats()[0]!.deadLettered === 1 && consumer.stats()[0]!.processed === 3, 60_000, () => JSON.stringify(consumer.stats()[0]));
    } finally {
      await consumer.stop();
      await cm.close();
    }
    const own = lines.filter((l) => l.component === 'consumer');
    const find = (msg: string) => own.find((l) => l.msg === msg);
    assert.ok(find('consumer started'), 'start is logged');
    const assigned = find('partitions assigned');
    assert.ok(assigned, 'the assignment is logged');
    assert.equal(assigned.group, group);
    assert.equal(assigned.partitions, `${topic}[0]`);
    const retry = find('handler failed; the message will be retried');
    assert.ok(retry, 'the retry is logged');
    assert.equal(retry.level, 40);
    assert.equal(retry.topic, topic);
    assert.equal(retry.offset, badOffset);
    assert.equal(retry.attempt, 1);
    assert.equal(retry.error_type, 'Error');
    assert.equal(retry.error_message, 'cannot brew this one');
    assert.equal(retry.trace_id, parent.spanContext().traceId, "the retry line has the message's trace id");
    assert.equal(retry.group, group);
    const dead = find('message dead-lettered');
    assert.ok(dead, 'the dead letter is logged');
    assert.equal(dead.level, 50);
    assert.equal(dead.offset, badOffset);
    assert.equal(dead.attempts, 2);
    assert.equal(dead.trace_id, parent.spanContext().traceId);
    assert.ok(find('consumer stopped: all fetched work finished and committed'), 'the stop is logged');
    assert.equal(own.filter((l) => l.msg === 'message dead-lettered').length, 1, 'one dead-letter line');
    const rd = lines.filter((l) => l.component === 'librdkafka' && l.group === group);
    assert.ok(rd.length > 0, "librdkafka's consumer log lines are forwarded with the group id");
    assert.ok(rd.every((l) => typeof l.librdkafka_facility === 'string'));
  });

  it('getStatistics(): per-topic counters of a known run and the librdkafka summaries; consumer statistics as gauges', async () => {
    const registry = new Registry();
    const topic = uniqueName('stats');
    const group = uniqueName('g');
    await createTopic(topic, 2);
    await createTopic(`${topic}.dlq`, 1);
    const m = new Manager(testConfig({ clientId: 'stats-it', schemaRegistryUrl: REGISTRY_URL, retryBackoffMs: 10 }), {
      connection: { telemetry: { metrics: registry, statisticsIntervalMs: 200 } },
      consumer: { retryMax: 1, retryBackoffMs: 10 },
    });
    await m.initialize();
    try {
      const N = 12;
      for (let i = 0; i < N; i++) await m.connection.producer.publish(newMessage(topic, i === 5 ? 'bad' : `v${i}`).withKey(`k${i % 3}`));
      m.consumer.registerHandler({
        topics: [topic],
        groupId: group,
        handle(msg: ConsumedMessage) {
          if (msg.value?.toString() === 'bad') throw new Error('bad one');
        },
      });
      await m.consumer.start();
      await waitUntil(() => (m.consumer.stats()[0]?.processed ?? 0) === N, 60_000, () => JSON.stringify(m.consumer.stats()));
      await waitUntil(() => m.getStatistics().librdkafka.consumers[group] !== undefined && m.getStatistics().librdkafka.producer !== undefined, 10_000, () => 'no librdkafka statistics yet');
      const s = m.getStatistics();
      assert.deepEqual(s.perTopic[topic], { published: N, publishSucceeded: N, publishFailed: 0, publishRetries: 0, consumed: N, handled: N - 1, retried: 1, deadLettered: 1 });
      const c = s.librdkafka.consumers[group]!;
      assert.equal(c.type, 'consumer');
      assert.ok(c.brokers.length >= 1 && c.brokers.every((b) => typeof b.rttAvgMs === 'number'));
      assert.equal(s.librdkafka.producer!.type, 'producer');
      const text = await registry.metrics();
      assert.equal(metricValue(text, 'kafka_librdkafka_broker_up', { client: `stats-it/${group}` }), 1, `consumer gauges:\n${text}`);
      assert.ok(metricValue(text, 'kafka_librdkafka_tx_messages_total', { client: 'stats-it' }) > 0);
      await m.consumer.stop();
      const after = await registry.metrics();
      assert.ok(!after.includes(`client="stats-it/${group}"`), 'a stopped consumer group leaves no librdkafka series behind');
      assert.equal(metricValue(after, 'kafka_messages_total', { topic, operation: 'consume' }), N, 'its counts stay');
    } finally {
      await m.close();
    }
    const closed = await registry.metrics();
    assert.equal(metricValue(closed, 'kafka_messages_total', { topic, operation: 'publish' }), 12, 'a closed connection keeps its counts in the registry');
    assert.equal(metricValue(closed, 'kafka_messages_success_total', { topic, operation: 'consume' }), 11);
  });
});
