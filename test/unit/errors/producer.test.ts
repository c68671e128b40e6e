import assert from 'node:assert/strict';
import { RD } from '../../../src/errors/librdkafka.js';
import { DeliveryError, possiblyPersistedCode } from '../../../src/errors/producer.js';

describe('DeliveryError.possiblyPersisted (issue 17 item 4)', () => {
  const err = (code: number) => new DeliveryError('orders', 1, { code, message: 'x' }, 'id-1', 1);

  it('is true for every failure after which the broker may have written the message', () => {
    for (const code of [RD.ERR__MSG_TIMED_OUT, RD.ERR_REQUEST_TIMED_OUT, RD.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD.ERR__TRANSPORT, RD.ERR_NETWORK_EXCEPTION, RD.ERR__TIMED_OUT]) {
      const e = err(code);
      assert.equal(e.possiblyPersisted, true, e.code);
      assert.match(e.message, /it may have been written \(.+\): publishing it again may duplicate it/, e.code);
      assert.equal(possiblyPersistedCode(code), true);
    }
  });

  it('is false for failures that say the message was not appended', () => {
    for (const code of [RD.ERR_MSG_SIZE_TOO_LARGE, RD.ERR_NOT_ENOUGH_REPLICAS, RD.ERR_TOPIC_AUTHORIZATION_FAILED, RD.ERR__QUEUE_FULL, RD.ERR_LEADER_NOT_AVAILABLE, RD.ERR_UNKNOWN_TOPIC_OR_PART, RD.ERR__PURGE_QUEUE]) {
      assert.equal(err(code).possiblyPersisted, false, err(code).code);
    }
  });

  it('an earlier attempt that may have been written makes the final failure possibly persisted, with the given reason', () => {
    const e = new DeliveryError('orders', 1, { code: RD.ERR_LEADER_NOT_AVAILABLE, message: 'x' }, 'id', 3, true);
    assert.equal(e.possiblyPersisted, true);
    const closed = new DeliveryError('orders', 1, { code: RD.ERR__TIMED_OUT, message: 'x' }, 'id', 1, 'it was in librdkafka\'s hands when the producer closed');
    assert.match(closed.message, /\(it was in librdkafka's hands when the producer closed\)/);
  });
});
