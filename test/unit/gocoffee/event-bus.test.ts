import assert from 'node:assert/strict';
import { InvalidEventError } from '../../../src/gocoffee/index.js';
import { EventBus } from '../../../src/gocoffee/event-bus.js';

describe('EventBus actions (unit, no broker)', () => {
  it('an action named like an Object property (toString, constructor, __proto__) is an unknown action, a typed error; nothing is sent', async () => {
    let sent = 0;
    const bus = new EventBus({ publishEvent: async () => { sent++; return { topic: 't', partition: 0, offset: 0, timestamp: 0, messageId: 'x' }; } } as never);
    for (const action of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      await assert.rejects(bus.publishBeverageEvent(action as never, 'b-1', { beverage_id: 'b-1' } as never), (e: unknown) => e instanceof InvalidEventError && /unknown action/.test(e.message), action);
      await assert.rejects(bus.publishTaskEvent(action as never, 't-1', { task_id: 't-1' } as never), (e: unknown) => e instanceof InvalidEventError && /unknown action/.test(e.message), action);
    }
    assert.equal(sent, 0);
  });
});
