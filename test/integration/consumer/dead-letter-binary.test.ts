import assert from 'node:assert/strict';
import { Consumer, PermanentError, type ConsumedMessage } from '../../../src/consumer/index.js';
import { decodeDeadLetterHeaders, DLQ_HEADERS } from '../../../src/consumer/dead-letter.js';
import { newMessage } from '../../../src/producer/index.js';
import { createTopic, readAll, uniqueName, useClient } from '../helpers.js';
import { waitUntil } from './util.js';

type Headers = Array<[string, Buffer]>;
const hex = (list: ReadonlyArray<readonly [string, Uint8Array]>) => list.map(([n, v]) => [n, Buffer.from(v).toString('hex')]);

/** Issue 14 item 5: header values are bytes end to end, so the dead-letter copy carries them as they were (no base64). */
describe('Dead-letter copies of binary keys and header values against the real broker', function () {
  this.timeout(120_000);
  const client = useClient();

  it('keys (binary, empty, null) and header values (invalid UTF-8, NUL bytes, empty, repeated names) are copied byte-exact; no dlq.base64.headers is written; a dead-letter message of the previous release (base64-marked) still decodes', async () => {
    const topic = uniqueName('dlq-bin');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);

    const binary: Headers = [
      ['bin', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x00])],
      ['nul', Buffer.from('a\0b\0')],
      ['empty', Buffer.alloc(0)],
      ['invalid-utf8', Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80])],
      ['utf8', Buffer.from('héllo ☕')],
      ['dup', Buffer.from([1])],
      ['dup', Buffer.from([0, 2])],
    ];
    // A dead-letter message as the previous release wrote it (node-rdkafka): values it could not
    // send base64-encoded and named in a trailing dlq.base64.headers.
    const oldOriginal: Headers = [['h', Buffer.from([0xff, 0])], ['ok', Buffer.from('text')]];
    const oldKey = Buffer.from([0, 1]);
    const oldDlq: Headers = [
      ['h', Buffer.from(Buffer.from([0xff, 0]).toString('base64'))],
      ['ok', Buffer.from('text')],
      [DLQ_HEADERS.topic, Buffer.from('orders')],
      [DLQ_HEADERS.partition, Buffer.from('0')],
      [DLQ_HEADERS.offset, Buffer.from('9')],
      [DLQ_HEADERS.key, Buffer.from(oldKey.toString('base64'))],
      [DLQ_HEADERS.errorType, Buffer.from('PermanentError')],
      [DLQ_HEADERS.errorMessage, Buffer.from('old')],
      [DLQ_HEADERS.attempts, Buffer.from('1')],
      [DLQ_HEADERS.firstFailure, Buffer.from('2026-01-01T00:00:00.000Z')],
      [DLQ_HEADERS.lastFailure, Buffer.from('2026-01-01T00:00:00.000Z')],
      [DLQ_HEADERS.group, Buffer.from('old-group')],
      [DLQ_HEADERS.base64, Buffer.from(JSON.stringify(['h', DLQ_HEADERS.key]))],
    ];
    const oldDecoded: Headers = [...oldOriginal, ...oldDlq.slice(2, 5), [DLQ_HEADERS.key, oldKey], ...oldDlq.slice(6, 12)];

    const messages = [
      { value: 'binary', key: Buffer.from([0, 1, 0xff]) as Buffer | string | null, headers: binary },
      { value: 'empty', key: Buffer.alloc(0), headers: [] as Headers },
      { value: 'null', key: null, headers: [] as Headers },
      { value: 'old-dlq', key: Buffer.from([0xfe, 0]), headers: oldDlq },
    ];
    const outcomes = await client.cm.producer.publishBatch(
      messages.map((m) => {
        const out = newMessage(topic, m.value).withKey(m.key);
        for (const [n, v] of m.headers) out.withHeader(n, v);
        return out;
      }),
    );
    assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes.filter((o) => !o.ok)));

    let consumedOld: Headers | undefined;
    const consumer = new Consumer(client.cm, {});
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage) {
        if (m.text() === 'old-dlq') consumedOld = m.headerList.map(([n, v]) => [n, Buffer.from(v)]);
        throw new PermanentError(`no ${m.text()}`);
      },
    });
    await consumer.start();
    try {
      await waitUntil(() => consumer.stats()[0]?.deadLettered === messages.length, 60_000, () => `dead-lettered ${consumer.stats()[0]?.deadLettered}`);
    } finally {
      await consumer.stop();
    }

    // the previous release's message, as consumed from the broker, decodes to its original bytes
    const libraryOwn = (n: string) => n === 'message_id' || n === 'traceparent' || n === 'tracestate';
    const consumed = consumedOld!.filter(([n]) => !libraryOwn(n));
    assert.deepEqual(hex(consumed), hex(oldDlq), 'published and consumed as it was');
    assert.deepEqual(hex(decodeDeadLetterHeaders(consumed)), hex(oldDecoded));

    const dlq = await readAll(`${topic}.dlq`, messages.length);
    assert.equal(dlq.length, messages.length);
    const byValue = new Map(dlq.map((d) => [d.value!.toString(), d]));
    const copy = (value: string) => {
      const d = byValue.get(value)!;
      const list: Headers = (d.headers ?? []).flatMap((h) => Object.entries(h)).map(([n, v]) => [n, Buffer.from(v)]);
      // the library's own headers of the original publish (message id, trace context) are copied too
      const own = list.filter(([n]) => !libraryOwn(n));
      return { key: d.key, list, own, value: (n: string) => list.filter(([x]) => x === n).map(([, v]) => v) };
    };

    for (const m of messages) {
      const c = copy(m.value);
      assert.equal(c.list.find(([n]) => n === DLQ_HEADERS.base64) !== undefined, m.value === 'old-dlq', `${m.value}: dlq.base64.headers only where the original had one`);
      const earlier = m.value === 'old-dlq' ? 1 : 0; // the old message's own dlq.* headers come first
      assert.deepEqual(c.value(DLQ_HEADERS.topic).map(String).slice(earlier), [topic], `${m.value}: dlq.original.topic`);
      assert.deepEqual(c.value(DLQ_HEADERS.errorMessage).map(String).slice(earlier), [`no ${m.value}`]);
      assert.deepEqual(c.value(DLQ_HEADERS.group).map(String).slice(earlier), [group]);
      assert.deepEqual(decodeDeadLetterHeaders(c.list).find(([n]) => n === DLQ_HEADERS.base64), undefined);
    }

    const bin = copy('binary');
    assert.deepEqual(bin.key, Buffer.from([0, 1, 0xff]), 'the dead-letter message key');
    assert.deepEqual(bin.value(DLQ_HEADERS.key), [Buffer.from([0, 1, 0xff])], 'dlq.original.key: the key bytes, not base64');
    assert.deepEqual(hex(bin.own.slice(0, binary.length)), hex(binary), 'the original headers first, byte-exact and in order');
    assert.deepEqual(hex(decodeDeadLetterHeaders(bin.list)), hex(bin.list), 'decodeDeadLetterHeaders: a new dead-letter message as it is');

    const empty = copy('empty');
    assert.deepEqual(empty.key, Buffer.alloc(0), 'an empty key stays an empty key (not null)');
    assert.deepEqual(empty.value(DLQ_HEADERS.key), [Buffer.alloc(0)]);

    const none = copy('null');
    assert.equal(none.key, null);
    assert.deepEqual(none.value(DLQ_HEADERS.key), []);

    // the previous release's dead-letter message dead-lettered again: copied as it was, and
    // decodeDeadLetterHeaders decodes the old generation only
    const again = copy('old-dlq');
    assert.deepEqual(again.key, Buffer.from([0xfe, 0]));
    assert.deepEqual(hex(again.own.slice(0, oldDlq.length)), hex(oldDlq), 'the old headers, base64 and marker included, byte-exact');
    const decoded = decodeDeadLetterHeaders(again.own);
    assert.deepEqual(hex(decoded.slice(0, oldDecoded.length)), hex(oldDecoded), 'the old generation decoded');
    assert.deepEqual(
      decoded.filter(([n]) => n === DLQ_HEADERS.key).map(([, v]) => v.toString('hex')),
      [oldKey.toString('hex'), 'fe00'],
      'both generations of the original key: the old one decoded from base64, the new one as it is',
    );
  });
});
