import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { newMessage } from '../../../src/message/outgoing.js';

/** What librdkafka or UTF-8 would silently cut short, wrap or replace is refused where it is set; nothing else. */
describe('message envelope input that would arrive corrupted (unit)', () => {
  const refused = (f: () => unknown, what: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && what.test(e.message), String(f));

  it('a topic with a zero byte (it would be published to the topic named by the part before it)', () => {
    refused(() => newMessage('orders\0x', 'v'), /message topic.*zero byte/);
  });

  it('a header name with a zero byte (consumers get names as C strings) or a lone surrogate; an id or a correlation id with a lone surrogate', () => {
    refused(() => newMessage('t', 'v').withHeader('a\0b', 'v'), /header name.*zero byte/);
    refused(() => newMessage('t', 'v').withHeader('\uD800', 'v'), /header name.*lone UTF-16 surrogate/);
    refused(() => newMessage('t', 'v').withId('a\uD800b'), /message id.*lone UTF-16 surrogate/);
    refused(() => newMessage('t', 'v').withCorrelationId('\uDC00'), /correlation id.*lone UTF-16 surrogate/);
    refused(() => newMessage('t', 'v').withHeader('h', 'x\uD83D'), /header "h".*surrogate/);
    // well-formed text, including astral characters, is fine
    newMessage('t', 'v').withId('id-☕-😀').withCorrelationId('c-😀').withHeader('h-😀', 'v-😀');
  });

  it('header values are bytes: a zero byte or invalid UTF-8 in a value, the message id or the correlation id is accepted as it is (no node-rdkafka limit left)', () => {
    const bin = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    const m = newMessage('t', 'v').withId('id\0x').withCorrelationId('c\0y').withHeader('bin', bin).withHeader('nul', 'a\0b').withHeader('empty', Buffer.alloc(0));
    assert.equal(m.id, 'id\0x');
    assert.equal(m.correlationId, 'c\0y');
    assert.deepEqual(m.headers, [['bin', bin], ['nul', 'a\0b'], ['empty', Buffer.alloc(0)]]);
  });

  it('a partition beyond int32 (it would wrap to another partition)', () => {
    refused(() => newMessage('t', 'v').withPartition(2 ** 32 + 1), /message partition.*2147483647/);
    refused(() => newMessage('t', 'v').withPartition(2 ** 31), /message partition/);
    assert.equal(newMessage('t', 'v').withPartition(2 ** 31 - 1).partition, 2 ** 31 - 1);
  });
});
