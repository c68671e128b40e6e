import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, ContextManager } from '@opentelemetry/api';
import { otelApi } from './peers.js';

/**
 * A minimal AsyncLocalStorage context manager. Worker threads start without one, and without a
 * context manager `context.with()` does nothing; the worker entry installs this one (unless the
 * handler module already registered an SDK) so that inside a handler the active context is the
 * message's.
 */
export class AlsContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#als.getStore() ?? otelApi()!.ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#als.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    return ((...a: unknown[]) => this.with(ctx, () => fn(...a))) as unknown as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#als.disable();
    return this;
  }
}

/** Installs the ALS context manager if none is registered; returns whether it did. */
export function ensureContextManager(): boolean {
  const api = otelApi();
  return api === undefined ? false : api.context.setGlobalContextManager(new AlsContextManager());
}
