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

export function getGlobalManager(): Manager {
  if (current === undefined) throw new StateError('global Manager', 'getGlobalManager', pending ? 'initializing' : 'not initialized', ['initialized by initGlobalManager()']);
  return current;
}

export function getGlobalEventBus(): EventBus {
  return getGlobalManager().eventBus;
}

/** Closes the global Manager (if any) and forgets it. */
export async function closeGlobalManager(): Promise<void> {
  if (pending !== undefined) await pending.catch(() => undefined);
  const m = current;
  current = undefined;
  if (m !== undefined) await m.close();
}
