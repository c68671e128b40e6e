/**
 * Fixtures of the security suite: the secure broker and the registry proxy of
 * scripts/stack-secure.mjs (started as a child process, so the test process stays clean), a
 * memory logger, and a collector of everything a secret must never appear in.
 */
import { execFile } from 'node:child_process';
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { REGISTRY_URL } from '../helpers.js';
import type { Certificates } from '../../helpers/certs.js';

// The suite's poll helper (every 50 ms; the timeout error names what was awaited), for the security tests.
export { waitUntil } from '../consumer/util.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'stack-secure.mjs');

export interface SecureUser {
  readonly username: string;
  readonly password: string;
  readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  readonly listener: 'SASL_SSL' | 'SASL_PLAINTEXT';
}

export interface SecureKafka {
  readonly pid: number;
  readonly saslSslBootstrap: string;
  readonly saslPlaintextBootstrap: string;
  /** SASL_PLAINTEXT with OAUTHBEARER only (unsecured JWTs), connections.max.reauth.ms = oauthReauthMs. */
  readonly oauthBootstrap: string;
  readonly oauthReauthMs: number;
  readonly caFile: string;
  readonly users: { readonly scram256: SecureUser; readonly scram512: SecureUser; readonly plain: SecureUser; readonly admin: SecureUser };
  readonly log: string;
}

export interface RegistryProxy {
  readonly pid: number;
  /** The Confluent-compatible API through the proxy (basic auth required). */
  readonly registryUrl: string;
  readonly upstream: string;
  readonly username: string;
  readonly password: string;
}

export interface SecureStack {
  readonly kafka: SecureKafka | null;
  readonly proxy: RegistryProxy | null;
  readonly seconds: number;
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, timeout: 180_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`node scripts/stack-secure.mjs ${args[0]} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Starts (or reuses) the secure broker and/or the proxy; the proxy forwards to the suite's registry. */
export async function secureStackUp(opts: { certs?: Certificates; only?: 'kafka' | 'proxy' }): Promise<SecureStack> {
  const args = ['up', '--json', '--upstream', new URL(REGISTRY_URL).origin];
  if (opts.certs !== undefined) args.push('--certs', opts.certs.dir);
  if (opts.only !== undefined) args.push('--only', opts.only);
  return JSON.parse(await run(args)) as SecureStack;
}

export async function secureStackDown(only?: 'kafka' | 'proxy'): Promise<void> {
  await run(['down', '--json', ...(only === undefined ? [] : ['--only', only])]);
}

/**
 * An unsecured JWT (header alg "none", empty signature) as the OAUTH listener's validator takes it:
 * `sub`, `iat`, `exp` (seconds). `claims` overrides or, with undefined, removes any of them.
 * Returns the token with its expiry in ms (what a token provider reports).
 */
export function unsecuredJwt(sub: string, lifetimeSeconds: number, claims: Record<string, unknown> = {}): { value: string; expiresAt: number } {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { sub, iat: now, exp: now + lifetimeSeconds, ...claims };
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return { value: `${b64({ alg: 'none' })}.${b64(payload)}.`, expiresAt: (now + lifetimeSeconds) * 1000 };
}

/** The bytes appended to a file since `offset` (for counting broker log lines in a test window). */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
export function readFrom(file: string, offset: number): string {
  const size = fileSize(file);
  if (size <= offset) return '';
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/** Kafka logs every refused SASL or TLS handshake as "Failed authentication with /<ip> (...)" (INFO). */
export function failedAuthentications(text: string): string[] {
  return text.split('\n').filter((l) => l.includes('Failed authentication with'));
}

/**
 * Everything that must stay free of secrets: log lines (a pino logger at level trace writing to
 * memory), errors (message, JSON, util.inspect with causes), health and statistics output,
 * metrics text, CLI output.
 */
export class SecretScan {
  readonly lines: string[] = [];
  readonly texts: Array<{ what: string; text: string }> = [];
  readonly logger: Logger;

  constructor() {
    const lines = this.lines;
    const stream = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
        cb();
      },
    });
    this.logger = pino({ level: 'trace' }, stream);
  }

  add(what: string, value: unknown): void {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    this.texts.push({ what, text: text ?? String(value) });
  }

  /** An error: its message, its JSON, and util.inspect of it with every cause. */
  addError(what: string, err: unknown): void {
    this.add(`${what} (message)`, err instanceof Error ? err.message : String(err));
    this.add(`${what} (JSON.stringify)`, JSON.stringify(err) ?? '');
    this.add(`${what} (util.inspect)`, inspect(err, { depth: 8 }));
    this.add(`${what} (String)`, String(err));
  }

  /** Every place a secret was found: `[{ what, secret }]` (empty when none leaked). */
  leaks(secrets: ReadonlyArray<{ name: string; value: string }>): Array<{ what: string; secret: string; excerpt: string }> {
    const out: Array<{ what: string; secret: string; excerpt: string }> = [];
    const all = [...this.lines.map((text, i) => ({ what: `log line ${i}`, text })), ...this.texts];
    for (const { what, text } of all) {
      for (const s of secrets) {
        const at = text.indexOf(s.value);
        if (at >= 0) out.push({ what, secret: s.name, excerpt: text.slice(Math.max(0, at - 120), at) + '<SECRET>' });
      }
    }
    return out;
  }
}

/** Fails listing where each secret was found (an excerpt of the text before it, never the secret). */
export function assertNoLeaks(scan: SecretScan, secrets: ReadonlyArray<{ name: string; value: string }>): void {
  const leaks = scan.leaks(secrets);
  if (leaks.length === 0) return;
  const shown = leaks.slice(0, 20).map((l) => `  ${l.what} [${l.secret}]: ...${l.excerpt}`).join('\n');
  throw new Error(`secrets leak (${leaks.length} place(s)):\n${shown}${leaks.length > 20 ? '\n  ...' : ''}`);
}

/** A password and its other spellings that would give it away (basic-auth header, URL-encoded). */
export function secretForms(name: string, password: string, username?: string): Array<{ name: string; value: string }> {
  const forms = [{ name, value: password }];
  if (encodeURIComponent(password) !== password) forms.push({ name: `${name} (URL-encoded)`, value: encodeURIComponent(password) });
  if (username !== undefined) {
    forms.push({ name: `${name} (basic-auth base64)`, value: Buffer.from(`${username}:${password}`).toString('base64') });
  }
  return forms;
}
