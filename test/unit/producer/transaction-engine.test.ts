import assert from 'node:assert/strict';
import { resolveConfig, toLibrdkafkaConfig } from '../../../src/config/index.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { TransactionalEngine, createTransactionalEngine, transactionalProperties } from '../../../src/producer/transaction-engine.js';
import { FakeBinding } from '../../helpers/fake-binding.js';
import { logChannel, type LogEvent } from '../../../src/diagnostics/channels.js';

describe('transactionalProperties / createTransactionalEngine (through the producer factory)', () => {
  it('the config mapping, then acks=all, idempotence, the transactional id and timeout, and both timeouts fitted in the transaction', () => {
    // The config asks for neither idempotence nor the defaults' timeouts: transactions override both.
    const config = resolveConfig({ brokers: ['fake:9092'], idempotence: false, deliveryTimeoutMs: 300_000, readTimeoutMs: 90_000 });
    const base = toLibrdkafkaConfig(config, 'producer');
    const p = transactionalProperties(config, 'tx-1', 20_000);
    assert.deepEqual(p.global, {
      ...base.global,
      'enable.idempotence': true,
      'transactional.id': 'tx-1',
      'transaction.timeout.ms': 20_000,
      'socket.timeout.ms': 20_100,
    });
    assert.deepEqual(p.topic, { ...base.topic, 'request.required.acks': -1, 'message.timeout.ms': 20_000 });
    assert.equal('acks' in p.topic, false);
    assert.equal('acks' in p.global, false);
  });

  it('keeps timeouts already shorter than the transaction', () => {
    const config = resolveConfig({ brokers: ['fake:9092'], deliveryTimeoutMs: 15_000, readTimeoutMs: 5_000, writeTimeoutMs: 5_000 });
    const p = transactionalProperties(config, 'tx-2', 60_000);
    assert.equal(p.global['socket.timeout.ms'], 5_000);
    assert.equal(p.topic['message.timeout.ms'], 15_000);
  });

  it('builds a TransactionalEngine whose native producer gets exactly those properties', async () => {
    const config = resolveConfig({ brokers: ['fake:9092'] });
    const binding = new FakeBinding();
    const engine = createTransactionalEngine({ binding, config, diagnostics: new Diagnostics({ clientId: 'x' }) }, 'tx-3', 30_000);
    assert.ok(engine instanceof TransactionalEngine);
    await engine.connect();
    try {
      const expected = transactionalProperties(config, 'tx-3', 30_000);
      assert.equal(binding.producers.length, 1);
      assert.deepEqual([binding.producers[0]!.global, binding.producers[0]!.topicConf], [expected.global, expected.topic]);
    } finally {
      await engine.close(1000);
    }
  });

  it('logs its errors as a transactional producer, with its transactional id (not as "producer error")', async () => {
    const binding = new FakeBinding();
    const engine = createTransactionalEngine({ binding, config: resolveConfig({ brokers: ['fake:9092'] }), diagnostics: new Diagnostics({ clientId: 'x' }) }, 'tx-4', 30_000);
    const lines: LogEvent[] = [];
    const listen = (m: unknown): void => void lines.push(m as LogEvent);
    logChannel.subscribe(listen);
    try {
      await engine.connect();
      binding.producers[0]!.emit('event.error', Object.assign(new Error('Local: Broker transport failure'), { code: -195 }));
      const line = lines.find((l) => l.level === 'error');
      assert.ok(line, 'an error line');
      assert.equal(line.message, 'transactional producer error');
      assert.equal(line.fields.transactional_id, 'tx-4');
    } finally {
      logChannel.unsubscribe(listen);
      await engine.close(1000);
    }
  });
});
