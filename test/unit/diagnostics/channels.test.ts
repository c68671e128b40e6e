import assert from 'node:assert/strict';
import { hasSubscribers, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { CHANNELS, type SendEvent, type SettledEvent } from '../../../src/diagnostics/channels.js';
import { newMessage } from '../../../src/message/outgoing.js';
import { FakeBinding, type FakeProducer } from '../../helpers/fake-binding.js';

const ALL = Object.values(CHANNELS);
const subscribed = (): string[] => ALL.filter((name) => hasSubscribers(name));

function client(telemetry: ConstructorParameters<typeof ConnectionManager>[1] extends infer O ? (O extends { telemetry?: infer T } ? T : never) : never, binding = new FakeBinding()) {
  return { cm: new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding, closeTimeoutMs: 50, telemetry }), binding };
}

describe('diagnostics channels (telemetry listens)', () => {
  it('nothing configured (no logger, no metrics, no tracing): no channel has a subscriber, so the hot path publishes nothing', async () => {
    const { cm } = client({ tracing: false });
    await cm.initialize();
    assert.deepEqual(subscribed(), []);
    await cm.close();
  });

  it('each adapter subscribes to what it needs, only while its client is open', async () => {
    const { cm } = client({ logger: pino({ level: 'silent' }), tracing: false });
    assert.deepEqual(subscribed().sort(), [CHANNELS.CONSUMER_FAILURE, CHANNELS.LOG].sort(), 'logs');
    await cm.close();
    assert.deepEqual(subscribed(), [], 'unsubscribed at close');
    const m = client({ metrics: new Registry(), tracing: false }).cm;
    assert.deepEqual(subscribed().sort(), [CHANNELS.CONSUMER_TASK_END, CHANNELS.PRODUCER_SETTLED].sort(), 'metrics');
    await m.close();
    const t = client({ tracerProvider: new BasicTracerProvider() }).cm;
    assert.deepEqual(subscribed().sort(), [CHANNELS.PRODUCER_SEND, CHANNELS.PRODUCER_SETTLED, CHANNELS.CONSUMER_FETCH, CHANNELS.CONSUMER_TASK_START, CHANNELS.CONSUMER_TASK_END].sort(), 'tracing with a provider');
    assert.equal(typeof t.diagnostics.traceRunner, 'function', 'handlers run under their trace');
    assert.match(t.diagnostics.traceModule ?? '', /telemetry\/worker-trace\.(js|ts)$/);
    await t.close();
    assert.deepEqual(subscribed(), []);
    assert.equal(t.diagnostics.traceRunner, undefined);
  });

  it('a subscriber of its own sees each publish (send, then settled with the broker result) from the client it filters on', async () => {
    const { cm, binding } = client({ tracing: false });
    const other = client({ tracing: false }).cm;
    await cm.initialize();
    await other.initialize();
    const sends: SendEvent[] = [];
    const settled: Array<{ topic: string; partition: number | undefined; error: string | undefined; headers: number }> = [];
    const onSend = (m: unknown) => {
      const ev = m as SendEvent;
      if (ev.source !== cm.diagnostics) return;
      sends.push(ev);
      (ev.headers ??= []).push({ 'x-seen': 'yes' }); // before librdkafka sees the message
    };
    const onSettled = (m: unknown) => {
      const ev = m as SettledEvent;
      if (ev.source === cm.diagnostics) settled.push({ topic: ev.topic, partition: ev.result?.partition, error: ev.error?.message, headers: ev.headers?.length ?? 0 });
    };
    subscribe(CHANNELS.PRODUCER_SEND, onSend);
    subscribe(CHANNELS.PRODUCER_SETTLED, onSettled);
    try {
      const p = cm.producer.publish(newMessage('orders', 'a').withKey('k1'));
      const q = other.producer.publish(newMessage('orders', 'b'));
      await new Promise((r) => setImmediate(r));
      const native = binding.producers[0] as FakeProducer;
      assert.deepEqual(native.produced[0]!.headers?.slice(-1), [{ 'x-seen': 'yes' }], 'the header a send subscriber added was produced');
      native.deliverAll();
      ((other as unknown as { binding: FakeBinding }).binding.producers[0] as FakeProducer).deliverAll();
      await Promise.all([p, q]);
      assert.equal(sends.length, 1, "the other client's message is not this client's event");
      assert.equal(sends[0]!.topic, 'orders');
      assert.equal(sends[0]!.key?.toString(), 'k1');
      assert.equal(settled.length, 1);
      assert.equal(settled[0]!.error, undefined);
      assert.equal(typeof settled[0]!.partition, 'number');
    } finally {
      unsubscribe(CHANNELS.PRODUCER_SEND, onSend);
      unsubscribe(CHANNELS.PRODUCER_SETTLED, onSettled);
      await cm.close();
      await other.close();
    }
  });

  it('log events of a client reach its pino logger only (component field), redacted', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb(); } });
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'], enableSasl: true, saslPassword: 'hunter2-secret', saslMechanism: 'PLAIN', saslUsername: 'u' } as never), {
      binding: new FakeBinding(),
      closeTimeoutMs: 50,
      telemetry: { logger: pino({ level: 'info' }, sink), tracing: false },
    });
    await cm.initialize();
    cm.diagnostics.log('warn', 'producer', { detail: cm.diagnostics.redact('password hunter2-secret') }, 'a test line');
    await cm.close();
    await new Promise((r) => setImmediate(r));
    const ready = lines.find((l) => l.msg === 'Kafka connection ready');
    assert.equal(ready?.component, 'connection');
    const line = lines.find((l) => l.msg === 'a test line');
    assert.equal(line?.component, 'producer');
    assert.equal(line?.level, 40);
    assert.equal(line?.detail, 'password [REDACTED]');
    assert.ok(!JSON.stringify(lines).includes('hunter2-secret'));
  });
});
