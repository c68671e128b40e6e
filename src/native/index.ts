export { loadNativeBinding, bindingFromModule } from './binding.js';
export type { RdkafkaModule } from './binding.js';
export { REQUIRED_FEATURES, assertFeatures } from './features.js';
export { connectClient, disconnectClient, flushProducer } from './lifecycle.js';
export type * from './types.js';
