import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/config/index.js';
import { EVENTS, InvalidEventError, Manager, requiredOnPublish, zeroFilledFields, type EventName, type PublishInput, type RequiredOnPublish } from '../../../src/gocoffee/index.js';
import { withZeroValues } from '../../../src/gocoffee/zero.js';
import { FakeBinding } from '../../helpers/fake-binding.js';

/** The type-level list (RequiredOnPublish) spelled out: a name that is not one of its fields fails the typecheck. */
const REQUIRED: { readonly [N in EventName]: ReadonlyArray<RequiredOnPublish[N]> } = {
  BeverageCreated: ['beverage_id', 'created_at'],
  BeverageUpdated: ['beverage_id', 'updated_at'],
  TaskCreated: ['task_id', 'created_at'],
  TaskUpdated: ['task_id', 'updated_at'],
  NotificationSent: ['notification_id', 'sent_at'],
  AIRequestCompleted: ['request_id', 'completed_at'],
  SystemEvent: ['event_id', 'occurred_at'],
};

describe("gocoffee: Go's zero values at publish time (issue 16 item 3)", () => {
  it('per event, exactly the entity id and the timestamp stay required, as PublishInput says; every other field without a schema default is zero-filled', () => {
    for (const e of EVENTS) {
      assert.deepEqual([...requiredOnPublish(e.name)].sort(), [...REQUIRED[e.name]].sort(), e.name);
      assert.ok(requiredOnPublish(e.name).includes(e.keyField), `${e.name}: the key field ${e.keyField} is never zero-filled`);
    }
    assert.deepEqual(zeroFilledFields('BeverageCreated'), ['name', 'description', 'theme', 'ingredients', 'created_by']);
    assert.deepEqual(zeroFilledFields('AIRequestCompleted'), ['provider', 'model', 'operation', 'tokens_used', 'duration_ms', 'success']);
  });

  it("fills Go's zero values (strings '', numbers 0, booleans false, arrays []) into a copy; the caller's object is not changed", () => {
    const at = new Date('2024-01-01T12:00:00Z');
    const input = { beverage_id: 'b-1', name: 'Cosmic Coffee', theme: 'Mars Base', created_by: 'agent', created_at: at };
    const out = withZeroValues('BeverageCreated', input) as Record<string, unknown>;
    assert.notEqual(out, input);
    assert.deepEqual(out, { ...input, description: '', ingredients: [] });
    assert.deepEqual(Object.keys(input), ['beverage_id', 'name', 'theme', 'created_by', 'created_at'], 'input unchanged');
    const again = withZeroValues('BeverageCreated', input) as Record<string, unknown>;
    assert.notEqual(again['ingredients'], out['ingredients'], 'a new empty array per event (never a shared one)');
    const ai = withZeroValues('AIRequestCompleted', { request_id: 'r-1', completed_at: at }) as Record<string, unknown>;
    assert.deepEqual(ai, { request_id: 'r-1', completed_at: at, provider: '', model: '', operation: '', tokens_used: 0, duration_ms: 0, success: false });
  });

  it('an event that leaves nothing out is passed on as it is (no copy); explicit null and non-objects are left to the schema / publisher', () => {
    const full = { beverage_id: 'b', name: 'n', description: 'd', theme: 't', ingredients: [], created_by: 'c', created_at: new Date(0) };
    assert.equal(withZeroValues('BeverageCreated', full), full);
    const withNull = withZeroValues('BeverageCreated', { ...full, description: null }) as Record<string, unknown>;
    assert.equal(withNull['description'], null, 'null is a value the caller chose, not a missing one');
    for (const v of [null, 'x', [1]] as unknown[]) assert.equal(withZeroValues('BeverageCreated', v as object), v);
  });

  it('PublishInput: only the entity id and the timestamp are required by the types', () => {
    const e: PublishInput<'BeverageCreated'> = { beverage_id: 'b', created_at: new Date() };
    const t: PublishInput<'TaskCreated'> = { task_id: 't', created_at: new Date(), title: 'x' };
    // @ts-expect-error the entity id is required
    const noId: PublishInput<'NotificationSent'> = { sent_at: new Date() };
    // @ts-expect-error the timestamp is required
    const noTime: PublishInput<'SystemEvent'> = { event_id: 'e' };
    assert.ok(e && t && noId && noTime);
  });

  it('Manager.publishBeverageCreated without its entity id rejects with InvalidEventError naming the field; nothing is sent', async () => {
    const binding = new FakeBinding();
    const m = new Manager(resolveConfig({ brokers: 'fake:9092', schemaRegistryUrl: 'http://registry.invalid:8081' }), { connection: { binding, closeTimeoutMs: 50 } });
    await m.initialize();
    try {
      await assert.rejects(
        m.publishBeverageCreated({ name: 'Cosmic Coffee', created_at: new Date() } as never),
        (e: unknown) => e instanceof InvalidEventError && /^BeverageCreated\.beverage_id: expected the beverage id/.test(e.message),
      );
      await assert.rejects(
        m.eventBus.publishNotificationEvent({ sent_at: new Date() } as never),
        (e: unknown) => e instanceof InvalidEventError && /notification_id/.test(e.message),
      );
      assert.equal(binding.producers[0]!.produced.length, 0);
    } finally {
      await m.close();
    }
  });
});
