import assert from 'node:assert/strict';
import { defaultSerializer, Producer } from '../../../src/producer/producer.js';
import { newMessage } from '../../../src/producer/message.js';
import { TopicWriter } from '../../../src/connection/writer.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { setupEngine } from '../../helpers/engine.js';

function setup() {
  return setupEngine({ retryDelivered: false });
}

const circular: Record<string, unknown> = { a: 1 };
circular['self'] = circular;

/** Values the default (JSON) encoding cannot turn into bytes, and what the error must name. */
const BAD_VALUES: Array<[string, unknown, RegExp]> = [
  ['a BigInt', 10n, /message value: .*BigInt/],
  ['an object holding a BigInt', { n: 10n }, /message value: .*BigInt/],
  ['a circular object', circular, /message value: .*circular/],
  ['a function', () => 1, /message value: got a function/],
  ['a symbol', Symbol('s'), /message value: got a symbol/],
  ['an object whose toJSON returns undefined', { toJSON: () => undefined }, /message value: .*encodes to nothing/],
  ['undefined', undefined, /message value: got undefined; pass null explicitly for a message without a value \(a tombstone/],
];

describe('Producer value encoding', () => {
  for (const [what, value, message] of BAD_VALUES) {
    it(`publish() of ${what} rejects with an InvalidArgumentError naming the problem; nothing is produced`, async () => {
      const { engine, producer, native } = setup();
      await engine.connect();
      await assert.rejects(producer.publish(newMessage('t', value as never)), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError, `expected an InvalidArgumentError, got ${String(e)}`);
        assert.match(e.message, message);
        assert.equal(e.context['topic'], 't');
        return true;
      });
      assert.equal(native().produced.length, 0);
      await engine.close(100);
    });
  }

  it('send() and publishBatch() report an unencodable value as an InvalidArgumentError too', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    const err = await new Promise<Error | null>((resolve) => producer.send(newMessage('t', 1n as never), (e) => resolve(e)));
    assert.ok(err instanceof InvalidArgumentError);
    const out = await producer.publishBatch([newMessage('t', 'a'), newMessage('t', undefined as never), newMessage('t', { ok: true })]);
    assert.deepEqual(out.map((o) => o.ok), [true, false, true]);
    assert.ok(out[1]!.error instanceof InvalidArgumentError);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['a', '{"ok":true}']);
    await engine.close(100);
  });

  it('null is still a message without a value; Buffer, string, Uint8Array and objects encode as before', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    await Promise.all([null, Buffer.from('b'), 's', new Uint8Array([0x75]), { o: 1 }, [1, 2]].map((v) => producer.publish(newMessage('t', v))));
    assert.deepEqual(native().produced.map((r) => (r.value === null ? null : r.value.toString())), [null, 'b', 's', 'u', '{"o":1}', '[1,2]']);
    await engine.close(100);
  });

  it('a custom serializer that returns neither a Buffer nor null fails the publish with an InvalidArgumentError naming it and what it returned; nothing is produced', async () => {
    const { engine, native } = setup();
    await engine.connect();
    const produce = native().produce.bind(native());
    native().produce = (topic, partition, value, ...rest) => {
      // What node-rdkafka's produce() does (src/producer.cc): a bare Error without a code.
      if (value !== null && !Buffer.isBuffer(value)) throw new Error('Message must be a buffer or null');
      return produce(topic, partition, value, ...rest);
    };
    const returns: Array<[unknown, RegExp]> = [
      ['text', /returned a string/],
      [undefined, /returned undefined/],
      [42, /returned a number/],
      [{ bytes: [1] }, /returned an object/],
      [[1, 2], /returned an Array/],
    ];
    for (const [out, what] of returns) {
      const producer = new Producer({ producerEngine: () => engine }, { serializer: function toProto() { return out as Buffer; } });
      await assert.rejects(producer.publish(newMessage('t', { a: 1 })), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError, `expected an InvalidArgumentError, got ${String(e)}`);
        assert.match(e.message, /serializer toProto\(\)/);
        assert.match(e.message, what);
        assert.match(e.message, /expected a Buffer or null/);
        assert.equal(e.context['topic'], 't');
        return true;
      });
      const sent = await new Promise<Error | null>((resolve) => producer.send(newMessage('t', { a: 1 }), (e) => resolve(e)));
      assert.ok(sent instanceof InvalidArgumentError, `send(): got ${String(sent)}`);
    }
    assert.equal(native().produced.length, 0);
    // What node-rdkafka takes is still taken: Buffer, null, and a Uint8Array as a Buffer over its bytes.
    native().autoDeliver = true;
    const outs: Array<Buffer | Uint8Array | null> = [Buffer.from('b'), null, new Uint8Array([0x75])];
    for (const out of outs) await new Producer({ producerEngine: () => engine }, { serializer: () => out as Buffer | null }).publish(newMessage('t', { a: 1 }));
    assert.deepEqual(native().produced.map((r) => (r.value === null ? null : r.value.toString())), ['b', null, 'u']);
    assert.throws(() => new Producer({ producerEngine: () => engine }, { serializer: 'json' as never }), (e: unknown) => e instanceof InvalidArgumentError && /serializer: expected a function/.test(e.message));
    await engine.close(100);
  });

  it('defaultSerializer throws InvalidArgumentError (not TypeError) for what JSON cannot encode', () => {
    for (const [what, value, message] of BAD_VALUES) {
      assert.throws(() => defaultSerializer(value), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), what);
    }
  });
});

describe('TopicWriter argument errors', () => {
  it('writeBatch() with a null entry rejects with an InvalidArgumentError naming its index', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    const writer = new TopicWriter('t', producer);
    await assert.rejects(writer.writeBatch([{ value: 'a' }, null as never]), (e: unknown) => e instanceof InvalidArgumentError && /writeBatch\(entries\)\[1\]: expected an object \{ value, key\?, headers\?, metadata\?, id\? \}, got null/.test(e.message));
    assert.equal(native().produced.length, 0, 'nothing of the batch is published');
    await engine.close(100);
  });

  it('writeBatch() with headers: null or metadata: null rejects with an InvalidArgumentError naming index and field', async () => {
    const { engine, producer } = setup();
    await engine.connect();
    const writer = new TopicWriter('t', producer);
    await assert.rejects(writer.writeBatch([{ value: 'a' }, { value: 'b' }, { value: 'c', headers: null as never }]), (e: unknown) => e instanceof InvalidArgumentError && /writeBatch\(entries\)\[2\]\.headers: expected an object of header names to string or Buffer values, got null/.test(e.message));
    await assert.rejects(writer.writeBatch([{ value: 'a', metadata: null as never }]), (e: unknown) => e instanceof InvalidArgumentError && /writeBatch\(entries\)\[0\]\.metadata: expected an object of names to string values, got null/.test(e.message));
    await assert.rejects(writer.write('a', { headers: null as never }), (e: unknown) => e instanceof InvalidArgumentError && /write\(value, options\)\.headers: expected an object/.test(e.message));
    await assert.rejects(writer.writeBatch('nope' as never), (e: unknown) => e instanceof InvalidArgumentError && /writeBatch\(entries\): expected an array/.test(e.message));
    await engine.close(100);
  });

  it('writeBatch() names the index of an entry whose key or header is refused', async () => {
    const { engine, producer } = setup();
    await engine.connect();
    const writer = new TopicWriter('t', producer);
    await assert.rejects(writer.writeBatch([{ value: 'a' }, { value: 'b', key: 42 as never }]), (e: unknown) => e instanceof InvalidArgumentError && /^writeBatch\(entries\)\[1\]: message key: got number/.test(e.message));
    await engine.close(100);
  });

  it('write() and writeBatch() still publish with their options', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().autoDeliver = true;
    const writer = new TopicWriter('t', producer);
    await writer.write('a', { key: 'k', headers: { h: 'v' }, metadata: { m: '1' }, id: 'id-a' });
    const out = await writer.writeBatch([{ value: 'b' }, { value: 'c', key: 'k2' }]);
    assert.deepEqual(out.map((o) => o.ok), [true, true]);
    const [a, b, c] = native().produced;
    assert.equal(a!.key, 'k');
    assert.deepEqual(a!.headers, [{ message_id: 'id-a' }, { h: 'v' }, { metadata: '{"m":"1"}' }]);
    assert.equal(b!.value!.toString(), 'b');
    assert.equal(c!.key, 'k2');
    await writer.write('d', null as never); // null options: none
    assert.equal(native().produced[3]!.value!.toString(), 'd');
    await engine.close(100);
  });
});
