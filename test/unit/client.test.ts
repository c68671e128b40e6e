import assert from 'node:assert/strict';
import { ConnectionManager } from '../../src/client.js';
import { resolveConfig } from '../../src/config/index.js';
import { StateError } from '../../src/errors/index.js';
import { newMessage } from '../../src/message/outgoing.js';
import { Producer } from '../../src/producer/producer.js';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { FakeBinding } from '../helpers/fake-binding.js';

/** Calls `f` and fails the test if it throws synchronously. */
function noThrow<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    return assert.fail(`${what} threw synchronously: ${String(e)}`);
  }
}

async function checkAfterClose(producer: Producer, state: string): Promise<void> {
  assert.equal(noThrow(`needsDrain (${state})`, () => producer.needsDrain), false);
  const drain = noThrow(`drain() (${state})`, () => producer.drain());
  const flush = noThrow(`flush() (${state})`, () => producer.flush(10));
  await assert.rejects(drain, (e: unknown) => e instanceof StateError && /is (closing|closed)/.test(e.message));
  await assert.rejects(flush, (e: unknown) => e instanceof StateError && /is (closing|closed)/.test(e.message));
  await assert.rejects(producer.publish(newMessage('t', 'x')), StateError);
}

describe('Producer after its ConnectionManager closes', () => {
  it('needsDrain is false, drain() and flush() return rejected promises (StateError) instead of throwing: while closing and once closed', async () => {
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding: new FakeBinding(), closeTimeoutMs: 50 });
    await cm.initialize();
    const producer = cm.producer;
    assert.equal(producer.needsDrain, false);
    await producer.drain();
    const closing = cm.close();
    assert.equal(cm.state, 'closing');
    await checkAfterClose(producer, 'closing');
    await closing;
    assert.equal(cm.state, 'closed');
    await checkAfterClose(producer, 'closed');
  });
});

describe('ConnectionManager writer cache', () => {
  it('keeps at most MAX_CACHED_WRITERS writers, dropping the least recently asked for (a service writing to ever new topics does not grow it)', async () => {
    const { MAX_CACHED_WRITERS } = await import('../../src/client.js');
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding: new FakeBinding(), closeTimeoutMs: 50 });
    await cm.initialize();
    try {
      const first = cm.getWriter('topic-0');
      for (let i = 1; i < MAX_CACHED_WRITERS; i++) cm.getWriter(`topic-${i}`);
      assert.equal(cm.counts.writers, MAX_CACHED_WRITERS);
      assert.equal(cm.getWriter('topic-0'), first, 'cached, and now the most recently used');
      cm.getWriter('one-more');
      assert.equal(cm.counts.writers, MAX_CACHED_WRITERS, 'bounded');
      assert.equal(cm.getWriter('topic-0'), first, 'the recently used one was kept');
      assert.equal(cm.counts.writers, MAX_CACHED_WRITERS);
      const w1 = cm.getWriter('topic-1'); // topic-1 was the least recently used: dropped, made anew
      assert.equal(w1.topic, 'topic-1');
      for (let i = 0; i < 5000; i++) cm.getWriter(`t${i}`);
      assert.equal(cm.counts.writers, MAX_CACHED_WRITERS);
    } finally {
      await cm.close();
    }
  });
});

describe('new Producer(connectionManager, { serializer }) (the public constructor of a producer with its own serializer)', () => {
  it('publishes through the client\'s engine with its serializer, counted in the client\'s statistics; built before initialize() it waits for it', async () => {
    const binding = new FakeBinding();
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding, closeTimeoutMs: 50 });
    const producer = new Producer(cm, { serializer: (v) => Buffer.from(`custom:${JSON.stringify(v)}`) });
    await assert.rejects(producer.publish(newMessage('t', { a: 1 })), (e: unknown) => e instanceof StateError || assert.fail(String(e)));
    await cm.initialize();
    const p = producer.publish(newMessage('t', { a: 1 }));
    await new Promise((r) => setImmediate(r));
    const native = binding.producers[0]!;
    native.deliverAll();
    await p;
    assert.equal(String(native.produced.at(-1)!.value), 'custom:{"a":1}');
    assert.equal(cm.diagnostics.counters.snapshot()['t']!.published, 1, 'the one refused before initialize() was never handed over');
    await cm.close();
  });

  it('anything else is refused with InvalidArgumentError', async () => {
    assert.throws(() => new Producer({} as never), InvalidArgumentError);
  });
});


describe('ConnectionManager.createTransactionalProducer (fake binding)', () => {
  it('forgets a transactional producer closed by its own close(); client.close() still closes (and waits for) the others', async () => {
    const binding = new FakeBinding();
    binding.configure = (p) => {
      Object.assign(p, {
        initTransactions: async () => undefined,
        beginTransaction: () => undefined,
        sendOffsetsToTransaction: async () => undefined,
        commitTransaction: async () => undefined,
        abortTransaction: async () => undefined,
      });
    };
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding, closeTimeoutMs: 50 });
    await cm.initialize();
    const own = await cm.createTransactionalProducer({ transactionalId: 'unit-own-close' });
    const kept = await cm.createTransactionalProducer({ transactionalId: 'unit-kept' });
    await own.close(50);
    assert.equal(own.state, 'closed');
    // A client that still held it would close it again on its own close().
    const closedAgain: number[] = [];
    const ownClose = own.close.bind(own);
    own.close = (timeoutMs?: number) => {
      closedAgain.push(timeoutMs ?? -1);
      return ownClose(timeoutMs);
    };
    const closing = cm.close();
    assert.equal(kept.state, 'closing', 'client.close() turns the producers it holds closing at once');
    await closing;
    assert.deepEqual(closedAgain, [], 'the client forgot the producer that closed itself');
    assert.equal(kept.state, 'closed');
  });

  it('forgets a transform stopped by its own stop(); client.close() does not stop it again', async () => {
    const cm = new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding: new FakeBinding(), closeTimeoutMs: 50 });
    await cm.initialize();
    const t = cm.transform({ groupId: 'g', inputTopics: ['in'], transactionalId: 'unit-transform', transform: () => [] });
    await t.stop(50);
    assert.equal(t.state, 'stopped');
    const stoppedAgain: number[] = [];
    t.stop = (timeoutMs?: number) => {
      stoppedAgain.push(timeoutMs ?? -1);
      return Promise.resolve();
    };
    await cm.close();
    assert.deepEqual(stoppedAgain, [], 'the client forgot the transform that stopped itself');
  });
});
