import assert from 'node:assert/strict';
import { TopicWriter } from '../../../src/producer/writer.js';
import { DeliveryError, InvalidArgumentError } from '../../../src/errors/index.js';
import { setupEngine } from '../../helpers/engine.js';

function setup() {
  return setupEngine({ retryDelivered: false });
}

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

  it("writeBatch(entries, { results: 'failures' }) resolves with the publishBatch summary: the count and the failed entries by index", async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    native().outcome = (r) => (r.value!.toString().startsWith('bad') ? { message: 'Broker: Message size too large', code: 10 } : null);
    native().autoDeliver = true;
    const writer = new TopicWriter('t', producer);
    const summary = await writer.writeBatch([{ value: 'a', key: 'k' }, { value: 'bad-1', id: 'id-1' }, { value: 'b' }], { results: 'failures' });
    assert.equal(summary.delivered, 2);
    assert.deepEqual(summary.failed.map((f) => f.index), [1]);
    assert.equal((summary.failed[0]!.error as DeliveryError).messageId, 'id-1');
    assert.deepEqual(summary.possibleDuplicates, []);
    assert.deepEqual(native().produced.map((r) => r.value!.toString()), ['a', 'bad-1', 'b']);
    // results: 'all' (and no options) keep one outcome per entry.
    const all = await writer.writeBatch([{ value: 'c' }], { results: 'all' });
    assert.deepEqual(all.map((o) => o.ok), [true]);
    const none = await writer.writeBatch([{ value: 'd' }]);
    assert.deepEqual(none.map((o) => [o.ok, o.result?.topic]), [[true, 't']]);
    await engine.close(100);
  });

  it('writeBatch() with a bad option rejects with an InvalidArgumentError naming writeBatch and the value; nothing is published', async () => {
    const { engine, producer, native } = setup();
    await engine.connect();
    const writer = new TopicWriter('t', producer);
    for (const [options, re] of [
      ['failures', /^writeBatch\(entries, options\): .*got 'failures'; pass \{ results: 'failures' \}/],
      [{ results: 'some' }, /^writeBatch\(entries, options\): options\.results must be 'all' or 'failures', got 'some'/],
      [{ result: 'failures' }, /^writeBatch\(entries, options\): unknown option 'result'/],
      [null, /^writeBatch\(entries, options\): options must be an object .*got null/],
    ] as const) {
      await assert.rejects(writer.writeBatch([{ value: 'a' }], options as never), (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message), String(options));
    }
    assert.equal(native().produced.length, 0);
    await engine.close(100);
  });
});
