import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig, toLibrdkafkaConfig } from '../../../src/config/index.js';
import { InvalidArgumentError, StateError } from '../../../src/errors/index.js';
import { newMessage } from '../../../src/message/outgoing.js';
import { DedicatedProducer, createProducerEngine, guaranteeProperties, producerProperties, resolveGuarantees, type Guarantees } from '../../../src/producer/index.js';
import { ProducerEngine } from '../../../src/delivery/index.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { FakeBinding } from '../../helpers/fake-binding.js';
import { handedOver, setupEngine } from '../../helpers/engine.js';

const config = resolveConfig({ brokers: ['fake:9092'] });

/** Asserts `f` throws InvalidArgumentError (GCK_INVALID_ARGUMENT) whose message matches `re`. */
function refuses(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.equal(e.code, 'GCK_INVALID_ARGUMENT');
    assert.match(e.message, re);
    return true;
  });
}

describe('resolveGuarantees (createProducer options)', () => {
  it('defaults: acks all, idempotence from the config; acks leader / none alone mean not idempotent', () => {
    assert.deepEqual(resolveGuarantees(undefined, true), { acks: 'all', idempotent: true });
    assert.deepEqual(resolveGuarantees({}, true), { acks: 'all', idempotent: true });
    assert.deepEqual(resolveGuarantees({}, false), { acks: 'all', idempotent: false });
    assert.deepEqual(resolveGuarantees({ acks: 'all' }, true), { acks: 'all', idempotent: true });
    assert.deepEqual(resolveGuarantees({ acks: 'all', idempotent: false }, true), { acks: 'all', idempotent: false });
    assert.deepEqual(resolveGuarantees({ acks: 'all', idempotent: true }, false), { acks: 'all', idempotent: true });
    assert.deepEqual(resolveGuarantees({ acks: 'leader' }, true), { acks: 'leader', idempotent: false });
    assert.deepEqual(resolveGuarantees({ acks: 'none' }, true), { acks: 'none', idempotent: false });
    assert.deepEqual(resolveGuarantees({ acks: 'leader', idempotent: false }, true), { acks: 'leader', idempotent: false });
    assert.deepEqual(resolveGuarantees({ acks: 'none', serializer: () => null, messageIds: false }, true), { acks: 'none', idempotent: false });
  });

  it('idempotent: true with acks leader or none is refused, naming the conflict and both ways out', () => {
    refuses(() => resolveGuarantees({ acks: 'leader', idempotent: true }, true), /^createProducer\(options\): idempotent: true requires acks: 'all', got acks: 'leader'; pass idempotent: false .* or acks: 'all'$/);
    refuses(() => resolveGuarantees({ acks: 'none', idempotent: true }, false), /idempotent: true requires acks: 'all', got acks: 'none'/);
  });

  it('acks other than the three names is refused; a Kafka number names the word to use', () => {
    refuses(() => resolveGuarantees({ acks: 1 }, true), /^createProducer\(options\)\.acks: expected 'all', 'leader' or 'none', got 1 \(acks=1 is 'leader'\)$/);
    refuses(() => resolveGuarantees({ acks: -1 }, true), /got -1 \(acks=-1 is 'all'\)/);
    refuses(() => resolveGuarantees({ acks: 0 }, true), /got 0 \(acks=0 is 'none'\)/);
    refuses(() => resolveGuarantees({ acks: '1' }, true), /got "1" \(acks=1 is 'leader'\)/);
    refuses(() => resolveGuarantees({ acks: 'ALL' }, true), /acks: expected 'all', 'leader' or 'none', got "ALL"$/);
    refuses(() => resolveGuarantees({ acks: 2 }, true), /got 2$/);
    refuses(() => resolveGuarantees({ acks: null }, true), /got null$/);
  });

  it('bad types and unknown options are refused by name (other clients\' spellings point to ours)', () => {
    refuses(() => resolveGuarantees({ idempotent: 'yes' }, true), /^createProducer\(options\)\.idempotent: expected true or false, got "yes"$/);
    refuses(() => resolveGuarantees({ idempotence: false }, true), /unknown option "idempotence" \(did you mean idempotent\?\); expected acks, idempotent, serializer or messageIds/);
    refuses(() => resolveGuarantees({ ack: 'all' }, true), /unknown option "ack" \(did you mean acks\?\)/);
    refuses(() => resolveGuarantees({ transactionalId: 'x' }, true), /unknown option "transactionalId"; expected/);
    refuses(() => resolveGuarantees(null, true), /expected an object .*, got null/);
    refuses(() => resolveGuarantees([], true), /got an array/);
    refuses(() => resolveGuarantees('leader', true), /got string/);
    refuses(() => resolveGuarantees({ serializer: 'json' }, true), /serializer: expected a function/);
    refuses(() => resolveGuarantees({ messageIds: 1 }, true), /messageIds: expected true or false, got 1/);
  });
});

describe('producer properties of a choice (on top of toLibrdkafkaConfig)', () => {
  it('acks → request.required.acks (topic config), idempotence → enable.idempotence (global)', () => {
    assert.deepEqual(guaranteeProperties({ acks: 'all', idempotent: true }), { global: { 'enable.idempotence': true }, topic: { 'request.required.acks': -1 } });
    assert.deepEqual(guaranteeProperties({ acks: 'leader', idempotent: false }), { global: { 'enable.idempotence': false }, topic: { 'request.required.acks': 1 } });
    assert.deepEqual(guaranteeProperties({ acks: 'none', idempotent: false }), { global: { 'enable.idempotence': false }, topic: { 'request.required.acks': 0 } });
  });

  it('keeps everything else of the config mapping; the default choice is exactly the mapping', () => {
    const base = toLibrdkafkaConfig(config, 'producer');
    assert.deepEqual(producerProperties({ config, guarantees: { acks: 'all', idempotent: true } }), base);
    const leader = producerProperties({ config, guarantees: { acks: 'leader', idempotent: false } });
    assert.deepEqual(leader.global, { ...base.global, 'enable.idempotence': false });
    assert.deepEqual(leader.topic, { ...base.topic, 'request.required.acks': 1 });
    assert.equal(Object.hasOwn(leader.global, 'request.required.acks'), false, 'acks never in the global config (librdkafka would drop it)');
  });

  it('a specialised producer\'s own properties go on top, topic ones into the topic config; acks and idempotence are refused there', () => {
    const g: Guarantees = { acks: 'all', idempotent: true };
    const p = producerProperties({ config, guarantees: g, librdkafka: { 'transactional.id': 'tx-1', 'message.timeout.ms': 60_000 } });
    assert.equal(p.global['transactional.id'], 'tx-1');
    assert.equal(p.topic['message.timeout.ms'], 60_000);
    assert.equal(Object.hasOwn(p.global, 'message.timeout.ms'), false);
    refuses(() => producerProperties({ config, guarantees: g, librdkafka: { acks: 1 } }), /librdkafka\["acks"\]: set through the producer guarantees/);
    refuses(() => producerProperties({ config, guarantees: g, librdkafka: { 'Enable.Idempotence': false } }), /set through the producer guarantees/);
    refuses(() => producerProperties({ config, guarantees: g, librdkafka: { 'request.required.acks': 0 } }), /set through the producer guarantees/);
  });

  it('own properties may be derived from the mapped ones (a function of them, guarantees applied)', () => {
    const c = resolveConfig({ brokers: ['fake:9092'], deliveryTimeoutMs: 120_000 });
    let seen: unknown;
    const p = producerProperties({
      config: c,
      guarantees: { acks: 'leader', idempotent: false },
      librdkafka: (mapped) => {
        seen = [mapped.global['enable.idempotence'], mapped.topic['request.required.acks']];
        return { 'message.timeout.ms': Math.min(Number(mapped.topic['message.timeout.ms']), 60_000) };
      },
    });
    assert.deepEqual(seen, [false, 1]);
    assert.equal(p.topic['message.timeout.ms'], 60_000);
  });

  it("createProducerEngine builds a subclass when given one (a specialised producer's engine), the base engine otherwise", () => {
    class Special extends ProducerEngine {
      special(): string {
        return 'yes';
      }
    }
    const spec = { binding: new FakeBinding(), config, diagnostics: new Diagnostics({ clientId: 'x' }), guarantees: { acks: 'all', idempotent: true } as const, librdkafka: { 'transactional.id': 'tx' } };
    const e = createProducerEngine(spec, Special);
    assert.ok(e instanceof Special);
    assert.equal(e.special(), 'yes');
    assert.ok(createProducerEngine(spec) instanceof ProducerEngine);
  });
});

describe('ConnectionManager.createProducer (fake binding)', () => {
  it('opens a native producer of its own with the chosen properties; the shared one is built by the same factory with the defaults', async () => {
    const binding = new FakeBinding();
    const cm = new ConnectionManager(config, { binding, closeTimeoutMs: 50 });
    await cm.initialize();
    const leader = await cm.createProducer({ acks: 'leader', idempotent: false });
    const none = await cm.createProducer({ acks: 'none' });
    assert.equal(binding.producers.length, 3);
    const [shared, l, n] = binding.producers;
    const base = toLibrdkafkaConfig(config, 'producer');
    assert.deepEqual([shared!.global, shared!.topicConf], [base.global, base.topic]);
    assert.deepEqual([l!.global['enable.idempotence'], l!.topicConf['request.required.acks']], [false, 1]);
    assert.deepEqual([n!.global['enable.idempotence'], n!.topicConf['request.required.acks']], [false, 0]);
    assert.ok(leader instanceof DedicatedProducer);
    assert.deepEqual(leader.guarantees, { acks: 'leader', idempotent: false });
    assert.ok(Object.isFrozen(leader.guarantees));

    // Its publishes go to its own handle, counted in the client's statistics.
    const p = leader.publish(newMessage('t', 'x'));
    await handedOver();
    assert.equal(l!.produced.length, 1);
    assert.equal(shared!.produced.length, 0);
    l!.deliverAll();
    assert.equal((await p).offset, 0);
    assert.equal(cm.diagnostics.counters.snapshot()['t']!.published, 1);

    await cm.close();
    assert.deepEqual([leader.state, none.state], ['closed', 'closed'], 'client.close() closes every producer it created');
    await assert.rejects(leader.publish(newMessage('t', 'y')), StateError);
  });

  it('rejects before initialize() and after close() with StateError, bad options with InvalidArgumentError (nothing opened)', async () => {
    const binding = new FakeBinding();
    const cm = new ConnectionManager(config, { binding, closeTimeoutMs: 50 });
    await assert.rejects(cm.createProducer(), StateError);
    await cm.initialize();
    await assert.rejects(cm.createProducer({ acks: 'none', idempotent: true }), InvalidArgumentError);
    await assert.rejects(cm.createProducer({ acks: 'leader', idempotence: true } as never), InvalidArgumentError);
    assert.equal(binding.producers.length, 1);
    await cm.close();
    await assert.rejects(cm.createProducer(), StateError);
  });

  it("its own close() flushes and closes its handle only (the client keeps publishing), is idempotent; a bad timeout is refused and closes nothing", async () => {
    const binding = new FakeBinding();
    const cm = new ConnectionManager(config, { binding, closeTimeoutMs: 50 });
    await cm.initialize();
    const own = await cm.createProducer({ acks: 'leader' });
    const native = binding.producers[1]!;
    native.autoDeliver = true;
    await own.publish(newMessage('t', 'a'));
    await Promise.all([own.close(), own.close()]);
    assert.equal(own.state, 'closed');
    assert.equal(native.connected, false);
    assert.equal(cm.state, 'ready');
    binding.producers[0]!.autoDeliver = true;
    await cm.producer.publish(newMessage('t', 'b'));
    await assert.rejects(own.close(-1), /DedicatedProducer.close\(timeoutMs\): got -1, expected an integer from 0/);
    const other = await cm.createProducer();
    await assert.rejects(other.close(Number.NaN), InvalidArgumentError);
    assert.equal(other.state, 'ready', 'a refused close() closes nothing');
    await cm.close();
    assert.equal(other.state, 'closed');
  });

  it('close() of the client lists what no producer could deliver in one FlushIncompleteError', async () => {
    const binding = new FakeBinding();
    const cm = new ConnectionManager(config, { binding, closeTimeoutMs: 20 });
    await cm.initialize();
    const own = await cm.createProducer({ acks: 'none' });
    const a = cm.producer.publish(newMessage('t', 'shared').withId('m-shared'));
    const b = own.publish(newMessage('t', 'own').withId('m-own'));
    const failedA = assert.rejects(a, (e: unknown) => (e as { code?: string }).code === 'GCK_KAFKA__TIMED_OUT');
    const failedB = assert.rejects(b, (e: unknown) => (e as { code?: string }).code === 'GCK_KAFKA__TIMED_OUT');
    await handedOver();
    await assert.rejects(cm.close(), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'GCK_FLUSH_INCOMPLETE');
      assert.deepEqual((e as { undelivered: Array<{ messageId: string }> }).undelivered.map((u) => u.messageId), ['m-shared', 'm-own']);
      return true;
    });
    await failedA;
    await failedB;
  });
});

describe('DeliveryResult.offset', () => {
  it('is -1 when librdkafka reports no offset (acks none: RD_KAFKA_OFFSET_INVALID, -1001)', async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    const p = producer.publish(newMessage('t', 'x'));
    await handedOver();
    const id = native().produced[0]!.id!;
    native().queue.splice(0);
    native().events!.onReports(Int32Array.from([id, 3]), Float64Array.from([-1001, -1]), null);
    const r = await p;
    assert.deepEqual([r.partition, r.offset, r.timestamp], [3, -1, undefined]);
    await engine.close(50);
  });
});
