import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Loads the project's own batch engine (src/native/addon, built by `npm ci` / `npm install` through
 * binding.gyp into build/Release/gocoffee_producer.node and gocoffee_consumer.node). node-rdkafka is
 * loaded first: the addons link
 * the same librdkafka.so.1 (one librdkafka of one version per process), and with it already mapped
 * the dynamic loader reuses it whatever the addon's rpath says.
 *
 * GOCOFFEE_NATIVE_BUILD selects another build folder (npm run test:asan points it at the
 * AddressSanitizer build).
 */
const cache = new Map<string, unknown>();

/** An addon's path: build/Release beside package.json (src/native/ and dist/native/ are both two levels down). */
/** The project's addons (binding.gyp targets). */
export type AddonName = 'gocoffee_producer' | 'gocoffee_consumer' | 'gocoffee_admin';

export function addonPath(name: AddonName): string {
  const dir = process.env.GOCOFFEE_NATIVE_BUILD ?? fileURLToPath(new URL('../../build/Release/', import.meta.url));
  return `${dir.replace(/\/$/, '')}/${name}.node`;
}

/** Loads one of the two addons once (typed by its wrapper module: batch-producer.ts / batch-consumer.ts). */
export function loadAddon<T>(name: AddonName): T {
  let mod = cache.get(name);
  if (mod === undefined) {
    const require = createRequire(import.meta.url);
    require('node-rdkafka');
    mod = require(addonPath(name));
    cache.set(name, mod);
  }
  return mod as T;
}
