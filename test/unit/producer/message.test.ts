import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { newMessage } from '../../../src/producer/message.js';

/** What node-rdkafka would silently cut short, wrap or replace is refused where it is set. */
describe('message envelope input node-rdkafka would corrupt (unit)', () => {
  const refused = (f: () => unknown, what: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && what.test(e.message), String(f));

  it('a topic with a zero byte (it would be published to the topic named by the part before it)', () => {
    refused(() => newMessage('orders\0x', 'v'), /message topic.*zero byte/);
  });

  it('an id, a correlation id or a header name with a zero byte or a lone surrogate', () => {
    refused(() => newMessage('t', 'v').withId('a\0b'), /message id.*zero byte/);
    refused(() => newMessage('t', 'v').withId('a\uD800b'), /message id.*lone UTF-16 surrogate/);
    refused(() => newMessage('t', 'v').withCorrelationId('a\0b'), /correlation id.*zero byte/);
    refused(() => newMessage('t', 'v').withCorrelationId('\uDC00'), /correlation id/);
    refused(() => newMessage('t', 'v').withHeader('a\0b', 'v'), /header name.*zero byte/);
    refused(() => newMessage('t', 'v').withHeader('h', 'x\uD83D'), /header "h".*surrogate/);
    // well-formed text, including astral characters, is fine
    newMessage('t', 'v').withId('id-☕-😀').withCorrelationId('c-😀').withHeader('h-😀', 'v-😀');
  });

  it('a partition beyond int32 (node-rdkafka would wrap it to another partition)', () => {
    refused(() => newMessage('t', 'v').withPartition(2 ** 32 + 1), /message partition.*2147483647/);
    refused(() => newMessage('t', 'v').withPartition(2 ** 31), /message partition/);
    assert.equal(newMessage('t', 'v').withPartition(2 ** 31 - 1).partition, 2 ** 31 - 1);
  });
});
