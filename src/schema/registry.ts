/**
 * The one Schema Registry client of the library, used by the serdes (schema by id, id of a schema
 * under a subject, latest version, auto-registration) and by schema registration (compatibility
 * levels and checks, versions, lookups, registration, subjects). It speaks the Confluent-compatible
 * REST API through {@link RegistryHttp}: every failure is a classified RegistryError, retriable
 * failures are retried a bounded number of times with the library's backoff, and no message shows
 * a credential.
 */
import { RegistryError, UnknownSchemaError } from './errors.js';
import { RegistryHttp, type RegistryOptions, type RegistryRequest } from './registry-http.js';
import { COMPATIBILITY_LEVELS, type CompatibilityAnswer, type CompatibilityLevel, type RegisteredSchema, type SubjectVersion } from './types.js';

export { parseRegistryUrl } from './registry-http.js';
export type { RegistryOptions, RegistryTlsOptions } from './registry-http.js';
export { classifyAnswer } from './registry-classify.js';
export type { FailedAnswer, AnswerClass } from './registry-classify.js';

/**
 * Schema Registry access. The serde lookups ({@link schemaById}, {@link idFor}) are cached (by id,
 * and by subject + schema text), so after warm-up no message costs a registry round trip;
 * concurrent first lookups of the same key share one request, and a failed one is not cached.
 * The registration calls are never cached: a registration run must see what it just wrote.
 */
export class SchemaRegistry {
  /** The base URL, without credentials: safe to print. */
  readonly url: string;
  readonly #http: RegistryHttp;
  readonly #byId = new Map<number, Promise<string>>();
  readonly #ids = new Map<string, Promise<number>>();

  constructor(options: RegistryOptions) {
    this.#http = new RegistryHttp(options);
    this.url = this.#http.url;
  }

  /**
   * The schema text registered under `id` (cached).
   * @throws UnknownSchemaError when the registry itself says the id does not exist (permanent);
   *   RegistryError otherwise (retriable for network failures, 5xx and a 404 from something else).
   */
  schemaById(id: number): Promise<string> {
    let p = this.#byId.get(id);
    if (p === undefined) {
      p = this.#send({ method: 'GET', path: `/schemas/ids/${id}`, what: `fetch schema id ${id}` }).then(
        (answer) => str(this.#object(answer, `fetch schema id ${id}`), 'schema', this.#unexpected(`fetch schema id ${id}`)),
        (err: unknown) => {
          if (err instanceof RegistryError && err.registryNotFound) throw new UnknownSchemaError(id, this.url, err);
          throw err;
        },
      );
      p.catch(() => this.#byId.delete(id));
      this.#byId.set(id, p);
    }
    return p;
  }

  /**
   * The id of `schema` (Avro, JSON text) under `subject` (cached): looked up, or registered when
   * `autoRegister` is set.
   * @throws RegistryError (not retriable) telling how to register it when the registry says the
   *   schema or subject is not there; other RegistryErrors as classified.
   */
  idFor(subject: string, schema: string, autoRegister: boolean): Promise<number> {
    const key = `${subject}\u0000${schema}`;
    let p = this.#ids.get(key);
    if (p === undefined) {
      p = autoRegister ? this.register(subject, schema) : this.#lookupId(subject, schema);
      p.catch(() => this.#ids.delete(key));
      this.#ids.set(key, p);
    }
    return p;
  }

  async #lookupId(subject: string, schema: string): Promise<number> {
    try {
      const found = await this.#lookupRaw(subject, schema);
      return found.id;
    } catch (err) {
      if (!(err instanceof RegistryError && err.registryNotFound)) throw err;
      throw new RegistryError(
        'GCK_SCHEMA_REGISTRY',
        `schema is not registered under subject "${subject}" in ${this.url}; register it first (gocoffee-kafka schemas register) or enable auto-registration`,
        { status: err.status, errorCode: err.errorCode, cause: err, context: { subject } },
      );
    }
  }

  /** The latest version of `subject` (GET /subjects/{subject}/versions/latest); undefined when the subject does not exist. */
  async latest(subject: string): Promise<SubjectVersion | undefined> {
    try {
      return await this.#version(subject, 'latest');
    } catch (err) {
      if (err instanceof RegistryError && err.registryNotFound) return undefined;
      throw err;
    }
  }

  /** Every subject (GET /subjects). */
  async subjects(): Promise<string[]> {
    const what = 'list the subjects';
    const answer = await this.#send({ method: 'GET', path: '/subjects', what });
    if (!Array.isArray(answer) || !answer.every((s) => typeof s === 'string')) throw this.#unexpected(what)('a list of subject names');
    return answer as string[];
  }

  /** GET /config: checks that the URL is a reachable registry API and the credentials work; the global level. */
  async globalCompatibility(): Promise<CompatibilityLevel | undefined> {
    const what = 'read its global configuration (GET /config)';
    return asLevel(this.#object(await this.#send({ method: 'GET', path: '/config', what }), what)['compatibilityLevel']);
  }

  /** The subject's compatibility level; undefined when the registry has none for it (or no such subject). */
  async subjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    const what = `read the compatibility level of "${subject}"`;
    try {
      return asLevel(this.#object(await this.#send({ method: 'GET', path: `/config/${enc(subject)}`, what, subject }), what)['compatibilityLevel']);
    } catch (err) {
      if (err instanceof RegistryError && err.registryNotFound) return undefined;
      throw err;
    }
  }

  /** Sets the subject's compatibility level (PUT /config/{subject}). */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.#send({ method: 'PUT', path: `/config/${enc(subject)}`, body: { compatibility: level }, what: `set the compatibility level of "${subject}" to ${level}`, subject });
  }

  /** The subject's version numbers; empty when the subject does not exist. */
  async versions(subject: string): Promise<number[]> {
    const what = `list the versions of "${subject}"`;
    try {
      const answer = await this.#send({ method: 'GET', path: `/subjects/${enc(subject)}/versions`, what, subject });
      if (!Array.isArray(answer) || !answer.every((v) => typeof v === 'number')) throw this.#unexpected(what)('a list of version numbers');
      return answer as number[];
    } catch (err) {
      if (err instanceof RegistryError && err.registryNotFound) return [];
      throw err;
    }
  }

  /** The schema text of one version of the subject. */
  async schemaAt(subject: string, version: number): Promise<string> {
    return (await this.#version(subject, version)).schema;
  }

  /** The id (and version) of exactly this schema under the subject (POST /subjects/{subject}); undefined when absent. */
  async lookup(subject: string, schema: string): Promise<RegisteredSchema | undefined> {
    try {
      return await this.#lookupRaw(subject, schema);
    } catch (err) {
      if (err instanceof RegistryError && err.registryNotFound) return undefined;
      throw err;
    }
  }

  /**
   * POST /compatibility/subjects/{subject}/versions/latest?verbose=true (all versions for the
   * transitive levels: /versions). Only meaningful when the subject has versions.
   */
  async checkCompatibility(subject: string, schema: string, transitive: boolean): Promise<CompatibilityAnswer> {
    const what = `check the compatibility of a schema with "${subject}"`;
    const target = transitive ? 'versions' : 'versions/latest';
    const answer = this.#object(
      await this.#send({ method: 'POST', path: `/compatibility/subjects/${enc(subject)}/${target}?verbose=true`, body: avroInfo(schema), what, subject }),
      what,
    );
    if (typeof answer['is_compatible'] !== 'boolean') throw this.#unexpected(what)('an is_compatible field');
    const messages = Array.isArray(answer['messages']) ? answer['messages'].filter((m): m is string => typeof m === 'string') : [];
    return { compatible: answer['is_compatible'], messages };
  }

  /** Registers the schema under the subject (never cached); the schema id. A 409 is a RegistryError with status 409. */
  async register(subject: string, schema: string): Promise<number> {
    const what = `register a schema under "${subject}"`;
    const answer = await this.#send({ method: 'POST', path: `/subjects/${enc(subject)}/versions?normalize=false`, body: avroInfo(schema), what, subject });
    return num(this.#object(answer, what), 'id', this.#unexpected(what));
  }

  /** Stops requests in flight and frees the sockets. Idempotent. */
  close(): void {
    this.#http.close();
  }

  async #lookupRaw(subject: string, schema: string): Promise<RegisteredSchema> {
    const what = `look up a schema under "${subject}"`;
    const answer = this.#object(await this.#send({ method: 'POST', path: `/subjects/${enc(subject)}?normalize=false`, body: avroInfo(schema), what, subject }), what);
    const version = answer['version'];
    return { id: num(answer, 'id', this.#unexpected(what)), version: typeof version === 'number' ? version : undefined };
  }

  async #version(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    const what = `read version ${version} of "${subject}"`;
    const answer = this.#object(await this.#send({ method: 'GET', path: `/subjects/${enc(subject)}/versions/${version}`, what, subject }), what);
    const bad = this.#unexpected(what);
    const v = answer['version'];
    return { subject, id: num(answer, 'id', bad), version: typeof v === 'number' ? v : undefined, schema: str(answer, 'schema', bad) };
  }

  #send(req: RegistryRequest): Promise<unknown> {
    return this.#http.send(req);
  }

  #object(answer: unknown, what: string): Record<string, unknown> {
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) throw this.#unexpected(what)('a JSON object');
    return answer as Record<string, unknown>;
  }

  /** A factory of "unexpected answer" errors for `what`: permanent (the same request gets the same answer). */
  #unexpected(what: string): (expected: string) => RegistryError {
    return (expected) => new RegistryError('GCK_SCHEMA_REGISTRY', `${this.url}: could not ${what}: unexpected answer (expected ${expected})`);
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function avroInfo(schema: string): { schemaType: 'AVRO'; schema: string } {
  return { schemaType: 'AVRO', schema };
}

function num(o: Record<string, unknown>, key: string, bad: (expected: string) => RegistryError): number {
  const v = o[key];
  if (typeof v !== 'number') throw bad(`a numeric "${key}"`);
  return v;
}

function str(o: Record<string, unknown>, key: string, bad: (expected: string) => RegistryError): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(`a "${key}" string`);
  return v;
}

function asLevel(value: unknown): CompatibilityLevel | undefined {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value.toUpperCase()) ? (value.toUpperCase() as CompatibilityLevel) : undefined;
}
