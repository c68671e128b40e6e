/**
 * The Go Coffee events on the generic core: EventSerde is the generic SchemaSerde
 * (src/typed/serde.ts) with the package's schemas/ as default and the Go services' JSON events
 * read and written their way (GO_STRUCTS in catalog.ts: the seed's structs); registerSchemas registers the
 * catalog's events (src/gocoffee/catalog.ts) under the configured topics' subjects.
 */
import { resolve } from 'node:path';
import type { TopicNames } from '../config/types.js';
import { InvalidArgumentError } from '../errors/base.js';
import { registerSchemaSet } from '../schema/registration/register.js';
import type { RegistrationResult } from '../schema/registration/types.js';
import { decodeJsonEvent } from '../schema/json.js';
import type { SchemaRegistry } from '../schema/registry.js';
import { loadSchemaSet, packageSchemasDir, schemaMap, type SchemaVersion } from '../schema/schemas.js';
import type { SubjectStrategy } from '../schema/subjects.js';
import { SchemaSerde, type EventTypeResolver } from '../typed/serde.js';
import type { RegisterEventSchemasOptions, RegistrationConfig } from '../typed/register.js';
import { EVENTS, goCoffeeEvents, goJsonWriter } from './catalog.js';

export type { DecodedEvent, SerializedMessageView, EventTypeResolver } from '../typed/serde.js';
// The Go services' JSON layouts live with the catalog (goCoffeeEvents() writes with them too).
export { GO_STRUCTS, goJsonLayout, goJsonWriter } from './catalog.js';
export type { RegistrationConfig } from '../typed/register.js';

/** registerSchemas' options: registerSchemaSet's, with the registry and the topics taken from a configuration. */
export interface RegisterSchemasOptions extends RegisterEventSchemasOptions {
  /** Default: the package's schemas/ folder (another folder must hold the same seven events). */
  readonly schemasDir?: string | undefined;
}

const DEFAULT_TOPICS: Readonly<TopicNames> = Object.freeze({
  beverageCreated: 'beverage.created',
  beverageUpdated: 'beverage.updated',
  taskCreated: 'task.created',
  taskUpdated: 'task.updated',
  notificationSent: 'notification.sent',
  aiRequestCompleted: 'ai.request.completed',
  systemEvent: 'system.event',
});

/**
 * Registers (or, with `dryRun`, checks) the schema of every catalog event, in catalog order, under
 * the subject of its configured topic: what `gocoffee-kafka schemas register` and the Manager's
 * `registerSchemas` option run. See registerSchemaSet (src/schema/registration/register.ts) for
 * the steps, results and errors; InvalidArgumentError when no registry URL is given.
 */
export async function registerSchemas(options: RegisterSchemasOptions = {}): Promise<RegistrationResult[]> {
  const { schemasDir, config, ...rest } = options;
  const topics: RegistrationConfig = config ?? { topics: DEFAULT_TOPICS, topicSuffix: '' };
  const catalog = goCoffeeEvents();
  if (schemasDir === undefined || resolve(schemasDir) === catalog.schemasDir) return catalog.registerSchemas({ ...rest, config: topics });
  // Another folder holding the same seven events (e.g. a copy under test): its files, the catalog's topics.
  const url = rest.registryUrl ?? topics.schemaRegistryUrl;
  if (url === undefined || url === '') {
    throw new InvalidArgumentError('registryUrl', 'no Schema Registry URL: pass registryUrl or a config with schemaRegistryUrl (GOCOFFEE_SCHEMA_REGISTRY_URL)');
  }
  return registerSchemaSet({
    ...rest,
    registryUrl: url,
    username: rest.username ?? topics.schemaRegistryUsername,
    password: rest.password ?? topics.schemaRegistryPassword,
    schemasDir,
    events: EVENTS.map((e) => ({ name: e.name, topic: catalog.topicOf(e.name, topics) })),
  });
}

/** The catalog's events from the package's schemas/ folder (checked strictly, every event present). */
export function packageEventSchemas(): Map<string, SchemaVersion[]> {
  return schemaMap(loadSchemaSet(packageSchemasDir(), { events: EVENTS.map((e) => e.name) }));
}

/** What an EventSerde needs. */
export interface EventSerdeOptions {
  /** Needed for Avro (reading and writing); without one, JSON only (an Avro message is a DecodeError). */
  readonly registry?: SchemaRegistry | undefined;
  /** Schema versions by event name. Default: the package's schemas/ folder ({@link packageEventSchemas}). */
  readonly schemas?: Map<string, SchemaVersion[]>;
  /** Default 'topic' (TopicNameStrategy, `<topic>-value`). */
  readonly strategy?: SubjectStrategy;
  /** Register schemas on first use instead of looking them up. Default false. */
  readonly autoRegister?: boolean;
  /** Write with this version of an event's schema instead of the latest (e.g. during a rollout). */
  readonly writerVersions?: Readonly<Record<string, number>>;
}

/**
 * The Go Coffee events' serde: Avro in Confluent wire format with registry-managed schema ids (see
 * SchemaSerde), and the Go services' JSON events (`content_type: application/json`, RFC 3339
 * times, Go durations) read into the same shapes and written exactly as Go writes them
 * (GO_STRUCTS; `serialization: json`). `eventType` maps the Go services' `event_type`
 * header values to event names (the Manager passes the catalog's).
 */
export class EventSerde extends SchemaSerde {
  constructor(opts: EventSerdeOptions, eventType?: EventTypeResolver) {
    super({
      registry: opts.registry,
      schemas: opts.schemas ?? goCoffeeEvents().schemas, // the catalog's, read once per process
      strategy: opts.strategy,
      autoRegister: opts.autoRegister,
      writerVersions: opts.writerVersions,
      eventType,
      jsonReader: decodeJsonEvent,
      jsonWriter: goJsonWriter,
    });
  }
}
