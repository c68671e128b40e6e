import { createRequire } from 'node:module';
import type { Client, ClientConfig } from '@confluentinc/schemaregistry';
import { RegistryError, UnknownSchemaError } from './errors.js';

export interface RegistryOptions {
  /** Base URL of the Confluent-compatible API (Apicurio: http://host:8080/apis/ccompat/v7). */
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /**
   * A registry that accepts the connection and never answers fails the lookup with a
   * RegistryError after this long (the client's time budget, retries included) instead of leaving
   * a publish or a decode pending forever. Default 10 s (the Manager passes `read_timeout`).
   */
  readonly timeoutMs?: number | undefined;
}

// The narrow entry point: the package root also loads every cloud KMS SDK (~600 ms at start-up).
const require = createRequire(import.meta.url);
let clientClass: (new (config: ClientConfig) => Client) | undefined;
function loadClient(): new (config: ClientConfig) => Client {
  clientClass ??= (require('@confluentinc/schemaregistry/dist/schemaregistry-client.js') as { SchemaRegistryClient: new (c: ClientConfig) => Client }).SchemaRegistryClient;
  return clientClass;
}

interface RestErrorLike {
  status?: number;
  errorCode?: number;
  message?: string;
}

/**
 * Schema Registry access through @confluentinc/schemaregistry's client. Every lookup is cached
 * here as well (by id, and by subject + schema text), so after warm-up no message costs a
 * registry round trip; concurrent first lookups of the same key share one request.
 */
export class SchemaRegistry {
  readonly url: string;
  readonly #client: Client;
  readonly #byId = new Map<number, Promise<string>>();
  readonly #ids = new Map<string, Promise<number>>();

  constructor(opts: RegistryOptions) {
    // Credentials inside the URL move to basic auth; the URL kept (and put in errors) has none.
    const parsed = new URL(opts.url);
    const username = opts.username ?? (parsed.username !== '' ? decodeURIComponent(parsed.username) : undefined);
    const password = opts.password ?? (parsed.password !== '' ? decodeURIComponent(parsed.password) : undefined);
    parsed.username = '';
    parsed.password = '';
    this.url = parsed.toString().replace(/\/+$/, '');
    const Client = loadClient();
    const config: ClientConfig = {
      baseURLs: [this.url],
      maxRetries: 2,
      retriesWaitMs: 200,
      retriesMaxWaitMs: 2000,
      createAxiosDefaults: { timeout: opts.timeoutMs ?? 10_000 },
    };
    if (username !== undefined) {
      config.basicAuthCredentials = { credentialsSource: 'USER_INFO', userInfo: `${username}:${password ?? ''}` };
    }
    this.#client = new Client(config);
  }

  get client(): Client {
    return this.#client;
  }

  /** The schema text registered under `id`. */
  schemaById(id: number): Promise<string> {
    let p = this.#byId.get(id);
    if (p === undefined) {
      p = this.#client.getBySubjectAndId('', id).then(
        (info) => info.schema,
        (err: unknown) => {
          this.#byId.delete(id);
          const e = err as RestErrorLike;
          if (e.status === 404) throw new UnknownSchemaError(id, err);
          throw this.#wrap(err, `fetch schema id ${id}`);
        },
      );
      this.#byId.set(id, p);
    }
    return p;
  }

  /**
   * The id of `schema` under `subject`: looked up, or registered when `autoRegister` is set. A
   * schema that is not registered is an error telling how to register it.
   */
  idFor(subject: string, schema: string, autoRegister: boolean): Promise<number> {
    const key = `${subject}\u0000${schema}`;
    let p = this.#ids.get(key);
    if (p === undefined) {
      const info = { schemaType: 'AVRO', schema };
      p = (autoRegister ? this.#client.register(subject, info, false) : this.#client.getId(subject, info, false)).catch((err: unknown) => {
        this.#ids.delete(key);
        const e = err as RestErrorLike;
        if (!autoRegister && e.status === 404) {
          throw new RegistryError(
            `schema is not registered under subject "${subject}" in ${this.url}; register it first (gocoffee-kafka schemas register) or enable auto-registration`,
            { subject },
            err,
          );
        }
        throw this.#wrap(err, `${autoRegister ? 'register' : 'look up'} schema under subject "${subject}"`);
      });
      this.#ids.set(key, p);
    }
    return p;
  }

  #wrap(err: unknown, what: string): RegistryError {
    const e = err as RestErrorLike;
    const status = e.status !== undefined ? ` (HTTP ${e.status}${e.errorCode !== undefined ? `, error code ${e.errorCode}` : ''})` : '';
    // The client's messages can echo the URL; never include credentials (they are not in the URL).
    return new RegistryError(`schema registry ${this.url}: could not ${what}${status}: ${e.message ?? String(err)}`, { status: e.status }, err);
  }

  close(): void {
    this.#client.close();
  }
}
