export { loadNativeBinding, bindingFromModule } from './binding.js';
export type { RdkafkaModule } from './binding.js';
export { REQUIRED_FEATURES, OPTIONAL_FEATURES, assertConfigFeatures, featuresNeeded } from './features.js';
export { connectClient, disconnectClient, flushProducer, createAdminClient } from './lifecycle.js';
export type * from './types.js';
