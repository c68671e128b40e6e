import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNativeBinding } from '../../src/native/index.js';

const require = createRequire(import.meta.url);
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Versions {
  readonly node: string;
  readonly v8: string;
  readonly librdkafka: string;
  readonly 'node-rdkafka': string;
  readonly gocoffee: string;
  readonly kafka: string;
  readonly registry: string;
  /** Versions of peer clients, filled in by the scenarios that load them. */
  readonly peers: Record<string, string>;
}

/**
 * The installed version of a package, read from its package.json on disk: the package directory is
 * looked up along Node's module search paths, not through `require('<name>/package.json')`, which
 * fails for packages whose `exports` map does not list their package.json (@platformatic/kafka).
 */
function packageVersion(name: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    const file = path.join(dir, name, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version.replace(/^v/, '');
    } catch {
      /* unreadable: keep looking */
    }
  }
  return 'not installed';
}

/**
 * Kafka and registry versions come from the stack scripts: GOCOFFEE_STACK_VERSIONS (JSON, set by
 * scripts/with-stack.mjs) or .stack/versions.json; with an external cluster set
 * GOCOFFEE_KAFKA_VERSION / GOCOFFEE_REGISTRY_VERSION to have them recorded.
 */
function stackVersions(): { kafka?: string; registry?: string } {
  const fromEnv = process.env.GOCOFFEE_STACK_VERSIONS;
  if (fromEnv) {
    try {
      return JSON.parse(fromEnv) as { kafka?: string; registry?: string };
    } catch {
      /* fall through */
    }
  }
  const file = path.join(REPO_ROOT, '.stack', 'versions.json');
  if (!process.env.GOCOFFEE_KAFKA_VERSION && existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as { kafka?: string; registry?: string };
    } catch {
      /* unknown */
    }
  }
  return {};
}

export function collectVersions(): Versions {
  const stack = stackVersions();
  const gocoffee = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    node: process.version,
    v8: process.versions.v8,
    librdkafka: loadNativeBinding().librdkafkaVersion,
    'node-rdkafka': packageVersion('node-rdkafka'),
    gocoffee,
    kafka: process.env.GOCOFFEE_KAFKA_VERSION ?? stack.kafka ?? 'unknown',
    registry: process.env.GOCOFFEE_REGISTRY_VERSION ?? stack.registry ?? 'unknown',
    peers: {},
  };
}

export { packageVersion };
