/**
 * Registration of a catalog's schemas: every event's value schema versions under the subjects of
 * the catalog's topics (registerSchemaSet: version order, compatibility level set and checked,
 * idempotent), then each Avro key schema under `<topic>-key` (looked up, registered when missing).
 */
import type { KafkaConfig } from '../config/types.js';
import { InvalidArgumentError } from '../errors/base.js';
import { registerSchemaSet, type RegisterSchemaSetOptions } from '../schema/registration/register.js';
import type { RegistrationResult } from '../schema/registration/types.js';
import { SchemaRegistry } from '../schema/registry.js';
import type { EventCatalog, TopicsConfig } from './catalog.js';

/** Where topics and (unless given) the registry URL and credentials come from (a loaded KafkaConfig fits). */
export type RegistrationConfig = TopicsConfig & Partial<Pick<KafkaConfig, 'schemaRegistryUrl' | 'schemaRegistryUsername' | 'schemaRegistryPassword'>>;

/** registerSchemaSet's options, with the events and the schemas folder taken from the catalog. */
export interface RegisterEventSchemasOptions extends Omit<RegisterSchemaSetOptions, 'registryUrl' | 'events' | 'schemasDir'> {
  /** Topics for events given by topicKey, their suffix and (unless given below) the registry URL and credentials. */
  readonly config?: RegistrationConfig | undefined;
  /** Overrides `config.schemaRegistryUrl`; one of the two is required. */
  readonly registryUrl?: string | undefined;
}

/**
 * Registers (or, with `dryRun`, checks) the schemas of every event of `catalog`, in catalog order.
 * Results: one per value schema version (see registerSchemaSet), then one per Avro key schema
 * (`event`: the event, `subject`: `<topic>-key`, `version` 1, status `exists` / `registered` /
 * `would-register`).
 * @throws InvalidArgumentError when no registry URL is given; otherwise what registerSchemaSet throws.
 */
export async function registerEventSchemas(catalog: EventCatalog<unknown, unknown>, options: RegisterEventSchemasOptions = {}): Promise<RegistrationResult[]> {
  const { config, registryUrl, ...rest } = options;
  const url = registryUrl ?? config?.schemaRegistryUrl;
  if (url === undefined || url === '') {
    throw new InvalidArgumentError('registryUrl', 'no Schema Registry URL: pass registryUrl or a config with schemaRegistryUrl (GOCOFFEE_SCHEMA_REGISTRY_URL)');
  }
  const username = options.username ?? config?.schemaRegistryUsername;
  const password = options.password ?? config?.schemaRegistryPassword;
  const results = await registerSchemaSet({
    ...rest,
    registryUrl: url,
    username,
    password,
    schemasDir: catalog.schemasDir,
    events: catalog.names.map((name) => ({ name, topic: catalog.topicOf(name, config) })),
  });
  const keyed = catalog.names.map((n) => catalog.event(n)).filter((e) => e.avroKey !== undefined);
  if (keyed.length === 0) return results;
  const registry = new SchemaRegistry({ url, username, password, timeoutMs: options.timeoutMs, retries: options.retries, tls: options.tls });
  try {
    const level = options.compatibility ?? 'BACKWARD';
    for (const e of keyed) {
      const subject = `${catalog.topicOf(e.name, config)}-key`;
      const text = e.avroKey!.text;
      const found = await registry.lookup(subject, text);
      let status: RegistrationResult['status'] = 'exists';
      let id = found?.id;
      if (found === undefined) {
        if (options.dryRun === true) status = 'would-register';
        else {
          id = await registry.register(subject, text);
          status = 'registered';
        }
      }
      const r: RegistrationResult = {
        event: e.name, subject, version: 1, file: `(key schema of ${e.name})`, status, id, registryVersion: found?.version,
        compatibility: level, compatibilityAction: 'unchanged', previousCompatibility: undefined, reasons: [], reasonSource: undefined,
      };
      results.push(r);
      options.onResult?.(r);
    }
    return results;
  } finally {
    registry.close();
  }
}
