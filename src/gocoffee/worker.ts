import { typedWorker, type TypedWorkerModule, type TypedWorkerOptions } from '../typed/worker.js';
import { goCoffeeEvents } from './catalog.js';
import type { EventTypes } from './generated.js';

/**
 * A worker module for the Go Coffee events: typedWorker (src/typed/worker.ts) over the package's
 * catalog, so a pool worker gets typed events (Avro, or the Go services' JSON):
 *
 * ```ts
 * // beverage-worker.ts, registered as { topics: [topicName(config, 'beverageCreated')], groupId, workerModule }
 * export default goCoffeeWorker({
 *   registry: { url: process.env.GOCOFFEE_SCHEMA_REGISTRY_URL! },
 *   handlers: { BeverageCreated: async (beverage, ctx) => { ... } },
 * });
 * ```
 */
export function goCoffeeWorker(options: TypedWorkerOptions<EventTypes>): TypedWorkerModule {
  return typedWorker(goCoffeeEvents(), options);
}
