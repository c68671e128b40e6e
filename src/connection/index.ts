export { ConnectionManager } from './connection-manager.js';
export type { ConnectionManagerOptions, ConnectionState } from './connection-manager.js';
export { TopicWriter } from './writer.js';
export type { WriteOptions } from './writer.js';
