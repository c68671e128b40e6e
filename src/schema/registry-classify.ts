/**
 * The one classification of Schema Registry failures: an HTTP answer that is not a success (see
 * {@link classifyAnswer}) or a network error (its errno code, named for messages).
 */
import { isRegistryNotFoundCode, type RegistryErrorCode } from './errors.js';

/** An HTTP answer that is not a success, as the registry (or whatever answered) gave it. */
export interface FailedAnswer {
  readonly status: number;
  readonly statusText: string;
  /** The raw body (may be HTML from a proxy). */
  readonly body: string;
}

/** The classification of a failed answer: which code, whether retrying may help, and the registry's own error. */
export interface AnswerClass {
  readonly code: RegistryErrorCode;
  readonly retriable: boolean;
  /** The registry's `error_code`: only from a JSON body that has one. */
  readonly errorCode: number | undefined;
  /** The registry's `message`, when the body is a registry error. */
  readonly message: string | undefined;
  /** True for the registry's own "not found" (404 + error code 404xx): permanent. */
  readonly registryNotFound: boolean;
}

/**
 * The one classification of failed registry answers. Only the registry's own "not found" (a 404
 * whose JSON body has `error_code` 40400–40499, e.g. 40401 subject, 40403 schema) is a permanent
 * not-found; any other 404 (an HTML page from a proxy or an ingress, a replica that has not caught
 * up, a wrong path) is retriable, as are 5xx, 408 and 429. 401/403 are `GCK_SCHEMA_REGISTRY_AUTH`,
 * 422 `GCK_SCHEMA_REJECTED`; other 4xx are permanent.
 */
export function classifyAnswer(answer: FailedAnswer): AnswerClass {
  const { errorCode, message } = registryErrorBody(answer.body);
  const { status } = answer;
  const registryNotFound = status === 404 && isRegistryNotFoundCode(errorCode);
  let code: RegistryErrorCode = 'GCK_SCHEMA_REGISTRY';
  if (status === 401 || status === 403) code = 'GCK_SCHEMA_REGISTRY_AUTH';
  else if (status === 422) code = 'GCK_SCHEMA_REJECTED';
  const retriable = status >= 500 || status === 408 || status === 429 || (status === 404 && !registryNotFound);
  return { code, retriable, errorCode, message, registryNotFound };
}

/** `error_code` and `message` of a Confluent error body (`{"error_code": 40403, "message": "..."}`); nothing for anything else. */
function registryErrorBody(body: string): { errorCode: number | undefined; message: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { errorCode: undefined, message: undefined };
  }
  if (parsed === null || typeof parsed !== 'object') return { errorCode: undefined, message: undefined };
  const { error_code: code, message } = parsed as { error_code?: unknown; message?: unknown };
  if (typeof code !== 'number' || !Number.isInteger(code)) return { errorCode: undefined, message: undefined };
  return { errorCode: code, message: typeof message === 'string' ? message : undefined };
}

/** Readable names of the network error codes a registry request may fail with. */
export const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  EPROTO: 'TLS/protocol error',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed TLS certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
};

/** The errno-style code of a network error (also inside AggregateError / cause). */
export function networkCode(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const c = networkCode(inner, depth + 1);
      if (c !== undefined) return c;
    }
  }
  return networkCode(e.cause, depth + 1);
}
