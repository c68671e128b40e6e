/**
 * Throwaway TLS material for the security tests, made with the `openssl` command line tool
 * (OpenSSL 3) into a directory of its own:
 *
 *   ca.pem / ca-key.pem                  the test CA (self-signed, CA:TRUE, valid 2 days)
 *   server-cert.pem / server-key.pem     the broker's certificate, signed by the CA, with
 *                                        SAN IP:127.0.0.1 and DNS:localhost (serverAuth);
 *                                        the key is unencrypted PKCS#8 ("BEGIN PRIVATE KEY"),
 *                                        the form Kafka's PEM key store reads without a password
 *   server-keystore.pem                  key + certificate + CA in one file: Kafka's
 *                                        `ssl.keystore.type=PEM` / `ssl.keystore.location`
 *   other-ca.pem / other-ca-key.pem      a second, unrelated CA (the wrong-CA tests trust it)
 *   client-cert.pem / client-key.pem     a client certificate (clientAuth) signed by the CA, its
 *                                        key encrypted PKCS#8 (AES-256) with `clientKeyPassword`
 *                                        (for mTLS and the `tls_key_password` mapping)
 *   certificates.json                    the returned Certificates object (0600)
 *
 * EC P-256 keys: generated in milliseconds, and read by both Kafka (Java PEM store) and librdkafka.
 *
 *   import { makeCertificates } from '../helpers/certs.js';
 *   const certs = makeCertificates();          // a fresh temp dir
 *   ...
 *   removeCertificates(certs);
 *
 * Also a command: `node --import tsx test/helpers/certs.ts <dir>` writes the files into <dir> and
 * prints the Certificates object as JSON (scripts/stack-secure.mjs uses it when given no --certs).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Certificates {
  readonly dir: string;
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Private key + certificate chain in one PEM file (Kafka's PEM key store). */
  readonly serverKeystoreFile: string;
  /** A CA that did not sign the server certificate. */
  readonly otherCaFile: string;
  readonly otherCaKeyFile: string;
  readonly clientCertFile: string;
  /** Encrypted PKCS#8; its password is `clientKeyPassword`. */
  readonly clientKeyFile: string;
  readonly clientKeyPassword: string;
}

const DAYS = '2';

function openssl(args: readonly string[], cwd: string): string {
  try {
    return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: plainEnv() });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.trim() || err.message}`);
  }
}

function newKey(file: string, cwd: string): void {
  // genpkey writes PKCS#8 ("BEGIN PRIVATE KEY").
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], cwd);
  chmodSync(join(cwd, file), 0o600);
}

function newCa(name: string, cn: string, cwd: string): void {
  newKey(`${name}-key.pem`, cwd);
  openssl(['req', '-x509', '-new', '-key', `${name}-key.pem`, '-out', `${name}.pem`, '-days', DAYS, '-subj', `/O=gocoffee tests/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], cwd);
}

/** Signs `${name}-cert.pem` for `keyFile` with the test CA. */
function signLeaf(name: string, keyFile: string, cn: string, extensions: string, cwd: string): void {
  openssl(['req', '-new', '-key', keyFile, '-out', `${name}.csr`, '-subj', `/O=gocoffee tests/CN=${cn}`], cwd);
  writeFileSync(join(cwd, `${name}.ext`), extensions);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}-cert.pem`,
    '-days', DAYS, '-sha256', '-extfile', `${name}.ext`], cwd);
  rmSync(join(cwd, `${name}.csr`));
  rmSync(join(cwd, `${name}.ext`));
}

/** Makes a fresh CA, server certificate, unrelated CA and client certificate in `dir` (default: a new temp dir). */
export function makeCertificates(dir?: string): Certificates {
  const out = dir === undefined ? mkdtempSync(join(tmpdir(), 'gocoffee-certs-')) : resolve(dir);
  mkdirSync(out, { recursive: true });
  newCa('ca', 'gocoffee throwaway test CA', out);
  newCa('other-ca', 'gocoffee UNRELATED test CA', out);

  newKey('server-key.pem', out);
  signLeaf('server', 'server-key.pem', 'localhost',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n', out);
  const keystore = ['server-key.pem', 'server-cert.pem', 'ca.pem'].map((f) => readFileSync(join(out, f), 'utf8').trim()).join('\n') + '\n';
  writeFileSync(join(out, 'server-keystore.pem'), keystore, { mode: 0o600 });

  const clientKeyPassword = `client-key-pw-${randomBytes(9).toString('base64url')}`;
  newKey('client-key.plain.pem', out);
  signLeaf('client', 'client-key.plain.pem', 'gocoffee-test-client', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n', out);
  openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', 'client-key.plain.pem', '-out', 'client-key.pem', '-passout', `pass:${clientKeyPassword}`], out);
  chmodSync(join(out, 'client-key.pem'), 0o600);
  rmSync(join(out, 'client-key.plain.pem'));

  const certs: Certificates = {
    dir: out,
    caFile: join(out, 'ca.pem'),
    caKeyFile: join(out, 'ca-key.pem'),
    serverCertFile: join(out, 'server-cert.pem'),
    serverKeyFile: join(out, 'server-key.pem'),
    serverKeystoreFile: join(out, 'server-keystore.pem'),
    otherCaFile: join(out, 'other-ca.pem'),
    otherCaKeyFile: join(out, 'other-ca-key.pem'),
    clientCertFile: join(out, 'client-cert.pem'),
    clientKeyFile: join(out, 'client-key.pem'),
    clientKeyPassword,
  };
  writeFileSync(join(out, 'certificates.json'), JSON.stringify(certs, null, 2) + '\n', { mode: 0o600 });
  return certs;
}

/** Deletes the directory (only a directory made for certificates: it must hold ca.pem). */
export function removeCertificates(certs: Pick<Certificates, 'dir' | 'caFile'>): void {
  try {
    readFileSync(certs.caFile);
  } catch {
    return;
  }
  rmSync(certs.dir, { recursive: true, force: true });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = process.argv[2];
  if (target === undefined) {
    console.error('usage: node --import tsx test/helpers/certs.ts <dir>');
    process.exit(2);
  }
  console.log(JSON.stringify(makeCertificates(target), null, 2));
}

/** openssl without `npm run test:asan`'s sanitizer variables (LeakSanitizer would fail its exit). */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
  return env;
}
