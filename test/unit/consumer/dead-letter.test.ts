import assert from 'node:assert/strict';
import * as deadLetter from '../../../src/consumer/dead-letter.js';
import { DeadLetterWriter, DLQ_HEADERS, type DeadLetterInfo } from '../../../src/consumer/dead-letter.js';
import type { NativeHeaders, NativeMessage } from '../../../src/native/types.js';
import type { Outbound, ProducerEngine } from '../../../src/delivery/engine.js';

const INFO: DeadLetterInfo = { errorType: 'PermanentError', errorMessage: 'bad', attempts: 1, firstFailure: 1_700_000_000_000, lastFailure: 1_700_000_000_500 };

/** Writes `msg` to the dead-letter topic through a fake engine; returns what would be produced. */
async function deadLettered(msg: NativeMessage, info: DeadLetterInfo = INFO, reduced = false): Promise<Outbound> {
  let sent: Outbound | undefined;
  const engine = {
    send(o: Outbound) {
      sent = o;
      o.delivered({ topic: o.topic, partition: 0, offset: 0, timestamp: undefined, messageId: o.messageId });
    },
  } as unknown as ProducerEngine;
  await new DeadLetterWriter(() => engine, (t) => `${t}.dlq`, 'g').write(msg, info, reduced);
  return sent!;
}

/**
 * The dead-letter message's headers as a consumer receives them: the batch engine sends every
 * value as its bytes (a Buffer as it is, a string as its UTF-8), names as they are.
 */
const received = (headers: NativeHeaders | undefined): Array<[string, Buffer]> =>
  (headers ?? []).flatMap((h) => Object.entries(h).map(([n, v]) => [n, Buffer.from(v)] as [string, Buffer]));
const hex = (list: ReadonlyArray<readonly [string, Buffer]>) => list.map(([n, v]) => [n, v.toString('hex')]);

/** The headers of a dead-letter message written by the previous release (node-rdkafka, base64). */
function previousRelease(original: Array<[string, Buffer]>, key: Buffer, encoded: string[]): Array<[string, Buffer]> {
  const b64 = (n: string, v: Buffer): [string, Buffer] => [n, encoded.includes(n) ? Buffer.from(v.toString('base64')) : v];
  return [
    ...original.map(([n, v]) => b64(n, v)),
    [DLQ_HEADERS.topic, Buffer.from('t')],
    [DLQ_HEADERS.partition, Buffer.from('0')],
    [DLQ_HEADERS.offset, Buffer.from('7')],
    b64(DLQ_HEADERS.key, key),
    [DLQ_HEADERS.errorType, Buffer.from('PermanentError')],
    [DLQ_HEADERS.errorMessage, Buffer.from('bad')],
    [DLQ_HEADERS.attempts, Buffer.from('1')],
    [DLQ_HEADERS.firstFailure, Buffer.from('2023-11-14T22:13:20.000Z')],
    [DLQ_HEADERS.lastFailure, Buffer.from('2023-11-14T22:13:20.500Z')],
    [DLQ_HEADERS.group, Buffer.from('g')],
    [DLQ_HEADERS.base64, Buffer.from(JSON.stringify(encoded))],
  ];
}

describe('DeadLetterWriter: nothing of the original message is lost', () => {
  it('binary header values (NUL, invalid UTF-8, empty) and a binary key are copied as their exact bytes, in order, with no base64 and no dlq.base64.headers', async () => {
    const key = Buffer.from([0, 1, 0xff]);
    const original: Array<[string, Buffer]> = [
      ['h', Buffer.from([0xff, 0])],
      ['nul', Buffer.from('a\0b\0')],
      ['empty', Buffer.alloc(0)],
      ['ok', Buffer.from('plain text')],
      ['h', Buffer.from([0xc3, 0x28])],
    ];
    const out = await deadLettered({ topic: 't', partition: 3, offset: 42, key, value: Buffer.from([0, 0xfe]), size: 2, headers: original.map(([n, v]) => ({ [n]: v })) });
    assert.deepEqual(out.key, key, 'the message key, as it was');
    assert.deepEqual(out.value, Buffer.from([0, 0xfe]));
    const got = received(out.headers);
    assert.deepEqual(hex(got.slice(0, original.length)), hex(original), 'the original headers first, byte-exact and in order');
    assert.deepEqual(
      got.slice(original.length).map(([n]) => n),
      [DLQ_HEADERS.topic, DLQ_HEADERS.partition, DLQ_HEADERS.offset, DLQ_HEADERS.key, DLQ_HEADERS.errorType, DLQ_HEADERS.errorMessage, DLQ_HEADERS.attempts, DLQ_HEADERS.firstFailure, DLQ_HEADERS.lastFailure, DLQ_HEADERS.group],
      'then the dlq.* headers, and no dlq.base64.headers',
    );
    const value = (name: string) => got.find(([n]) => n === name)![1];
    assert.deepEqual(value(DLQ_HEADERS.key), key, 'dlq.original.key: the key bytes, not base64');
    assert.equal(value(DLQ_HEADERS.topic).toString(), 't');
    assert.equal(value(DLQ_HEADERS.partition).toString(), '3');
    assert.equal(value(DLQ_HEADERS.offset).toString(), '42');
    assert.equal(value(DLQ_HEADERS.errorType).toString(), 'PermanentError');
    assert.equal(value(DLQ_HEADERS.errorMessage).toString(), 'bad');
    assert.equal(value(DLQ_HEADERS.attempts).toString(), '1');
    assert.equal(value(DLQ_HEADERS.firstFailure).toString(), '2023-11-14T22:13:20.000Z');
    assert.equal(value(DLQ_HEADERS.lastFailure).toString(), '2023-11-14T22:13:20.500Z');
    assert.equal(value(DLQ_HEADERS.group).toString(), 'g');
    // decodeDeadLetterHeaders gives a new dead-letter message's headers back as they are
    assert.deepEqual(hex(deadLetter.decodeDeadLetterHeaders(got)), hex(got));
  });

  it('an empty key stays an empty key (and an empty dlq.original.key); a null key stays null and has no key header', async () => {
    const empty = await deadLettered({ topic: 't', partition: 0, offset: 1, key: Buffer.alloc(0), value: null, size: 0 });
    assert.ok(empty.key !== null && empty.key.length === 0, 'an empty key, not null');
    assert.deepEqual(received(empty.headers).find(([n]) => n === DLQ_HEADERS.key)?.[1], Buffer.alloc(0));
    const none = await deadLettered({ topic: 't', partition: 0, offset: 2, key: null, value: null, size: 0 });
    assert.equal(none.key, null);
    assert.equal(received(none.headers).find(([n]) => n === DLQ_HEADERS.key), undefined);
  });

  it('an error message with a zero byte is written as it is; a long one is cut without splitting a surrogate pair', async () => {
    const nul = await deadLettered({ topic: 't', partition: 0, offset: 1, key: null, value: null, size: 0 }, { ...INFO, errorMessage: 'a\0b' });
    const got = received(nul.headers);
    assert.deepEqual(got.find(([n]) => n === DLQ_HEADERS.errorMessage)![1], Buffer.from('a\0b'));
    assert.equal(got.find(([n]) => n === DLQ_HEADERS.base64), undefined);
    const long = await deadLettered({ topic: 't', partition: 0, offset: 1, key: null, value: null, size: 0 }, { ...INFO, errorMessage: 'x'.repeat(4095) + '😀' + 'y'.repeat(10) });
    assert.equal(received(long.headers).find(([n]) => n === DLQ_HEADERS.errorMessage)![1].toString(), 'x'.repeat(4095));
  });

  it('a dead-letter message dead-lettered again: both generations of the headers, byte-exact', async () => {
    const first = await deadLettered({ topic: 't', partition: 0, offset: 7, key: Buffer.from([0]), value: null, size: 0, headers: [{ h: Buffer.from([0xff]) }] });
    const again = await deadLettered({ topic: 't.dlq', partition: 0, offset: 0, key: Buffer.from([0xc3]), value: null, size: 0, headers: received(first.headers).map(([n, v]) => ({ [n]: v })) });
    const decoded = deadLetter.decodeDeadLetterHeaders(received(again.headers));
    assert.deepEqual(decoded.find(([n]) => n === 'h')![1], Buffer.from([0xff]));
    assert.deepEqual(
      decoded.filter(([n]) => n === DLQ_HEADERS.key).map(([, v]) => v),
      [Buffer.from([0]), Buffer.from([0xc3])],
      'both generations of the original key',
    );
  });
});

describe('decodeDeadLetterHeaders: dead-letter messages of the previous release (dlq.base64.headers)', () => {
  const original: Array<[string, Buffer]> = [
    ['h', Buffer.from([0xff, 0])],
    ['ok', Buffer.from('plain text')],
    ['h', Buffer.from('text')], // every value of a listed name was base64
  ];
  const key = Buffer.from([0, 1]);

  it('decodes the listed values back to the original bytes and leaves dlq.base64.headers out', () => {
    const old = previousRelease(original, key, ['h', DLQ_HEADERS.key]);
    assert.deepEqual(old[0]![1].toString(), Buffer.from([0xff, 0]).toString('base64'), 'the fixture is base64 as written then');
    const decoded = deadLetter.decodeDeadLetterHeaders(old);
    assert.deepEqual(hex(decoded.slice(0, 3)), hex(original), 'the original headers, in order');
    assert.deepEqual(decoded.find(([n]) => n === DLQ_HEADERS.key)![1], key);
    assert.equal(decoded.find(([n]) => n === DLQ_HEADERS.base64), undefined);
    assert.equal(decoded.length, old.length - 1);
    assert.equal(decoded.find(([n]) => n === DLQ_HEADERS.group)![1].toString(), 'g', 'unlisted values as they are');
    // string values (as some clients give them) are taken too
    assert.deepEqual(hex(deadLetter.decodeDeadLetterHeaders(old.map(([n, v]) => [n, v.toString('latin1')]))), hex(decoded));
  });

  it('an old dead-letter message dead-lettered again by this release: only the headers before dlq.base64.headers are decoded', async () => {
    const old = previousRelease(original, key, ['h', DLQ_HEADERS.key]);
    const newKey = Buffer.from([0xfe, 0]);
    const again = await deadLettered({ topic: 't.dlq', partition: 0, offset: 5, key: newKey, value: null, size: 0, headers: old.map(([n, v]) => ({ [n]: v })) });
    const got = received(again.headers);
    assert.deepEqual(hex(got.slice(0, old.length)), hex(old), 'the old message headers copied as they were, dlq.base64.headers included');
    const decoded = deadLetter.decodeDeadLetterHeaders(got);
    assert.deepEqual(hex(decoded.slice(0, 3)), hex(original));
    assert.deepEqual(
      decoded.filter(([n]) => n === DLQ_HEADERS.key).map(([, v]) => v),
      [key, newKey],
      'the old generation decoded from base64, the new one as it is',
    );
    assert.equal(decoded.find(([n]) => n === DLQ_HEADERS.base64), undefined);
  });

  it('a dlq.base64.headers value that is not a JSON array of names is an ordinary header', () => {
    const list: Array<[string, Buffer]> = [['h', Buffer.from('AAE=')], [DLQ_HEADERS.base64, Buffer.from('not json')]];
    assert.deepEqual(hex(deadLetter.decodeDeadLetterHeaders(list)), hex(list));
  });
});

describe('DeadLetterWriter: copies that cannot be written as they are (issue 17 item 1)', () => {
  const big = (n: number) => Buffer.alloc(n, 0x61);

  it('keeps the original timestamp in dlq.original.timestamp, and does not repeat a huge key in a header', async () => {
    const o = await deadLettered({ topic: 't', partition: 1, offset: 9, key: big(5000), value: Buffer.from('v'), size: 1, timestamp: 1_700_000_123_456 });
    const names = received(o.headers).map(([n]) => n);
    assert.ok(names.includes(DLQ_HEADERS.timestamp));
    assert.equal(received(o.headers).find(([n]) => n === DLQ_HEADERS.timestamp)![1].toString(), '1700000123456');
    assert.ok(!names.includes(DLQ_HEADERS.key), 'the 5,000-byte key is the message key; not copied again');
    assert.equal((o.key as Buffer).length, 5000);
  });

  it('a reduced copy: the value and the original headers are replaced by a JSON reference, dlq.truncated says so, the failure headers stay', async () => {
    const msg = { topic: 't', partition: 2, offset: 40, key: Buffer.from('k'), value: big(900_000), size: 900_000, headers: [{ a: big(100) }, { b: 'x' }] };
    const o = await deadLettered(msg, { ...INFO, errorMessage: 'e'.repeat(5000) }, true);
    const h = new Map(received(o.headers).map(([n, v]) => [n, v.toString()]));
    assert.equal(h.get(DLQ_HEADERS.truncated), 'value,headers');
    assert.deepEqual(JSON.parse((o.value as Buffer).toString()), { topic: 't', partition: 2, offset: 40, valueBytes: 900_000, keyBytes: 1, headers: 2 });
    assert.ok(!h.has('a') && !h.has('b'), 'original headers left out');
    assert.equal(h.get(DLQ_HEADERS.offset), '40');
    assert.equal(h.get(DLQ_HEADERS.errorMessage)!.length, 1024, 'error text cut shorter');
    assert.equal(h.get(DLQ_HEADERS.key), 'k');
  });

  it('a reduced copy of a message with a huge key leaves the key out too', async () => {
    const o = await deadLettered({ topic: 't', partition: 0, offset: 1, key: big(2_000_000), value: null, size: 0 }, INFO, true);
    assert.equal(o.key, null);
    assert.equal(received(o.headers).find(([n]) => n === DLQ_HEADERS.truncated)![1].toString(), 'value,headers,key');
  });

  it('classifies failed writes: too large / blocked (authorization, invalid topic, policy) / retry', async () => {
    const { classifyDeadLetterFailure } = deadLetter;
    const { DeliveryError } = await import('../../../src/errors/producer.js');
    const { RD } = await import('../../../src/errors/librdkafka.js');
    const err = (code: number) => new DeliveryError('t.dlq', 0, { code, message: 'x' }, undefined, 1);
    assert.equal(classifyDeadLetterFailure(err(RD.ERR_MSG_SIZE_TOO_LARGE)), 'too-large');
    assert.equal(classifyDeadLetterFailure(err(RD.ERR_RECORD_LIST_TOO_LARGE)), 'too-large');
    assert.equal(classifyDeadLetterFailure(err(RD.ERR_TOPIC_AUTHORIZATION_FAILED)), 'blocked');
    assert.equal(classifyDeadLetterFailure(err(RD.ERR_TOPIC_EXCEPTION)), 'blocked');
    assert.equal(classifyDeadLetterFailure(err(RD.ERR__MSG_TIMED_OUT)), 'retry');
    assert.equal(classifyDeadLetterFailure(new Error('plain')), 'retry');
  });
});
