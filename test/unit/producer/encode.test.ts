import assert from 'node:assert/strict';
import { defaultSerializer } from '../../../src/producer/encode.js';
import { Producer } from '../../../src/producer/producer.js';
import { newMessage } from '../../../src/message/outgoing.js';
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
      const producer = new Producer(engine, { serializer: function toProto() { return out as Buffer; } });
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
    for (const out of outs) await new Producer(engine, { serializer: () => out as Buffer | null }).publish(newMessage('t', { a: 1 }));
    assert.deepEqual(native().produced.map((r) => (r.value === null ? null : r.value.toString())), ['b', null, 'u']);
    assert.throws(() => new Producer(engine, { serializer: 'json' as never }), (e: unknown) => e instanceof InvalidArgumentError && /serializer: expected a function/.test(e.message));
    await engine.close(100);
  });

  it('defaultSerializer throws InvalidArgumentError (not TypeError) for what JSON cannot encode', () => {
    for (const [what, value, message] of BAD_VALUES) {
      assert.throws(() => defaultSerializer(value), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), what);
    }
  });
});

describe('Producer key and header encoding', () => {
  it('header values: any bytes in a Buffer and a NUL in a string (a header, the message id, the correlation id) are sent as they are; a lone surrogate in a string is refused', async () => {
    assert.throws(() => newMessage('t', 'x').withHeader('bad', 'a\ud800b'), /lone surrogate/);
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().autoDeliver = true;
    const bin = Buffer.from([0xff, 0x00, 0x41, 0x80]);
    await producer.publish(newMessage('t', 'x').withId('id\0x').withCorrelationId('c\0y').withHeader('bin', bin).withHeader('nul', 'a\0b').withHeader('empty', Buffer.alloc(0)));
    const headers = native().produced[0]!.headers!;
    const value = (name: string) => headers.find((h) => name in h)![name];
    assert.deepEqual(Buffer.from(value('bin') as Buffer), bin);
    assert.deepEqual(Buffer.from(value('nul') as Buffer | string), Buffer.from('a\0b'));
    assert.deepEqual(Buffer.from(value('empty') as Buffer | string), Buffer.alloc(0));
    assert.deepEqual(Buffer.from(value('message_id') as Buffer | string), Buffer.from('id\0x'));
    assert.deepEqual(Buffer.from(value('correlation_id') as Buffer | string), Buffer.from('c\0y'));
    await engine.close(100);
  });

  it('a string key with a zero byte is sent as a Buffer (node-rdkafka would truncate the string)', async () => {
    const { engine, producer, native } = setupEngine();
    await engine.connect();
    native().autoDeliver = true;
    await producer.publish(newMessage('t', 'x').withKey('k\0tail'));
    assert.deepEqual(native().produced[0]!.key, Buffer.from('k\0tail'));
    await engine.close(100);
  });
});
