import assert from 'node:assert/strict';
import { newMessage } from '../../../src/message/outgoing.js';
import { DeliveryError, FlushIncompleteError, InvalidArgumentError, QueueFullTimeoutError, StateError } from '../../../src/errors/index.js';
import { Diagnostics } from '../../../src/diagnostics/diagnostics.js';
import { MessageBatch } from '../../../src/producer/message-batch.js';
import { Producer } from '../../../src/producer/producer.js';
import { GENERATED_ID_PREFIX } from '../../../src/message/outgoing.js';
import { firstAttemptFails, handedOver, setupEngine as setup } from '../../helpers/engine.js';
import type { FakeProducer } from '../../helpers/fake-binding.js';

const TOO_LARGE = { message: 'Broker: Message size too large', code: 10 };

/** The header list of a produced record as [name, value] pairs (values as strings). */
function headerPairs(h: Array<Record<string, string | Buffer>> | undefined): Array<[string, string]> {
  return (h ?? []).flatMap((o) => Object.entries(o).map(([k, v]): [string, string] => [k, Buffer.isBuffer(v) ? `bytes:${v.toString('hex')}` : v]));
}

/** Makes the fake refuse a message at enqueue (as librdkafka refuses one that is too large). */
function refuseAtEnqueue(native: FakeProducer, value: string): void {
  const produce = native.produce.bind(native);
  native.produce = (topic, partition, v, ...rest) => {
    if (v?.toString() === value) throw Object.assign(new Error(TOO_LARGE.message), { code: TOO_LARGE.code });
    return produce(topic, partition, v, ...rest);
  };
}

describe('createBatch() / sendBatch(): packed batches (fake binding)', () => {
  it('packs every field as add() got it, sends in order, and resolves with a count and the failures by index', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().outcome = (r) => (r.value?.toString() === 'bad' ? TOO_LARGE : null);
    native().autoDeliver = true;
    const b = producer.createBatch();
    assert.ok(b instanceof MessageBatch);
    assert.equal(b.add('t', 'k1', Buffer.from('a')), 0);
    assert.equal(b.add('t', null, 'bad'), 1);
    b.add('u', Buffer.from([0, 1]), null, { partition: 2, timestamp: 1_700_000_000_123, headers: [['h', 'v'], ['bin', Buffer.from([0, 255])], ['h', 'w']], id: 'my-id' });
    b.add('t', undefined, { json: true });
    b.add('t', '', new Uint8Array([7]));
    assert.equal(b.length, 5);
    const summary = await producer.sendBatch(b);
    assert.equal(summary.delivered, 4);
    assert.deepEqual(summary.failed.map((f) => f.index), [1]);
    const err = summary.failed[0]!.error as DeliveryError;
    assert.ok(err instanceof DeliveryError);
    assert.equal(err.code, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE');
    const p = native().produced;
    assert.deepEqual(p.map((r) => [r.topic, r.value?.toString('hex') ?? null]), [
      ['t', Buffer.from('a').toString('hex')],
      ['t', Buffer.from('bad').toString('hex')],
      ['u', null],
      ['t', Buffer.from('{"json":true}').toString('hex')],
      ['t', '07'],
    ]);
    assert.deepEqual(p.map((r) => r.key), ['k1', null, Buffer.from([0, 1]), null, '']);
    assert.equal(p[2]!.partition, 2);
    // The id header first: generated (the library's prefix) or the one given.
    const ids = p.map((r) => headerPairs(r.headers)[0]!);
    assert.equal(ids[2]![1], 'my-id');
    for (const i of [0, 1, 3, 4]) {
      assert.equal(ids[i]![0], 'message_id');
      assert.ok(ids[i]![1].startsWith(GENERATED_ID_PREFIX), ids[i]![1]);
    }
    assert.equal(err.messageId, ids[1]![1], 'the failure names the message id');
    assert.deepEqual(headerPairs(p[2]!.headers).slice(1), [['h', 'v'], ['bin', 'bytes:00ff'], ['h', 'w']]);
    assert.equal(engine.inflightCount, 0);
    await engine.close(100);
  });

  it('splits a large batch into chunks (64, then up to 1,000 each) and names failures by their index in the whole batch', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().outcome = (r) => (r.value?.toString() === '1500' || r.value?.toString() === '2999' ? TOO_LARGE : null);
    native().autoDeliver = true;
    const b = producer.createBatch();
    for (let i = 0; i < 3000; i++) b.add('t', `k${i % 7}`, String(i));
    const summary = await producer.sendBatch(b);
    assert.equal(summary.delivered, 2998);
    assert.deepEqual(summary.failed.map((f) => f.index), [1500, 2999]);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), Array.from({ length: 3000 }, (_, i) => String(i)));
    await engine.close(100);
  });

  it('a refused message fails at its index; the others go on', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    refuseAtEnqueue(native(), 'huge');
    native().autoDeliver = true;
    const b = producer.createBatch();
    for (const v of ['a', 'huge', 'b']) b.add('t', null, v);
    const summary = await producer.sendBatch(b);
    assert.equal(summary.delivered, 2);
    assert.deepEqual(summary.failed.map((f) => [f.index, (f.error as DeliveryError).code]), [[1, 'GCK_KAFKA_MSG_SIZE_TOO_LARGE']]);
    await engine.close(100);
  });

  it('a full local queue: the rest of the chunk waits ahead of later publishes, and all arrive in order', async () => {
    const { engine, producer, native } = setup({ queueLimit: 3 });
    await engine.connect();
    const b = producer.createBatch();
    for (let i = 0; i < 8; i++) b.add('t', 'k', `b${i}`);
    const batchDone = producer.sendBatch(b);
    const later = producer.publish(newMessage('t', 'later').withKey('k'));
    await handedOver();
    assert.equal(native().queue.length, 3, 'the queue took three');
    assert.ok(producer.needsDrain, 'messages wait for room');
    assert.equal(engine.waitingCount, 6, "the batch's five unsent messages and the publish behind them");
    for (let round = 0; round < 20 && native().produced.length < 9; round++) {
      native().deliverAll();
      await new Promise((r) => setTimeout(r, 5));
    }
    native().deliverAll();
    assert.deepEqual(await batchDone, { delivered: 8, failed: [], possibleDuplicates: [] });
    assert.equal((await later).offset, 8);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'later']);
    await engine.close(100);
  });

  it('backpressure: packed messages fill the window at four times its size; drain() resumes at three quarters of that', async () => {
    const { engine, producer, native } = setup({ maxInFlight: 10 });
    await engine.connect();
    const b = producer.createBatch();
    for (let i = 0; i < 100; i++) b.add('t', null, `m${i}`);
    const done = producer.sendBatch(b);
    await handedOver();
    assert.equal(native().queue.length, 100, 'a batch goes past a full window (only a full local queue holds it back)');
    assert.equal(producer.needsDrain, true);
    let drained = false;
    void producer.drain().then(() => (drained = true));
    /** Delivers the first n queued messages. */
    const deliver = async (n: number): Promise<void> => {
      const rest = native().queue.splice(n);
      native().deliverAll();
      native().queue.push(...rest);
      await handedOver();
    };
    await deliver(60);
    assert.equal(engine.inflightCount, 40);
    assert.equal(producer.needsDrain, true, '40 = 4 × 10 in flight: full');
    await deliver(5);
    assert.equal(producer.needsDrain, false, '35 < 40');
    assert.equal(drained, false, 'drain() waits for 3/4 (30)');
    await deliver(5);
    assert.equal(drained, true);
    // publish() counts against the object window (10) only.
    const one = producer.publish(newMessage('t', 'single'));
    await handedOver();
    assert.equal(native().queue.length, 31);
    native().deliverAll();
    assert.equal((await done).delivered, 100);
    await one;
    await engine.close(100);
  });

  it('messages that wait longer than the enqueue timeout fail with QueueFullTimeoutError by index', async () => {
    const { engine, producer, native } = setup({ queueLimit: 2, enqueueTimeoutMs: 30 });
    await engine.connect();
    const b = producer.createBatch();
    for (let i = 0; i < 5; i++) b.add('t', null, `m${i}`);
    const done = producer.sendBatch(b);
    await new Promise((r) => setTimeout(r, 80));
    native().deliverAll();
    const summary = await done;
    assert.equal(summary.delivered, 2);
    assert.deepEqual(summary.failed.map((f) => f.index), [2, 3, 4]);
    for (const f of summary.failed) assert.ok(f.error instanceof QueueFullTimeoutError, String(f.error));
    assert.equal(engine.inflightCount + engine.waitingCount, 0);
    await engine.close(100);
  });

  it('library retries (idempotence off) resend a packed message from its bytes; a possibly persisted one is listed as a possible duplicate; retries are counted', async () => {
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const { engine, producer, native } = setup({ retryMax: 3, retryDelivered: true, retryBackoffMs: 1, diagnostics });
    await engine.connect();
    native().outcome = firstAttemptFails();
    native().autoDeliver = true;
    const b = producer.createBatch();
    for (const v of ['a', 'not-leader', 'maybe-twice', 'b']) b.add('t', `key-${v}`, v, { headers: [['h', v]] });
    assert.deepEqual(await producer.sendBatch(b), { delivered: 4, failed: [], possibleDuplicates: [2] });
    const p = native().produced;
    assert.equal(p.length, 6, 'two of them produced twice');
    const c = diagnostics.counters.publish('t');
    assert.deepEqual([c.total, c.success, c.retries, c.failed], [4, 4, 2, 0]);
    // The retries carry the same key, value, id and headers as the first attempt.
    for (const v of ['not-leader', 'maybe-twice']) {
      const copies = p.filter((r) => r.value!.toString() === v);
      assert.equal(copies.length, 2);
      assert.deepEqual(copies[1]!.key, `key-${v}`);
      assert.deepEqual(headerPairs(copies[1]!.headers), headerPairs(copies[0]!.headers));
    }
    await engine.close(100);
  });

  it('close() fails what is in flight and what waits; close() rejects naming each', async () => {
    const { engine, producer } = setup({ queueLimit: 2 });
    await engine.connect();
    const b = producer.createBatch();
    for (let i = 0; i < 4; i++) b.add('t', `k${i}`, `v${i}`);
    const done = producer.sendBatch(b);
    await handedOver();
    const closing = await engine.close(20).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(closing instanceof FlushIncompleteError);
    assert.deepEqual(closing.undelivered.map((u) => u.key), ['k0', 'k1', 'k2', 'k3']);
    assert.ok(closing.undelivered.every((u) => u.messageId?.startsWith(GENERATED_ID_PREFIX)));
    const summary = await done;
    assert.equal(summary.delivered, 0);
    assert.deepEqual(summary.failed.map((f) => f.index), [0, 1, 2, 3]);
    const codes = summary.failed.map((f) => (f.error as DeliveryError).code);
    assert.deepEqual(codes, ['GCK_KAFKA__TIMED_OUT', 'GCK_KAFKA__TIMED_OUT', 'GCK_KAFKA__PURGE_QUEUE', 'GCK_KAFKA__PURGE_QUEUE']);
    assert.equal((summary.failed[0]!.error as DeliveryError).possiblyPersisted, true);
    assert.equal((summary.failed[3]!.error as DeliveryError).possiblyPersisted, false);
  });

  it('counts published, delivered and failed messages per topic', async () => {
    const diagnostics = new Diagnostics({ clientId: 'test' });
    const { engine, producer, native } = setup({ diagnostics });
    await engine.connect();
    native().outcome = (r) => (r.value?.toString() === 'bad' ? TOO_LARGE : null);
    native().autoDeliver = true;
    const b = producer.createBatch();
    b.add('t', null, 'a');
    b.add('u', null, 'bad');
    b.add('t', null, 'b');
    await producer.sendBatch(b);
    const t = diagnostics.counters.publish('t');
    const u = diagnostics.counters.publish('u');
    assert.deepEqual([t.total, t.success, t.failed], [2, 2, 0]);
    assert.deepEqual([u.total, u.success, u.failed], [1, 0, 1]);
    assert.equal(u.errors.get('GCK_KAFKA_MSG_SIZE_TOO_LARGE'), 1);
    await engine.close(100);
  });

  it('without message ids (messageIds: false) a message carries only its own headers', async () => {
    const { engine, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    const producer = new Producer(engine, { messageIds: false });
    const b = producer.createBatch();
    b.add('t', null, 'a');
    b.add('t', null, 'b', { id: 'explicit', headers: [['x', 'y']] });
    assert.equal((await producer.sendBatch(b)).delivered, 2);
    assert.deepEqual(native().produced.map((r) => headerPairs(r.headers)), [[], [['message_id', 'explicit'], ['x', 'y']]]);
    await engine.close(100);
  });

  it('bad input: add() throws InvalidArgumentError naming it and adds nothing; a batch is sent once', async () => {
    const { engine, producer, native } = setup();
    const early = producer.createBatch();
    early.add('t', null, 'x');
    await assert.rejects(producer.sendBatch(early), StateError, 'not connected yet');
    await engine.connect();
    const b = producer.createBatch();
    const cases: Array<[() => unknown, RegExp]> = [
      // First, on the fresh batch: an undefined topic is never taken for the last one checked.
      [() => b.add(undefined as never, null, 'v'), /topic: got undefined, expected a non-empty topic name/],
      [() => b.add('', null, 'v'), /topic: got "", expected a non-empty topic name/],
      [() => b.add('a\0b', null, 'v'), /cannot contain a zero byte/],
      [() => b.add(7 as never, null, 'v'), /topic: got 7/],
      [() => b.add('t', 5 as never, 'v'), /key: got number/],
      [() => b.add('t', null, undefined), /value: got undefined; pass null/],
      [() => b.add('t', null, 'v', null as never), /options: expected an object/],
      [() => b.add('t', null, 'v', { partitions: 1 } as never), /unknown option "partitions"/],
      [() => b.add('t', null, 'v', { partition: -1 }), /options\.partition: got -1/],
      [() => b.add('t', null, 'v', { partition: 1.5 }), /options\.partition: got 1\.5/],
      [() => b.add('t', null, 'v', { timestamp: Number.NaN }), /options\.timestamp: got NaN/],
      [() => b.add('t', null, 'v', { id: '' }), /options\.id: expected a non-empty/],
      [() => b.add('t', null, 'v', { headers: { a: 'b' } as never }), /options\.headers: expected an array/],
      [() => b.add('t', null, 'v', { headers: [['a']] as never }), /every header must be a \[name, value\] pair/],
      [() => b.add('t', null, 'v', { headers: [['message_id', 'x']] }), /"message_id" is reserved by the library \(use options\.id\)/],
      [() => b.add('t', null, 'v', { headers: [['n\0', 'x']] }), /must be a non-empty string without a zero byte/],
      [() => b.add('t', null, 'v', { headers: [['n', '\ud800']] }), /header "n" must have a well-formed string or a Buffer value/],
      [() => b.add('t', null, 'v', { headers: [['n', 3 as never]] }), /header "n" must have a well-formed string or a Buffer value/],
    ];
    for (const [call, named] of cases) {
      assert.throws(call, (e: unknown) => e instanceof InvalidArgumentError && /MessageBatch\.add\(topic, key, value, options\)/.test(e.message) && named.test(e.message), String(named));
    }
    // A value the serializer refuses: its own error (the default one's names the value and the topic).
    assert.throws(() => b.add('t', null, 1n), (e: unknown) => e instanceof InvalidArgumentError && /message value: cannot be encoded as JSON/.test(e.message));
    assert.equal(b.length, 0, 'nothing added');
    b.add('t', null, 'ok');
    native().autoDeliver = true;
    await assert.rejects(producer.sendBatch({} as never), InvalidArgumentError);
    assert.equal((await producer.sendBatch(b)).delivered, 1);
    await assert.rejects(producer.sendBatch(b), StateError);
    assert.throws(() => b.add('t', null, 'late'), StateError);
    assert.deepEqual(await producer.sendBatch(producer.createBatch()), { delivered: 0, failed: [], possibleDuplicates: [] });
    assert.equal(native().produced.length, 1);
    await engine.close(100);
    await assert.rejects(producer.sendBatch(producer.createBatch()), StateError);
  });

  it('a refused add() leaves no chunk behind, also when it would have started a new one', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    const calls: Array<[number, number]> = [];
    const produceBatch = native().produceBatch.bind(native());
    native().produceBatch = (topics, buf, table, count, start) => {
      calls.push([count, start]);
      return produceBatch(topics, buf, table, count, start);
    };
    const b = producer.createBatch();
    assert.throws(() => b.add('t', null, 'v', { partition: -1 }), InvalidArgumentError);
    for (let i = 0; i < 64; i++) b.add('t', null, `m${i}`); // the first chunk holds 64
    // The last add() before sending, refused where it would have started a second chunk.
    assert.throws(() => b.add('t', null, 'v', { timestamp: -1 }), InvalidArgumentError);
    assert.equal(b.length, 64);
    assert.deepEqual(await producer.sendBatch(b), { delivered: 64, failed: [], possibleDuplicates: [] });
    assert.deepEqual(calls, [[64, 0]], 'one chunk handed over, no empty one');
    assert.equal(engine.inflightCount + engine.waitingCount, 0);
    await engine.close(100);
  });

  it('a pooled chunk forgets its topics: the next batch (another producer, another cluster) names only its own', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    const seen: string[][] = [];
    const buffers: Uint8Array[] = [];
    const produceBatch = native().produceBatch.bind(native());
    native().produceBatch = (topics, buf, ...rest) => {
      seen.push([...topics]);
      buffers.push(buf);
      return produceBatch(topics, buf, ...rest);
    };
    const first = producer.createBatch();
    for (let i = 0; i < 2000; i++) first.add(i < 1500 ? 'secret-a' : 'secret-b', null, 'x');
    await producer.sendBatch(first);
    const firstBuffers = buffers.splice(0);
    seen.length = 0;
    const second = producer.createBatch();
    for (let i = 0; i < 1100; i++) second.add('b', null, 'y');
    await producer.sendBatch(second);
    assert.ok(buffers.some((b) => firstBuffers.includes(b)), 'the second batch reuses a pooled chunk of the first');
    for (const topics of seen) assert.deepEqual(topics, ['b']);
    await engine.close(100);
  });

  it('a small publishBatch() is packed into a chunk sized to it, not a full-size one', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    const sizes: number[] = [];
    const produceBatch = native().produceBatch.bind(native());
    native().produceBatch = (topics, buf, table, ...rest) => {
      sizes.push(buf.byteLength + table.byteLength);
      return produceBatch(topics, buf, table, ...rest);
    };
    assert.equal((await producer.publishBatch([newMessage('t', 'one')])).length, 1);
    assert.ok(sizes[0]! <= 4096, `a one-message batch used ${sizes[0]} bytes`);
    await engine.close(100);
  });

  it("publishBatch() results come from what was sent, not from the caller's array or messages read later", async () => {
    const { engine, native } = setup();
    await engine.connect();
    const producer = new Producer(engine, { messageIds: false });
    const kept = newMessage('t', 'a');
    const buf = [kept, newMessage('u', 'b').withId('given')];
    const p = producer.publishBatch(buf);
    buf.length = 0; // the caller reuses its array
    void kept.id; // generates an id the message was not sent with
    await handedOver();
    native().deliverAll();
    const out = await p;
    assert.deepEqual(
      out.map((o) => (o.ok ? [o.result.topic, o.result.messageId] : o.error.message)),
      [
        ['t', undefined],
        ['u', 'given'],
      ],
    );
    await engine.close(100);
  });

  it('a batch that trickles into a full queue fails what waited longer than the enqueue timeout, counted from when it first waited', async () => {
    const { engine, producer, native } = setup({ queueLimit: 1, enqueueTimeoutMs: 40 });
    await engine.connect();
    const b = producer.createBatch();
    for (let i = 0; i < 20; i++) b.add('t', null, `m${i}`);
    const done = producer.sendBatch(b);
    const timer = setInterval(() => native().deliverAll(), 10); // one message through every 10 ms
    const summary = await done;
    clearInterval(timer);
    assert.ok(summary.delivered > 0 && summary.delivered < 20, `delivered ${summary.delivered}`);
    assert.equal(summary.delivered + summary.failed.length, 20);
    for (const f of summary.failed) assert.ok(f.error instanceof QueueFullTimeoutError, String(f.error));
    await engine.close(100);
  });
});
