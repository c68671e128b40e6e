import { StateError } from '../errors/base.js';
import type { KafkaConfig } from '../config/types.js';
import type { EventBus } from './event-bus.js';
import { Manager, type ManagerOptions } from './manager.js';

let current: Manager | undefined;
let pending: Promise<Manager> | undefined;

/**
 * Builds and initializes the process-wide Manager. Concurrent calls share one initialization. A
 * failed initialization leaves no global behind (its connections are closed) and may be retried.
 */
export function initGlobalManager(config: KafkaConfig, options: ManagerOptions = {}): Promise<Manager> {
  if (current !== undefined) return Promise.resolve(current);
  if (pending !== undefined) return pending;
  const p = (async () => {
    const m = new Manager(config, options);
    try {
      await m.initialize();
    } catch (e) {
      await m.close().catch(() => undefined);
      throw e;
    }
    return m;
  })();
  pending = p;
  p.then(
    (m) => {
      current = m;
      pending = undefined;
    },
    () => {
      pending = undefined;
    },
  );
  return p;
}

/** `{ optional: true }`: answer `undefined` instead of throwing when there is no global Manager. */
export interface GlobalLookupOptions {
  readonly optional?: boolean;
}

/**
 * The global Manager. Throws a StateError when initGlobalManager() has not completed (not called,
 * still initializing, failed, or closed). With `{ optional: true }` it returns `undefined` then,
 * as Go's `GetGlobalManager()` returns nil (e.g. for a health endpoint that reports "not
 * initialized" instead of failing).
 */
export function getGlobalManager(): Manager;
export function getGlobalManager(options: GlobalLookupOptions): Manager | undefined;
export function getGlobalManager(options?: GlobalLookupOptions): Manager | undefined {
  if (current !== undefined) return current;
  if (options?.optional === true) return undefined;
  throw new StateError('global Manager', 'getGlobalManager', pending ? 'initializing' : 'not initialized', ['initialized by initGlobalManager()']);
}

/** The global Manager's EventBus; like getGlobalManager(), `{ optional: true }` returns `undefined` (Go: nil) instead of throwing. */
export function getGlobalEventBus(): EventBus;
export function getGlobalEventBus(options: GlobalLookupOptions): EventBus | undefined;
export function getGlobalEventBus(options?: GlobalLookupOptions): EventBus | undefined {
  return (options === undefined ? getGlobalManager() : getGlobalManager(options))?.eventBus;
}

/** Closes the global Manager (if any) and forgets it. */
export async function closeGlobalManager(): Promise<void> {
  if (pending !== undefined) await pending.catch(() => undefined);
  const m = current;
  current = undefined;
  if (m !== undefined) await m.close();
}
