export { Manager } from './manager.js';
export type { ManagerOptions } from './manager.js';
export { EventBus } from './event-bus.js';
export { initGlobalManager, getGlobalManager, getGlobalEventBus, closeGlobalManager } from './global.js';
export type { HealthStatus, Statistics, PartitionHealth } from './health.js';
