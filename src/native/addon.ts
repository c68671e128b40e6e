import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Loads the project's own batch engine (src/native/addon, built by `npm ci` / `npm install` through
 * binding.gyp into build/Release/gocoffee_native.node). node-rdkafka is loaded first: the addon links
 * the same librdkafka.so.1 (one librdkafka of one version per process), and with it already mapped
 * the dynamic loader reuses it whatever the addon's rpath says.
 *
 * GOCOFFEE_NATIVE_ADDON selects another build of the addon (npm run test:asan points it at the
 * AddressSanitizer build).
 */
export interface AddonModule {
  readonly librdkafkaVersion: string;
  readonly Producer: new (config: Record<string, string>, onReports: (...args: never[]) => void) => unknown;
  readonly Consumer: new (config: Record<string, string>, onBatch: (...args: never[]) => void) => unknown;
}

let cached: AddonModule | undefined;

/** The addon's path: build/Release beside package.json (src/native/ and dist/native/ are both two levels down). */
export function addonPath(): string {
  return process.env.GOCOFFEE_NATIVE_ADDON ?? fileURLToPath(new URL('../../build/Release/gocoffee_native.node', import.meta.url));
}

export function loadAddon(): AddonModule {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    require('node-rdkafka');
    cached = require(addonPath()) as AddonModule;
  }
  return cached;
}
