/**
 * The transport of the one Schema Registry client: JSON over HTTP(S) to the Confluent-compatible
 * REST API (Confluent, Apicurio's /apis/ccompat/v7), on node:http / node:https with a keep-alive
 * agent. It owns the three things every request shares:
 *
 * - classification of every failure into a {@link RegistryError} (see {@link classifyAnswer}):
 *   only the registry's own answers are permanent; a 404 without a registry error code 404xx
 *   (a proxy, an ingress, a replica not caught up), 5xx, 408, 429, timeouts and network errors are
 *   retriable;
 * - bounded retries of retriable failures, waiting {@link backoffDelay} between attempts;
 * - redaction: the base URL is kept without credentials, and the password / basic-auth header
 *   never reach a message.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { redactUrlCredentials } from '../config/parse.js';
import { backoffDelay } from '../errors/backoff.js';
import { MAX_TIMER_MS, checkIntegerOption } from '../errors/base.js';
import { RegistryError } from './errors.js';
import { NETWORK_CODES, classifyAnswer, networkCode, type FailedAnswer } from './registry-classify.js';

/** TLS settings for an https:// registry (default: the system CA store, certificates verified). */
export interface RegistryTlsOptions {
  /** CA certificate(s), PEM, to verify the registry with instead of the system store. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** Client certificate (PEM) for mutual TLS; needs `key`. */
  readonly cert?: string | Buffer | undefined;
  /** Client private key (PEM) for mutual TLS. */
  readonly key?: string | Buffer | undefined;
  /** Passphrase of `key`. */
  readonly passphrase?: string | undefined;
  /** Default true. false accepts any certificate (test setups only). */
  readonly rejectUnauthorized?: boolean | undefined;
}

/** How to reach the registry. */
export interface RegistryOptions {
  /**
   * Base URL of the Confluent-compatible API (Apicurio: http://host:port/apis/ccompat/v7).
   * Credentials in the URL (`http://user:password@host/...`) are used as basic auth and removed
   * from the URL the client keeps and shows.
   */
  readonly url: string;
  /** Basic-auth user (overrides one in the URL). */
  readonly username?: string | undefined;
  /** Basic-auth password (overrides one in the URL). Never shown. */
  readonly password?: string | undefined;
  /**
   * Per-attempt timeout: a registry that accepts the connection and never answers fails the
   * attempt after this long (default 10 s; the Manager passes `read_timeout`). A request fails
   * after at most (retries + 1) attempts.
   */
  readonly timeoutMs?: number | undefined;
  /** Retries of retriable failures (network, timeout, 5xx, 408, 429, a 404 that is not the registry's own); default 2. */
  readonly retries?: number | undefined;
  /** Backoff between retries ({@link backoffDelay}): base (default 200 ms) and cap (default 2 s). */
  readonly retryBackoffMs?: number | undefined;
  readonly retryMaxBackoffMs?: number | undefined;
  /** TLS settings for an https:// URL. */
  readonly tls?: RegistryTlsOptions | undefined;
}

/** One request: `what` completes "could not …" in messages; `subject` goes to the error context. */
export interface RegistryRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path and query below the base URL, starting with `/`; path segments already encoded. */
  readonly path: string;
  readonly body?: unknown;
  readonly what: string;
  readonly subject?: string | undefined;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Splits `http://user:pass@host/path/` into a credential-free base URL (no trailing slash) and the
 * credentials. Throws RegistryError `GCK_SCHEMA_REGISTRY` for a URL that is not http(s), without
 * echoing a value that may hold credentials.
 */
export function parseRegistryUrl(raw: string): { url: string; username: string | undefined; password: string | undefined } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    const shown = raw.includes('@') ? '(value hidden: it may hold credentials)' : JSON.stringify(raw);
    throw new RegistryError('GCK_SCHEMA_REGISTRY', `the Schema Registry URL is not a valid URL: ${shown}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new RegistryError('GCK_SCHEMA_REGISTRY', `the Schema Registry URL must be http:// or https://, got ${u.protocol}`);
  }
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/+$/, ''), username, password };
}

/** A failure of one attempt: an answer that is not 2xx, or no answer. */
type AttemptFailure = { readonly kind: 'answer'; readonly answer: FailedAnswer } | { readonly kind: 'network'; readonly error: unknown; readonly timedOut: boolean };

class AttemptError extends Error {
  constructor(readonly failure: AttemptFailure) {
    super('registry attempt failed');
  }
}

/** One HTTP exchange: the status line, the Location header and the body as text. */
interface Exchange {
  readonly status: number;
  readonly statusText: string;
  readonly location: string | undefined;
  readonly body: string;
}

const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5';
/** Redirects followed per attempt (an ingress sending http to https, a moved base path). */
const MAX_REDIRECTS = 5;

/** HTTP(S) JSON requests to one registry, with classification, bounded retries and redaction. */
export class RegistryHttp {
  /** The base URL, without credentials: safe to print. */
  readonly url: string;
  readonly #base: URL;
  readonly #tls: RegistryTlsOptions;
  #httpAgent: HttpAgent | undefined;
  #httpsAgent: HttpsAgent | undefined;
  readonly #authHeader: string | undefined;
  readonly #secrets: readonly string[];
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #inFlight = new Set<{ destroy(err: Error): void }>();
  readonly #closed = new AbortController();

  /** @throws RegistryError for a URL that is not http(s); InvalidArgumentError for a bad timeout, retry count or backoff. */
  constructor(options: RegistryOptions) {
    const parsed = parseRegistryUrl(options.url);
    this.url = parsed.url;
    this.#base = new URL(parsed.url);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retries = options.retries ?? 2;
    this.#backoffMs = options.retryBackoffMs ?? 200;
    this.#maxBackoffMs = options.retryMaxBackoffMs ?? 2000;
    checkIntegerOption('registry timeoutMs', this.#timeoutMs, 1, MAX_TIMER_MS);
    checkIntegerOption('registry retries', this.#retries, 0, 100);
    checkIntegerOption('registry retryBackoffMs', this.#backoffMs, 0, MAX_TIMER_MS);
    checkIntegerOption('registry retryMaxBackoffMs', this.#maxBackoffMs, 0, MAX_TIMER_MS);
    this.#tls = options.tls ?? {};
    const username = options.username ?? parsed.username;
    const password = options.password ?? parsed.password;
    const secrets: string[] = [];
    if (username !== undefined) {
      const encoded = Buffer.from(`${username}:${password ?? ''}`).toString('base64');
      this.#authHeader = `Basic ${encoded}`;
      secrets.push(encoded);
      if (password !== undefined && password.length > 0) secrets.push(password, encodeURIComponent(password));
    }
    this.#secrets = secrets;
  }

  /** Whether basic-auth credentials are sent. */
  get hasCredentials(): boolean {
    return this.#authHeader !== undefined;
  }

  /**
   * Sends the request, retrying retriable failures up to `retries` times with backoffDelay between
   * attempts; resolves with the parsed JSON answer.
   * @throws RegistryError classified by {@link classifyAnswer} (or `GCK_SCHEMA_REGISTRY_UNREACHABLE`
   *   without an answer), naming the URL, what was attempted and how many attempts were made.
   */
  async send(req: RegistryRequest): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      let failure: AttemptFailure;
      try {
        return await this.#attempt(req);
      } catch (err) {
        // Anything else (e.g. node:http refusing a request synchronously) is a failure to reach it.
        failure = err instanceof AttemptError ? err.failure : { kind: 'network', error: err, timedOut: false };
      }
      const error = this.#error(req, failure, attempt);
      if (!error.retriable || attempt > this.#retries || this.#closed.signal.aborted) throw error;
      try {
        await sleep(backoffDelay(attempt, this.#backoffMs, this.#maxBackoffMs), undefined, { signal: this.#closed.signal });
      } catch {
        throw error; // closed while waiting
      }
    }
  }

  /** Stops every request in flight (they fail, not retried) and frees the sockets. Idempotent. */
  close(): void {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort();
    for (const r of this.#inFlight) r.destroy(new Error('the Schema Registry client was closed'));
    this.#inFlight.clear();
    this.#httpAgent?.destroy();
    this.#httpsAgent?.destroy();
  }

  /** One attempt: the request, following redirects (303: as GET); the JSON of a 2xx answer. */
  async #attempt(req: RegistryRequest): Promise<unknown> {
    let target = new URL(this.#base.pathname.replace(/\/+$/, '') + req.path, this.#base);
    let method: string = req.method;
    let body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    for (let hop = 0; ; hop++) {
      const answer = await this.#exchange(target, method, body);
      const { status } = answer;
      if (status >= 300 && status <= 399 && answer.location !== undefined && hop < MAX_REDIRECTS) {
        target = new URL(answer.location, target);
        if (target.protocol !== 'http:' && target.protocol !== 'https:') {
          throw new AttemptError({ kind: 'answer', answer: { status, statusText: `redirect to a ${target.protocol} URL`, body: answer.body } });
        }
        if (status === 303) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      if (status < 200 || status > 299) throw new AttemptError({ kind: 'answer', answer: { status, statusText: answer.statusText, body: answer.body } });
      try {
        return answer.body === '' ? undefined : JSON.parse(answer.body);
      } catch {
        throw new AttemptError({ kind: 'answer', answer: { status, statusText: 'answer is not JSON', body: answer.body } });
      }
    }
  }

  #exchange(target: URL, method: string, body: Buffer | undefined): Promise<Exchange> {
    if (this.#closed.signal.aborted) {
      return Promise.reject(new AttemptError({ kind: 'network', error: new Error('the Schema Registry client is closed'), timedOut: false }));
    }
    const headers: Record<string, string> = { Accept: ACCEPT };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/vnd.schemaregistry.v1+json';
      headers['Content-Length'] = String(body.length);
    }
    // Credentials go to the registry's host only, and never from https down to http.
    const sameHost = target.hostname === this.#base.hostname && !(this.#base.protocol === 'https:' && target.protocol === 'http:');
    if (this.#authHeader !== undefined && sameHost) headers['Authorization'] = this.#authHeader;
    const https = target.protocol === 'https:';
    const options = { method, headers, agent: https ? this.#https() : this.#http() };
    return new Promise<Exchange>((resolve, reject) => {
      let timedOut = false;
      const r = https ? httpsRequest(target, options) : httpRequest(target, options);
      const handle = { destroy: (err: Error) => r.destroy(err) };
      this.#inFlight.add(handle);
      const timer = setTimeout(() => {
        timedOut = true;
        r.destroy(new Error(`no answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#inFlight.delete(handle);
      };
      const fail = (error: unknown): void => {
        done();
        reject(new AttemptError({ kind: 'network', error, timedOut }));
      };
      r.on('error', fail);
      r.on('response', (res) => {
        readBody(res).then((text) => {
          done();
          const location = res.headers.location;
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', location: typeof location === 'string' ? location : undefined, body: text });
        }, fail);
      });
      r.end(body);
    });
  }

  #http(): HttpAgent {
    this.#httpAgent ??= new HttpAgent({ keepAlive: true });
    return this.#httpAgent;
  }

  #https(): HttpsAgent {
    const tls = this.#tls;
    this.#httpsAgent ??= new HttpsAgent({
      keepAlive: true,
      ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
      ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    });
    return this.#httpsAgent;
  }

  #error(req: RegistryRequest, failure: AttemptFailure, attempts: number): RegistryError {
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    const subject = req.subject === undefined ? {} : { subject: req.subject };
    if (failure.kind === 'network') {
      const code = networkCode(failure.error);
      const closed = this.#closed.signal.aborted;
      const reason = failure.timedOut
        ? `no answer within ${this.#timeoutMs} ms`
        : closed
          ? 'the client was closed'
          : code !== undefined
            ? `${NETWORK_CODES[code] ?? 'network error'} (${code})`
            : String((failure.error as Error)?.message ?? failure.error);
      return new RegistryError('GCK_SCHEMA_REGISTRY_UNREACHABLE', this.scrub(`cannot reach the Schema Registry at ${this.url} to ${req.what}: ${reason}${tries}`), {
        retriable: !closed,
        cause: failure.error,
        context: { ...subject, attempts, ...(code === undefined ? {} : { errno: code }) },
      });
    }
    const { answer } = failure;
    if (answer.status >= 200 && answer.status <= 299) {
      return new RegistryError('GCK_SCHEMA_REGISTRY', `the Schema Registry at ${this.url} gave an unexpected answer when trying to ${req.what}: HTTP ${answer.status} with a body that is not JSON`, {
        status: answer.status,
        context: { ...subject, attempts },
      });
    }
    const c = classifyAnswer(answer);
    const registryMessage = c.message === undefined ? undefined : this.scrub(c.message);
    const detail = registryMessage === undefined ? '' : `: ${registryMessage}`;
    const codeText = c.errorCode === undefined ? '' : `, error code ${c.errorCode}`;
    const what = req.what;
    let text: string;
    if (answer.status === 401) {
      text = this.hasCredentials
        ? `the Schema Registry at ${this.url} rejected the credentials (HTTP 401) when trying to ${what}; check the username and password`
        : `the Schema Registry at ${this.url} requires authentication (HTTP 401) to ${what}; pass a username and password (basic auth)`;
    } else if (answer.status === 403) {
      text = `the Schema Registry at ${this.url} refused to ${what}: the user is not allowed to (HTTP 403)${detail}`;
    } else if (answer.status === 422) {
      text = `the Schema Registry at ${this.url} rejected the schema as invalid when trying to ${what} (HTTP 422${codeText})${detail}`;
    } else if (answer.status === 404 && !c.registryNotFound) {
      text =
        `no Schema Registry API at ${this.url}: trying to ${what} got HTTP 404 without a registry "not found" error code ` +
        `(from a proxy, an ingress, a replica not ready, or a wrong URL)${tries}. Check the URL (Apicurio Registry's Confluent-compatible API is at http://<host>:<port>/apis/ccompat/v7)`;
    } else {
      const statusText = registryMessage === undefined && answer.statusText !== '' ? ` ${answer.statusText}` : '';
      text = `the Schema Registry at ${this.url} could not ${what} (HTTP ${answer.status}${statusText}${codeText})${detail}${c.retriable ? tries : ''}`;
    }
    return new RegistryError(c.code, this.scrub(text), {
      retriable: c.retriable,
      status: answer.status,
      errorCode: c.errorCode,
      context: { ...subject, attempts, ...(registryMessage === undefined ? {} : { registryMessage }) },
    });
  }

  /** Text without URL credentials, the password or the basic-auth header value. */
  scrub(text: string): string {
    let out = redactUrlCredentials(text);
    for (const s of this.#secrets) out = out.split(s).join('[REDACTED]');
    return out;
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        res.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('the answer was cut off'));
    });
  });
}
