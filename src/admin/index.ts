export { TopicManager, TopicError } from './topic-manager.js';
export type { TopicSpec, EnsureResult, EnsureDefaults, TopicDescription } from './topic-manager.js';
