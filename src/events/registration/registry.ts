/**
 * The registry calls registration needs, over the Confluent-compatible REST API: through
 * @confluentinc/schemaregistry's client, except the compatibility check, which is a plain
 * `fetch` because the client cannot ask for `?verbose=true` (the reasons). Every failure becomes a
 * SchemaRegistryError with a clear message; credentials never appear in messages.
 */
import { createRequire } from 'node:module';
import type { Client, ClientConfig, SchemaInfo } from '@confluentinc/schemaregistry';
import { SchemaRegistryError, type RegistryErrorCode } from './errors.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from './types.js';

// The narrow entry point: the package root also loads every cloud KMS SDK (~600 ms at start-up).
const require = createRequire(import.meta.url);
let clientClass: (new (config: ClientConfig) => Client) | undefined;
function loadClient(): new (config: ClientConfig) => Client {
  clientClass ??= (require('@confluentinc/schemaregistry/dist/schemaregistry-client.js') as { SchemaRegistryClient: new (c: ClientConfig) => Client }).SchemaRegistryClient;
  return clientClass;
}

export interface RegistryConnectionOptions {
  /** Base URL of the Confluent-compatible API (Apicurio: http://host:port/apis/ccompat/v7). Credentials in the URL are used as basic auth. */
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Per-request timeout; default 10 s. */
  readonly timeoutMs?: number | undefined;
  /** Retries of network errors and 5xx / 429 answers; default 2. */
  readonly retries?: number | undefined;
}

/** A schema already registered under a subject. */
export interface RegisteredSchema {
  readonly id: number;
  readonly version: number | undefined;
}

export interface CompatibilityAnswer {
  readonly compatible: boolean;
  /** The registry's reasons (`?verbose=true`); empty when it gave none. */
  readonly messages: readonly string[];
}

interface RestErrorLike {
  status?: unknown;
  errorCode?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  name?: unknown;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  ECONNABORTED: 'request timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'TLS/protocol error',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** Splits `http://user:pass@host/path/` into a credential-free base URL (no trailing slash) and the credentials. */
export function parseRegistryUrl(raw: string): { url: string; username: string | undefined; password: string | undefined } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    const shown = raw.includes('@') ? '(value hidden: it may hold credentials)' : JSON.stringify(raw);
    throw new SchemaRegistryError('GCK_SCHEMA_REGISTRY', `the Schema Registry URL is not a valid URL: ${shown}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new SchemaRegistryError('GCK_SCHEMA_REGISTRY', `the Schema Registry URL must be http:// or https://, got ${u.protocol}`);
  }
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/+$/, ''), username, password };
}

export class RegistryAdmin {
  /** The base URL, without credentials: safe to print. */
  readonly url: string;
  readonly #client: Client;
  readonly #authHeader: string | undefined;
  readonly #hasCredentials: boolean;
  readonly #timeoutMs: number;

  constructor(options: RegistryConnectionOptions) {
    const parsed = parseRegistryUrl(options.url);
    this.url = parsed.url;
    const username = options.username ?? parsed.username;
    const password = options.password ?? parsed.password;
    this.#hasCredentials = username !== undefined;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const retries = options.retries ?? 2;
    const config: ClientConfig = {
      baseURLs: [this.url],
      maxRetries: retries,
      retriesWaitMs: 200,
      retriesMaxWaitMs: 2000,
      // No caching of "latest": a registration run must see what it just wrote.
      cacheLatestTtlSecs: 0,
      createAxiosDefaults: { timeout: this.#timeoutMs },
    };
    if (username !== undefined) {
      const userInfo = `${username}:${password ?? ''}`;
      config.basicAuthCredentials = { credentialsSource: 'USER_INFO', userInfo };
      this.#authHeader = `Basic ${Buffer.from(userInfo).toString('base64')}`;
    }
    this.#client = new (loadClient())(config);
  }

  /** GET /config: checks that the URL is a reachable registry API and the credentials work; the global level. */
  async globalCompatibility(): Promise<CompatibilityLevel | undefined> {
    const level = await this.#call('read its global configuration (GET /config)', undefined, () => this.#client.getDefaultCompatibility());
    return asLevel(level);
  }

  /** The subject's compatibility level; undefined when the registry has none for it (or no such subject). */
  async subjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    try {
      return asLevel(await this.#call(`read the compatibility level of "${subject}"`, subject, () => this.#client.getCompatibility(subject)));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.#call(`set the compatibility level of "${subject}" to ${level}`, subject, () => this.#client.updateCompatibility(subject, level as never));
  }

  /** The subject's version numbers; empty when the subject does not exist. */
  async versions(subject: string): Promise<number[]> {
    try {
      return await this.#call(`list the versions of "${subject}"`, subject, () => this.#client.getAllVersions(subject));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  /** The schema text of one version of the subject. */
  async schemaAt(subject: string, version: number): Promise<string> {
    const md = await this.#call(`read version ${version} of "${subject}"`, subject, () => this.#client.getSchemaMetadata(subject, version, false));
    return md.schema;
  }

  /** The id (and version) of exactly this schema under the subject (POST /subjects/{subject}); undefined when absent. */
  async lookup(subject: string, schema: string): Promise<RegisteredSchema | undefined> {
    try {
      const md = await this.#call(`look up a schema under "${subject}"`, subject, () => this.#client.getIdFullResponse(subject, avroInfo(schema), false));
      if (typeof md.id !== 'number') return undefined;
      return { id: md.id, version: typeof md.version === 'number' ? md.version : undefined };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * POST /compatibility/subjects/{subject}/versions/latest?verbose=true (all versions for the
   * transitive levels: /versions). Only meaningful when the subject has versions.
   */
  async checkCompatibility(subject: string, schema: string, transitive: boolean): Promise<CompatibilityAnswer> {
    const target = transitive ? 'versions' : 'versions/latest';
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/${target}?verbose=true`;
    const what = `check the compatibility of a schema with "${subject}"`;
    const headers: Record<string, string> = { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (this.#authHeader !== undefined) headers['Authorization'] = this.#authHeader;
    let res: Response;
    try {
      res = await fetch(this.url + path, { method: 'POST', headers, body: JSON.stringify(avroInfo(schema)), signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      throw this.#networkError(what, err);
    }
    const body = (await res.json().catch(() => undefined)) as { is_compatible?: unknown; messages?: unknown; message?: unknown; error_code?: unknown } | undefined;
    if (!res.ok) {
      const message = typeof body?.message === 'string' ? body.message : res.statusText;
      throw this.#httpError(what, subject, res.status, typeof body?.error_code === 'number' ? body.error_code : undefined, message);
    }
    if (typeof body?.is_compatible !== 'boolean') {
      throw new SchemaRegistryError('GCK_SCHEMA_REGISTRY', `${this.url}: could not ${what}: unexpected answer (no is_compatible field)`, { context: { subject } });
    }
    const messages = Array.isArray(body.messages) ? body.messages.filter((m): m is string => typeof m === 'string') : [];
    return { compatible: body.is_compatible, messages };
  }

  /** Registers the schema under the subject; the schema id. A 409 is thrown as SchemaRegistryError status 409. */
  async register(subject: string, schema: string): Promise<number> {
    return this.#call(`register a schema under "${subject}"`, subject, () => this.#client.register(subject, avroInfo(schema), false));
  }

  close(): void {
    this.#client.close();
  }

  async #call<T>(what: string, subject: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = err as RestErrorLike;
      if (typeof e.status === 'number' && e.status > 0) {
        // The client reports a body that is not a registry error as error code -1 ("Unknown error: ...").
        const registryAnswer = typeof e.errorCode === 'number' && e.errorCode >= 0;
        // RestError appends "; Error code: <n>" to the registry's message; the code is reported separately.
        const message = registryAnswer && typeof e.message === 'string' ? e.message.replace(/; Error code: -?\d+$/, '') : '';
        throw this.#httpError(what, subject, e.status, registryAnswer ? (e.errorCode as number) : undefined, message, err);
      }
      throw this.#networkError(what, err);
    }
  }

  #httpError(what: string, subject: string | undefined, status: number, errorCode: number | undefined, message: string, cause?: unknown): SchemaRegistryError {
    const ctx = { ...(subject === undefined ? {} : { subject }), ...(errorCode === undefined ? {} : { errorCode }), ...(message ? { registryMessage: stripUrlCredentials(message) } : {}) };
    const detail = message ? `: ${stripUrlCredentials(message)}` : '';
    const opts = { status, context: ctx, ...(cause === undefined ? {} : { cause }) };
    let code: RegistryErrorCode = 'GCK_SCHEMA_REGISTRY';
    let text: string;
    if (status === 401) {
      code = 'GCK_SCHEMA_REGISTRY_AUTH';
      text = this.#hasCredentials
        ? `the Schema Registry at ${this.url} rejected the credentials (HTTP 401) when trying to ${what}; check the username and password`
        : `the Schema Registry at ${this.url} requires authentication (HTTP 401) to ${what}; pass a username and password (basic auth)`;
    } else if (status === 403) {
      code = 'GCK_SCHEMA_REGISTRY_AUTH';
      text = `the Schema Registry at ${this.url} refused to ${what}: the user is not allowed to (HTTP 403)${detail}`;
    } else if (status === 422) {
      code = 'GCK_SCHEMA_REJECTED';
      text = `the Schema Registry at ${this.url} rejected the schema as invalid when trying to ${what} (HTTP 422${errorCode === undefined ? '' : `, error code ${errorCode}`})${detail}`;
    } else if (status === 404 && errorCode === undefined) {
      text = `no Schema Registry API at ${this.url}: trying to ${what} got HTTP 404 from something that is not a Schema Registry. Check the URL (Apicurio Registry's Confluent-compatible API is at http://<host>:<port>/apis/ccompat/v7)`;
    } else {
      text = `the Schema Registry at ${this.url} could not ${what} (HTTP ${status}${errorCode === undefined ? '' : `, error code ${errorCode}`})${detail}`;
    }
    return new SchemaRegistryError(code, text, { ...opts, retriable: status >= 500 || status === 429 });
  }

  #networkError(what: string, err: unknown): SchemaRegistryError {
    const code = networkCode(err);
    const timeout = isTimeout(err);
    const reason = timeout ? `no answer within ${this.#timeoutMs} ms` : code !== undefined ? `${NETWORK_CODES[code] ?? 'network error'} (${code})` : stripUrlCredentials(String((err as RestErrorLike)?.message ?? err));
    return new SchemaRegistryError('GCK_SCHEMA_REGISTRY_UNREACHABLE', `cannot reach the Schema Registry at ${this.url} to ${what}: ${reason}`, {
      retriable: true,
      cause: err,
      context: code === undefined ? {} : { errno: code },
    });
  }
}

/** A registry's own 404 (subject / version / schema not found), not a 404 from something else at the URL. */
function isNotFound(err: unknown): boolean {
  return err instanceof SchemaRegistryError && err.status === 404 && err.context['errorCode'] !== undefined;
}

function avroInfo(schema: string): SchemaInfo {
  return { schemaType: 'AVRO', schema };
}

function asLevel(value: unknown): CompatibilityLevel | undefined {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value.toUpperCase()) ? (value.toUpperCase() as CompatibilityLevel) : undefined;
}

function stripUrlCredentials(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//[REDACTED]@');
}

/** The errno-style code of a network error from axios or fetch (also inside AggregateError / cause). */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as RestErrorLike;
  if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) && e.code !== 'ERR_BAD_RESPONSE' && e.code !== 'ERR_NETWORK') return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const c = networkCode(inner, depth + 1);
      if (c !== undefined) return c;
    }
  }
  const fromCause = networkCode(e.cause, depth + 1);
  if (fromCause !== undefined) return fromCause;
  return typeof e.code === 'string' ? e.code : undefined;
}

function isTimeout(err: unknown): boolean {
  const e = err as RestErrorLike;
  return e?.name === 'TimeoutError' || e?.code === 'ECONNABORTED' || (typeof e?.message === 'string' && /timeout of \d+ms exceeded/.test(e.message));
}
