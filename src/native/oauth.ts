import { GoCoffeeKafkaError, InvalidArgumentError, MAX_TIMER_MS } from '../errors/base.js';

/**
 * OAUTHBEARER with a token provider (docs/oauth.md, binding-notes/oauth.md): the application gives
 * an async function that returns a token (from an OIDC server, AWS MSK IAM, Azure Event Hubs,
 * Confluent Cloud, ...); one OAuthBearerRefresher per client calls it, hands each token to every
 * librdkafka handle of the client (its targets), and calls it again before the token expires.
 *
 * librdkafka only holds the current token (rd_kafka_oauthbearer_set_token, src/native/addon/oauth.h)
 * and sends it when a connection authenticates or re-authenticates (KIP-368: a broker with
 * connections.max.reauth.ms closes a connection that did not re-authenticate in time). So the
 * refresher, not librdkafka, decides when to fetch:
 *
 * - first token: start() fetches it; a target added afterwards gets it synchronously in
 *   addTarget(), i.e. in the same tick the handle was created, long before librdkafka's first
 *   connection gets as far as authenticating (TCP connect, ApiVersions, SaslHandshake first).
 * - refresh: at 80% of the token's remaining lifetime (librdkafka's own rule), and when an addon
 *   reports that librdkafka asked ('oauthbearer.refresh' event) while the token is close to that
 *   point or absent (a request right after the handle was created is ignored: the token is fresh).
 * - failure (the provider threw, did not settle within timeoutMs, or returned an unusable token:
 *   wrong shape, already expired, characters librdkafka refuses): every target gets
 *   setOAuthBearerTokenFailure (librdkafka keeps the old token while it lasts and reports an
 *   authentication error), onError gets an OAuthTokenError (GCK_OAUTH_TOKEN), and the provider
 *   is called again after a backoff (retryBackoffMs doubling to retryBackoffMaxMs).
 * - stop(): timers cleared, a pending provider call ignored when it settles. Timers are unref'd:
 *   the refresher never keeps the process alive.
 *
 * Token values never appear in errors, logs or onToken.
 */

/** The OAUTHBEARER token provider threw, timed out or returned an unusable token. */
export class OAuthTokenError extends GoCoffeeKafkaError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super('GCK_OAUTH_TOKEN', message, { retriable: true, cause: options.cause, context: options.context ?? {} });
  }
}

/** What a token provider returns. */
export interface OAuthBearerToken {
  /** The token (usually a JWT), sent to the broker as `auth=Bearer <value>`. */
  readonly value: string;
  /** When it expires: ms since the epoch, or a Date. Give this or `lifetimeMs`, or neither for a JWT with an `exp` claim. */
  readonly expiresAt?: number | Date;
  /** How long it is valid from now, in ms (instead of `expiresAt`). */
  readonly lifetimeMs?: number;
  /** The principal name librdkafka reports (default: the JWT's `sub`, else empty). */
  readonly principal?: string;
  /** SASL extensions (RFC 7628 §3.1), e.g. Confluent Cloud's logicalCluster and identityPoolId. */
  readonly extensions?: Readonly<Record<string, string>>;
}

export type OAuthBearerTokenProvider = () => Promise<OAuthBearerToken> | OAuthBearerToken;

/** A librdkafka handle that takes tokens: the batch producer/consumer, or an adapter (adminClientTarget). */
export interface OAuthBearerTarget {
  /** `expiresAtMs`: absolute, ms since the epoch (librdkafka's md_lifetime_ms). Throws when librdkafka refuses it. */
  setOAuthBearerToken(value: string, expiresAtMs: number, principal: string, extensions: string[]): void;
  setOAuthBearerTokenFailure(reason: string): void;
  /** Optional: the batch addons emit 'oauthbearer.refresh' when librdkafka asks for a new token. */
  on?(event: 'oauthbearer.refresh', listener: () => void): unknown;
  removeListener?(event: 'oauthbearer.refresh', listener: () => void): unknown;
}

export interface OAuthBearerRefresherOptions {
  readonly tokenProvider: OAuthBearerTokenProvider;
  /** Every failure, typed (GCK_OAUTH_TOKEN). Without it failures are only retried. */
  readonly onError?: (err: OAuthTokenError) => void;
  /** Each token set: its expiry and principal (never the value), for logs and metrics. */
  readonly onToken?: (info: { expiresAt: number; principal: string; fetches: number }) => void;
  /** How long one provider call may take (default 10 s). */
  readonly timeoutMs?: number;
  /** First retry after a failure (default 1 s), doubled per failure up to retryBackoffMaxMs (default 30 s). */
  readonly retryBackoffMs?: number;
  readonly retryBackoffMaxMs?: number;
}

/** A usable token, as librdkafka takes it. */
interface Held {
  readonly value: string;
  readonly expiresAt: number;
  readonly principal: string;
  readonly extensions: string[];
  readonly refreshAt: number;
}

/** A refresh is never scheduled sooner than this after a token was set (a provider handing out near-dead tokens must not spin). */
const MIN_REFRESH_MS = 100;
/** librdkafka asking this close to (or after) our own refresh time makes us refresh at once. */
const SIGNAL_SLACK_MS = 1000;
/** RFC 7628 §3.1: key = 1*ALPHA; value = *(VCHAR / SP / HTAB / CR / LF), as librdkafka checks them. */
const EXTENSION_KEY = /^[A-Za-z]+$/;
const EXTENSION_VALUE = /^[\x20-\x7e\t\r\n]*$/;

function positiveInt(name: string, value: number | undefined, dflt: number): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) throw new InvalidArgumentError(`OAuthBearerRefresher option ${name}`, `got ${String(value)}, expected an integer from 1 to ${MAX_TIMER_MS}`);
  return value;
}

/** The claims of a JWT (no signature check: only to read exp and sub), or undefined. */
export function jwtClaims(value: string): Record<string, unknown> | undefined {
  const parts = value.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a provider's result and turns it into what librdkafka takes (absolute expiry in ms,
 * extensions flattened). Throws OAuthTokenError naming what is wrong, never the value.
 */
export function normalizeToken(raw: unknown, now: number = Date.now()): Omit<Held, 'refreshAt'> {
  const bad = (problem: string): never => {
    throw new OAuthTokenError(`the token provider returned an unusable token: ${problem}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad(`expected an object { value, expiresAt | lifetimeMs, principal?, extensions? }, got ${raw === null ? 'null' : typeof raw}`);
  const t = raw as Partial<Record<keyof OAuthBearerToken, unknown>>;
  if (typeof t.value !== 'string' || t.value === '') return bad('value must be a non-empty string');
  // librdkafka refuses other characters and would quote the token in its error.
  if (!EXTENSION_VALUE.test(t.value)) return bad('value has characters other than visible ASCII, space, tab, CR and LF');
  let expiresAt: number;
  if (t.expiresAt !== undefined && t.lifetimeMs !== undefined) return bad('give expiresAt or lifetimeMs, not both');
  if (t.expiresAt !== undefined) {
    expiresAt = t.expiresAt instanceof Date ? t.expiresAt.getTime() : typeof t.expiresAt === 'number' ? t.expiresAt : NaN;
    if (!Number.isFinite(expiresAt)) return bad('expiresAt must be a Date or a number of ms since the epoch');
  } else if (t.lifetimeMs !== undefined) {
    if (typeof t.lifetimeMs !== 'number' || !Number.isFinite(t.lifetimeMs)) return bad('lifetimeMs must be a number of ms');
    expiresAt = now + t.lifetimeMs;
  } else {
    const exp = jwtClaims(t.value)?.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return bad('no expiresAt or lifetimeMs, and the value is not a JWT with a numeric exp claim');
    expiresAt = exp * 1000;
  }
  expiresAt = Math.floor(expiresAt);
  if (expiresAt <= now) return bad(`it expired ${now - expiresAt} ms ago (expiresAt ${new Date(expiresAt).toISOString()})`);
  let principal: string;
  if (t.principal === undefined) {
    const sub = jwtClaims(t.value)?.sub;
    principal = typeof sub === 'string' ? sub : '';
  } else if (typeof t.principal === 'string') principal = t.principal;
  else return bad('principal must be a string');
  if (!EXTENSION_VALUE.test(principal)) return bad('principal has characters other than visible ASCII, space, tab, CR and LF');
  const extensions: string[] = [];
  if (t.extensions !== undefined) {
    if (typeof t.extensions !== 'object' || t.extensions === null || Array.isArray(t.extensions)) return bad('extensions must be an object of strings');
    for (const [k, v] of Object.entries(t.extensions as Record<string, unknown>)) {
      if (!EXTENSION_KEY.test(k) || k === 'auth') return bad(`extension key ${JSON.stringify(k)} must be letters only and not "auth"`);
      if (typeof v !== 'string' || !EXTENSION_VALUE.test(v)) return bad(`extension ${k} must be a string of visible ASCII, space, tab, CR and LF`);
      extensions.push(k, v);
    }
  }
  return { value: t.value, expiresAt, principal, extensions };
}

/** A node-rdkafka client (AdminClient: refreshOauthBearerToken; Producer/KafkaConsumer: setOauthBearerToken) as a target. */
export function rdkafkaClientTarget(client: { refreshOauthBearerToken?(token: string): void; setOauthBearerToken?(token: string): unknown }): OAuthBearerTarget {
  return {
    // node-rdkafka passes librdkafka an expiry of "never" and no principal: the refresher's
    // schedule replaces it, and KIP-368 re-authentication picks up each new token.
    setOAuthBearerToken(value) {
      if (typeof client.refreshOauthBearerToken === 'function') client.refreshOauthBearerToken(value);
      else if (typeof client.setOauthBearerToken === 'function') client.setOauthBearerToken(value);
      else throw new TypeError('not a node-rdkafka client with refreshOauthBearerToken / setOauthBearerToken');
    },
    setOAuthBearerTokenFailure() {
      /* node-rdkafka has no failure call: the current token stays until it expires */
    },
  };
}

export class OAuthBearerRefresher {
  readonly #provider: OAuthBearerTokenProvider;
  readonly #onError: ((err: OAuthTokenError) => void) | undefined;
  readonly #onToken: OAuthBearerRefresherOptions['onToken'];
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #backoffMaxMs: number;
  readonly #targets = new Map<OAuthBearerTarget, (() => void) | undefined>();
  #token: Held | undefined;
  #lastError: OAuthTokenError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inflight = false;
  #generation = 0;
  #started = false;
  #stopped = false;
  #failures = 0;
  #fetches = 0;
  #lastFetchAt = -Infinity;
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(options: OAuthBearerRefresherOptions) {
    if (typeof options?.tokenProvider !== 'function') throw new InvalidArgumentError('tokenProvider', `got ${typeof options?.tokenProvider}, expected a function returning { value, expiresAt | lifetimeMs, principal?, extensions? }`);
    this.#provider = options.tokenProvider;
    this.#onError = options.onError;
    this.#onToken = options.onToken;
    this.#timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 10_000);
    this.#backoffMs = positiveInt('retryBackoffMs', options.retryBackoffMs, 1000);
    this.#backoffMaxMs = Math.max(this.#backoffMs, positiveInt('retryBackoffMaxMs', options.retryBackoffMaxMs, 30_000));
  }

  /** The current token's expiry (ms since the epoch), undefined before the first. */
  get expiresAt(): number | undefined {
    return this.#token?.expiresAt;
  }
  /** The last failure, cleared by the next token. */
  get lastError(): OAuthTokenError | undefined {
    return this.#lastError;
  }
  /** Provider calls so far (successful or not). */
  get fetches(): number {
    return this.#fetches;
  }
  /** The current token's value, for a client created after it (node-rdkafka's AdminClient.create(conf, token)). */
  currentToken(): string | undefined {
    return this.#token !== undefined && this.#token.expiresAt > Date.now() ? this.#token.value : undefined;
  }

  /**
   * Fetches the first token (idempotent). Resolves once a token is held. Failures do not reject
   * it: they go to onError and are retried; it rejects only when stop() comes first.
   */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(new OAuthTokenError('the token refresher was stopped'));
    if (this.#token !== undefined) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#started) {
      this.#started = true;
      void this.#fetch();
    }
    return p;
  }

  /** Hands the current token (or the last failure) to `target` now, and every later one. */
  addTarget(target: OAuthBearerTarget): void {
    if (this.#stopped || this.#targets.has(target)) return;
    let listener: (() => void) | undefined;
    if (typeof target.on === 'function') {
      listener = () => this.refreshWanted();
      target.on('oauthbearer.refresh', listener);
    }
    this.#targets.set(target, listener);
    if (this.#token !== undefined) this.#apply(target, this.#token);
    else if (this.#lastError !== undefined) this.#fail(target, this.#lastError.message);
  }

  removeTarget(target: OAuthBearerTarget): void {
    const listener = this.#targets.get(target);
    if (listener !== undefined) target.removeListener?.('oauthbearer.refresh', listener);
    this.#targets.delete(target);
  }

  /**
   * librdkafka asked for a token (or the caller saw the broker reject one, `force`): fetch now
   * unless a call is running, a failure backoff is pending, or (without `force`) the current
   * token is not yet near its refresh time. A forced fetch comes at most once per retryBackoffMs
   * (a client that keeps failing to log in reports it on every reconnect).
   */
  refreshWanted(force = false): void {
    if (this.#stopped || !this.#started || this.#inflight) return;
    if (this.#failures > 0) return; // the backoff timer calls again
    const t = this.#token;
    const now = Date.now();
    if (force ? now - this.#lastFetchAt < this.#backoffMs : t !== undefined && now < t.refreshAt - SIGNAL_SLACK_MS) return;
    void this.#fetch();
  }

  /** Stops refreshing; a provider call still running is ignored when it settles. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#generation++;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const target of [...this.#targets.keys()]) this.removeTarget(target);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(new OAuthTokenError('the token refresher was stopped before a token was obtained', { cause: this.#lastError }));
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#fetch();
    }, Math.min(MAX_TIMER_MS, Math.max(0, Math.round(delayMs))));
    this.#timer.unref();
  }

  async #fetch(): Promise<void> {
    if (this.#stopped || this.#inflight) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const generation = ++this.#generation;
    this.#inflight = true;
    this.#fetches++;
    this.#lastFetchAt = Date.now();
    let timeout: NodeJS.Timeout | undefined;
    try {
      const raw = await Promise.race([
        Promise.resolve().then(() => this.#provider()),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new OAuthTokenError(`the token provider did not settle within ${this.#timeoutMs} ms`, { context: { timeoutMs: this.#timeoutMs } })), this.#timeoutMs);
          timeout.unref();
        }),
      ]);
      if (generation !== this.#generation) return;
      const now = Date.now();
      const base = normalizeToken(raw, now);
      const held: Held = { ...base, refreshAt: now + Math.max(MIN_REFRESH_MS, 0.8 * (base.expiresAt - now)) };
      for (const target of this.#targets.keys()) this.#apply(target, held, true);
      this.#token = held;
      this.#lastError = undefined;
      this.#failures = 0;
      this.#schedule(held.refreshAt - now);
      this.#onToken?.({ expiresAt: held.expiresAt, principal: held.principal, fetches: this.#fetches });
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.resolve();
    } catch (e) {
      if (generation !== this.#generation) return;
      const err = e instanceof OAuthTokenError ? e : new OAuthTokenError(`the token provider failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      this.#lastError = err;
      this.#failures++;
      for (const target of this.#targets.keys()) this.#fail(target, err.message);
      this.#schedule(Math.min(this.#backoffMaxMs, this.#backoffMs * 2 ** Math.min(this.#failures - 1, 30)));
      this.#report(err);
    } finally {
      if (timeout !== undefined) clearTimeout(timeout);
      if (generation === this.#generation) this.#inflight = false;
    }
  }

  /** Sets a token on one target; with `rethrow`, librdkafka refusing it fails the whole fetch. */
  #apply(target: OAuthBearerTarget, t: Held, rethrow = false): void {
    try {
      target.setOAuthBearerToken(t.value, t.expiresAt, t.principal, t.extensions);
    } catch (e) {
      const err = new OAuthTokenError(`librdkafka refused the token: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      if (rethrow) throw err;
      this.#report(err);
    }
  }

  #fail(target: OAuthBearerTarget, reason: string): void {
    try {
      target.setOAuthBearerTokenFailure(reason);
    } catch {
      /* a closing or non-OAUTHBEARER handle: nothing to tell */
    }
  }

  #report(err: OAuthTokenError): void {
    if (this.#onError === undefined) return;
    try {
      this.#onError(err);
    } catch {
      /* a throwing listener must not stop the refresh loop */
    }
  }
}
