import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<string>();

/**
 * The correlation id of the message being handled: messages published while a handler runs (in
 * process) carry it in their `correlation_id` header unless they set one, so a chain of events
 * across services shares one id end to end.
 */
export function currentCorrelationId(): string | undefined {
  return store.getStore();
}

export function runWithCorrelationId<T>(id: string | undefined, fn: () => T): T {
  return id === undefined ? fn() : store.run(id, fn);
}
