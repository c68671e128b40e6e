export { ProducerEngine } from './engine.js';
export { Outbound, InflightList } from './outbound.js';
export { DEFAULT_MAX_IN_FLIGHT, type EngineOptions } from './options.js';
export type { DeliveryResult, EngineState } from './types.js';
