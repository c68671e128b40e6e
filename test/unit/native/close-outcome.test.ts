import assert from 'node:assert/strict';
import { closeOutcomeError } from '../../../src/native/lifecycle.js';
import { GoCoffeeKafkaError } from '../../../src/errors/base.js';
import { KafkaError } from '../../../src/errors/index.js';

describe('closeOutcomeError: what a consumer close reports from the addon callback', () => {
  it('a clean close: nothing', () => {
    assert.equal(closeOutcomeError(false, undefined), null);
  });
  it('past its deadline: GCK_CONSUMER_CLOSE_ABANDONED (10 s)', () => {
    const e = closeOutcomeError(true, undefined);
    assert.ok(e instanceof GoCoffeeKafkaError);
    assert.equal(e.code, 'GCK_CONSUMER_CLOSE_ABANDONED');
    assert.match(e.message, /did not finish within 10 s/);
  });
  it('its work failed twice: GCK_CONSUMER_CLOSE_ABANDONED naming the failure', () => {
    const e = closeOutcomeError(true, 'std::bad_alloc');
    assert.ok(e instanceof GoCoffeeKafkaError);
    assert.equal(e.code, 'GCK_CONSUMER_CLOSE_ABANDONED');
    assert.match(e.message, /^closing the consumer failed \(std::bad_alloc\): the client was destroyed without the final commit and group leave/);
  });
  it('its work failed once and ran again to the end: KafkaError GCK_KAFKA__FAIL naming the failure', () => {
    const e = closeOutcomeError(false, 'std::bad_alloc');
    assert.ok(e instanceof KafkaError, String(e));
    assert.equal(e.code, 'GCK_KAFKA__FAIL');
    assert.match(e.message, /the close work failed once \(std::bad_alloc\) and ran again to the end/);
  });
});
