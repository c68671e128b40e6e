import assert from 'node:assert/strict';
import * as deadLetter from '../../../src/consumer/dead-letter.js';
import { DeadLetterWriter, DLQ_HEADERS, type DeadLetterInfo } from '../../../src/consumer/dead-letter.js';
import type { NativeHeaders, NativeMessage } from '../../../src/native/types.js';
import type { Outbound, ProducerEngine } from '../../../src/producer/engine.js';
import { isSafeHeaderValue } from '../../../src/producer/message.js';

const INFO: DeadLetterInfo = { errorType: 'PermanentError', errorMessage: 'bad', attempts: 1, firstFailure: 1_700_000_000_000, lastFailure: 1_700_000_000_500 };

/** Writes `msg` to the dead-letter topic through a fake engine; returns what would be produced. */
async function deadLettered(msg: NativeMessage, info: DeadLetterInfo = INFO): Promise<Outbound> {
  let sent: Outbound | undefined;
  const engine = {
    send(o: Outbound) {
      sent = o;
      o.delivered({ topic: o.topic, partition: 0, offset: 0, size: 0, opaque: undefined, key: o.key });
    },
  } as unknown as ProducerEngine;
  await new DeadLetterWriter(() => engine, (t) => `${t}.dlq`, 'g').write(msg, info);
  return sent!;
}

/** What node-rdkafka sends for a header value: its UTF-8 text up to the first NUL (producer.cc). */
const wire = (v: string | Buffer): Buffer => {
  const text = typeof v === 'string' ? v : v.toString('utf8');
  const nul = text.indexOf('\0');
  return Buffer.from(nul < 0 ? text : text.slice(0, nul));
};
/** The dead-letter message's headers as a consumer receives them. */
const received = (headers: NativeHeaders | undefined): Array<[string, Buffer]> => (headers ?? []).flatMap((h) => Object.entries(h).map(([n, v]) => [n, wire(v)] as [string, Buffer]));

describe('DeadLetterWriter: nothing of the original message is lost', () => {
  it('a binary key and a binary header (NUL, invalid UTF-8): every produced header value is safe and the original bytes can be recovered', async () => {
    const key = Buffer.from([0, 1]);
    const h = Buffer.from([0xff, 0]);
    const text = Buffer.from('plain text');
    const out = await deadLettered({ topic: 't', partition: 3, offset: 42, key, value: Buffer.from([0, 0xfe]), size: 2, headers: [{ h }, { ok: text }] });
    for (const entry of out.headers ?? []) {
      for (const [name, v] of Object.entries(entry)) assert.ok(isSafeHeaderValue(v), `header ${name} would be corrupted by node-rdkafka: ${JSON.stringify(v)}`);
    }
    assert.deepEqual(out.key, key, 'the message key itself is binary-safe (a Buffer)');
    assert.deepEqual(out.value, Buffer.from([0, 0xfe]));
    const got = received(out.headers);
    const list = got.find(([n]) => n === DLQ_HEADERS.base64);
    assert.ok(list !== undefined, `a ${DLQ_HEADERS.base64} header names the base64 values`);
    assert.deepEqual(JSON.parse(list[1].toString()).sort(), [DLQ_HEADERS.key, 'h']);
    // by hand, as the README describes it
    assert.deepEqual(Buffer.from(got.find(([n]) => n === 'h')![1].toString(), 'base64'), h);
    assert.deepEqual(Buffer.from(got.find(([n]) => n === DLQ_HEADERS.key)![1].toString(), 'base64'), key);
    assert.deepEqual(got.find(([n]) => n === 'ok')![1], text, 'a safe header is copied as it was');
    // with the helper
    const decoded = deadLetter.decodeDeadLetterHeaders(got);
    assert.deepEqual(decoded.find(([n]) => n === 'h')![1], h);
    assert.deepEqual(decoded.find(([n]) => n === DLQ_HEADERS.key)![1], key);
    assert.deepEqual(decoded.find(([n]) => n === 'ok')![1], text);
    assert.equal(decoded.find(([n]) => n === DLQ_HEADERS.base64), undefined);
    assert.deepEqual(decoded.slice(0, 2).map(([n]) => n), ['h', 'ok'], 'original headers first, in order');
  });

  it('an empty key stays an empty key (node-rdkafka would send an empty Buffer key as null); a null key stays null and has no key header', async () => {
    const empty = await deadLettered({ topic: 't', partition: 0, offset: 1, key: Buffer.alloc(0), value: null, size: 0 });
    assert.equal(empty.key, '', 'an empty string: node-rdkafka keeps it as an empty key');
    assert.deepEqual(received(empty.headers).find(([n]) => n === DLQ_HEADERS.key)?.[1], Buffer.alloc(0));
    const none = await deadLettered({ topic: 't', partition: 0, offset: 2, key: null, value: null, size: 0 });
    assert.equal(none.key, null);
    assert.equal(received(none.headers).find(([n]) => n === DLQ_HEADERS.key), undefined);
  });

  it('safe values are written as text (no base64 list); an error message with NUL is base64 and listed', async () => {
    const plain = await deadLettered({ topic: 't', partition: 0, offset: 1, key: Buffer.from('k1'), value: null, size: 0, headers: [{ a: Buffer.from('x') }] });
    const got = received(plain.headers);
    assert.equal(got.find(([n]) => n === DLQ_HEADERS.base64), undefined);
    assert.equal(got.find(([n]) => n === DLQ_HEADERS.key)![1].toString(), 'k1');
    const nul = await deadLettered({ topic: 't', partition: 0, offset: 1, key: null, value: null, size: 0 }, { ...INFO, errorMessage: 'a\0b' });
    const decoded = deadLetter.decodeDeadLetterHeaders(received(nul.headers));
    assert.equal(decoded.find(([n]) => n === DLQ_HEADERS.errorMessage)![1].toString(), 'a\0b');
  });

  it('a dead-letter message dead-lettered again: the earlier base64 headers stay decodable', async () => {
    const first = await deadLettered({ topic: 't', partition: 0, offset: 7, key: Buffer.from([0]), value: null, size: 0, headers: [{ h: Buffer.from([0xff]) }] });
    // consumed from t.dlq, failed again: its headers are the first dead-letter message's
    const again = await deadLettered({ topic: 't.dlq', partition: 0, offset: 0, key: Buffer.from([0xc3]), value: null, size: 0, headers: received(first.headers).map(([n, v]) => ({ [n]: v })) });
    for (const entry of again.headers ?? []) for (const [name, v] of Object.entries(entry)) assert.ok(isSafeHeaderValue(v), name);
    const decoded = deadLetter.decodeDeadLetterHeaders(received(again.headers));
    assert.deepEqual(decoded.find(([n]) => n === 'h')![1], Buffer.from([0xff]));
    assert.deepEqual(
      decoded.filter(([n]) => n === DLQ_HEADERS.key).map(([, v]) => v),
      [Buffer.from([0]), Buffer.from([0xc3])],
      'both generations of the original key',
    );
  });
});
