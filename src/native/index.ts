export { loadNativeBinding, bindingFromModule } from './binding.js';
export type { RdkafkaModule } from './binding.js';
export { REQUIRED_FEATURES, OPTIONAL_FEATURES, assertConfigFeatures, featuresNeeded } from './features.js';
export { connectClient, disconnectClient, flushProducer } from './lifecycle.js';
export type * from './types.js';
export { createNativeAdminClient } from './admin.js';
export { OFFSET_SPEC } from './admin-types.js';
export type * from './admin-types.js';
