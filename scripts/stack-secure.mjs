#!/usr/bin/env node
// A SECURE single-node Kafka (SASL/SCRAM + TLS, SASL/PLAIN) and an HTTP-basic-auth reverse proxy in
// front of the local Schema Registry, for the security tests (test/integration/security). Separate
// from the shared stack of scripts/stack.mjs: its own KRaft cluster, ports, data, pid and log files
// (everything under .stack/secure/); the shared stack is never touched (the proxy only forwards to
// its registry).
//
//   node scripts/stack-secure.mjs up [--certs DIR] [--only kafka|proxy] [--upstream URL] [--json]
//   node scripts/stack-secure.mjs status [--json]      exit 0 only if everything started answers
//   node scripts/stack-secure.mjs down [--only kafka|proxy]
//
// Kafka (same jars as the shared stack, .stack/cache/kafka-<v>/libs; Java 17; heap 128-384 MB):
//   SASL_SSL        127.0.0.1:9095  SCRAM-SHA-256 and SCRAM-SHA-512; server certificate from a
//                                   throwaway CA (PEM files read directly: ssl.keystore.type=PEM,
//                                   key = unencrypted PKCS#8 + certificate chain in one file;
//                                   ssl.truststore.type=PEM = the CA); ssl.client.auth=requested,
//                                   so a client certificate from the CA is verified when presented
//   SASL_PLAINTEXT  127.0.0.1:9096  PLAIN, users in the listener's JAAS config; also the
//                                   inter-broker listener (user "admin")
//   OAUTH           127.0.0.1:9097  SASL_PLAINTEXT with OAUTHBEARER only: Kafka's default server
//                                   callback handler validates UNSECURED JWTs (header alg "none",
//                                   claims sub, iat, exp; test setups only), and
//                                   connections.max.reauth.ms = 5000 on this listener, so every
//                                   connection must re-authenticate (KIP-368) with a current token
//                                   at least every 5 s (the token-refresh tests, docs/oauth.md)
//   CONTROLLER      127.0.0.1:9195  PLAINTEXT, KRaft controller (node 1, --standalone quorum)
//   SCRAM users are created when the storage is formatted (fresh at every `up`):
//     kafka.tools.StorageTool format -t <id> -c <props> --standalone \
//       --add-scram 'SCRAM-SHA-256=[name=gocoffee-scram256,password=...]' \
//       --add-scram 'SCRAM-SHA-512=[name=gocoffee-scram512,password=...]'
//   Passwords are random per `up`; `up --json` prints them, .stack/secure/run/state.json (0600) keeps them.
//   Certificates: --certs DIR (made by test/helpers/certs.ts: ca.pem, server-keystore.pem, ...);
//   without it, a throwaway set is made in .stack/secure/certs (node --import tsx test/helpers/certs.ts).
//   `up` with a different --certs restarts the broker.
//   Ready = a Kafka-protocol probe (in this file) logs in with PLAIN on 9096 and SCRAM-SHA-256/512
//   over TLS (verifying the CA) on 9095 and OAUTHBEARER on 9097 (an unsecured JWT it mints,
//   unsecuredJwt below), then gets Metadata and the group coordinator.
//   Ports: GOCOFFEE_STACK_SECURE_{SASL_SSL,SASL_PLAINTEXT,OAUTH,CONTROLLER,PROXY}_PORT move them.
//
// Registry proxy: nginx (Debian package `nginx`) with auth_basic on 127.0.0.1:8082, forwarding to the
//   registry (default http://127.0.0.1:8081, or --upstream / the origin of GOCOFFEE_SCHEMA_REGISTRY_URL);
//   htpasswd made with `openssl passwd -apr1`; the Authorization header is not forwarded upstream.
//   Apicurio 3 itself can only do basic auth through an OIDC server, hence a real proxy.
//
// Logs: .stack/secure/logs/kafka.log (failed SASL/TLS handshakes are logged at INFO as
// "Failed authentication with /127.0.0.1 (...)"), registry-proxy-{error,access}.log.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import {
  HOST, KAFKA_LIBS, LOG4J2_PROPERTIES, REGISTRY_BASE_URL, STACK_DIR,
  ensureKafka, isOurPid, kafkaJavaHome, kafkaServerProperties, kafkaUuid, mkdirp, pidExists, plainEnv, portOpen, propertiesText,
  readJson, runJava, secs, spawnDetached, terminate, toolLog4j, waitFor, withPidLock, writeFileAtomic, writeJson,
} from './stack-lib.mjs';

// ---------------------------------------------------------------------------------------------
// Layout, ports, users
// ---------------------------------------------------------------------------------------------
const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SECURE_DIR = path.join(STACK_DIR, 'secure');
const RUN_DIR = path.join(SECURE_DIR, 'run');
const CONF_DIR = path.join(SECURE_DIR, 'conf');
const DATA_DIR = path.join(SECURE_DIR, 'data');
export const SECURE_LOG_DIR = path.join(SECURE_DIR, 'logs');
const STATE_FILE = path.join(RUN_DIR, 'state.json');
const DEFAULT_CERT_DIR = path.join(SECURE_DIR, 'certs');

export const SECURE_PORTS = Object.freeze({
  saslSsl: Number(process.env.GOCOFFEE_STACK_SECURE_SASL_SSL_PORT || 9095),
  saslPlaintext: Number(process.env.GOCOFFEE_STACK_SECURE_SASL_PLAINTEXT_PORT || 9096),
  oauth: Number(process.env.GOCOFFEE_STACK_SECURE_OAUTH_PORT || 9097),
  controller: Number(process.env.GOCOFFEE_STACK_SECURE_CONTROLLER_PORT || 9195),
  registryProxy: Number(process.env.GOCOFFEE_STACK_SECURE_PROXY_PORT || 8082),
});
const NODE_ID = 1;
/** connections.max.reauth.ms of the OAUTHBEARER listener: a connection re-authenticates this often. */
export const OAUTH_REAUTH_MS = 5000;
const KAFKA_ROLE = 'secure-kafka';
const KAFKA_LOG = path.join(SECURE_LOG_DIR, 'kafka.log');
const KAFKA_PROPS = path.join(CONF_DIR, 'server.properties');
const LOG4J_FILE = path.join(CONF_DIR, 'log4j2.properties');
const NGINX_CONF = path.join(CONF_DIR, 'registry-proxy-nginx.conf');
const NGINX_PREFIX = path.join(SECURE_DIR, 'nginx');
const HTPASSWD = path.join(CONF_DIR, 'registry-proxy.htpasswd');
const PROXY_LOG = path.join(SECURE_LOG_DIR, 'registry-proxy.log');
const PROXY_ERROR_LOG = path.join(SECURE_LOG_DIR, 'registry-proxy-error.log');
const PROXY_ACCESS_LOG = path.join(SECURE_LOG_DIR, 'registry-proxy-access.log');

const START_TIMEOUT_MS = Number(process.env.GOCOFFEE_STACK_TIMEOUT_MS || 120_000);
const STOP_TIMEOUT_MS = 20_000;

let quiet = false;
export function setQuiet(q) { quiet = q; }
const log = (...a) => { if (!quiet) console.error('[stack-secure]', ...a); };
/** Random password: base64url only, so it needs no quoting in JAAS, --add-scram or htpasswd. */
const newPassword = (tag) => `${tag}-${crypto.randomBytes(12).toString('base64url')}`;

/** Files holding passwords: readable by this user only. */
const writePrivate = (file, text) => writeFileAtomic(file, text, 0o600);
const readState = () => readJson(STATE_FILE) ?? {};
const writeState = (s) => writeJson(STATE_FILE, s, 0o600);

/** Command-line markers of our processes (checked by isOurPid before any signal is sent). */
const KAFKA_MARKERS = [`-Dgocoffee.stack.dir=${STACK_DIR}`, `-Dgocoffee.stack.role=${KAFKA_ROLE}`];
const NGINX_MARKERS = [NGINX_CONF];

/** SIGTERM, wait, SIGKILL; only for a pid verified to be ours. */
async function stopPid(pid, markers, label) {
  if (!isOurPid(pid, markers)) return false;
  const t0 = Date.now();
  if (!(await terminate(pid, label, { timeoutMs: STOP_TIMEOUT_MS, say: log }))) return false;
  log(`stopped ${label} (pid ${pid}) in ${secs(t0)} s`);
  return true;
}

function withLock(fn) {
  const lock = path.join(RUN_DIR, 'lock');
  return withPidLock(lock, { timeoutMs: START_TIMEOUT_MS + 60_000, alive: pidExists, busy: (pid) => `secure stack is locked by pid ${pid} (${lock})` }, fn);
}

// ---------------------------------------------------------------------------------------------
// Kafka wire protocol over one connection (plain or TLS), with SASL PLAIN / SCRAM: a readiness
// probe that goes through the same security a client does.
// ---------------------------------------------------------------------------------------------
const API = { METADATA: 3, FIND_COORDINATOR: 10, SASL_HANDSHAKE: 17, API_VERSIONS: 18, SASL_AUTHENTICATE: 36 };

function str(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}
function bytes(b) {
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
}

class Rd {
  constructor(buf) { this.b = buf; this.o = 0; }
  i8() { return this.b.readInt8(this.o++); }
  i16() { const v = this.b.readInt16BE(this.o); this.o += 2; return v; }
  i32() { const v = this.b.readInt32BE(this.o); this.o += 4; return v; }
  str() { const n = this.i16(); if (n < 0) return null; const s = this.b.toString('utf8', this.o, this.o + n); this.o += n; return s; }
  bytes() { const n = this.i32(); if (n < 0) return null; const s = this.b.subarray(this.o, this.o + n); this.o += n; return s; }
}

class KafkaConn {
  static open({ host, port, ca, timeoutMs }) {
    return new Promise((resolve, reject) => {
      const opts = { host, port };
      const socket = ca ? tls.connect({ ...opts, ca }) : net.connect(opts);
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connect ${host}:${port}: timeout`)); }, timeoutMs);
      socket.once(ca ? 'secureConnect' : 'connect', () => { clearTimeout(timer); resolve(new KafkaConn(socket, timeoutMs)); });
      socket.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  constructor(socket, timeoutMs) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    this.corr = 1;
    this.buf = Buffer.alloc(0);
    this.pending = null;
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.#deliver(); });
    socket.on('error', (e) => this.#fail(e));
    socket.on('close', () => this.#fail(new Error('connection closed by the broker')));
  }

  #deliver() {
    if (!this.pending || this.buf.length < 4) return;
    const size = this.buf.readInt32BE(0);
    if (this.buf.length < size + 4) return;
    const frame = this.buf.subarray(4, size + 4);
    this.buf = this.buf.subarray(size + 4);
    const p = this.pending;
    this.pending = null;
    clearTimeout(p.timer);
    if (frame.readInt32BE(0) !== p.corr) p.reject(new Error('correlation id mismatch'));
    else p.resolve(frame.subarray(4));
  }

  #fail(e) {
    const p = this.pending;
    this.pending = null;
    if (p) { clearTimeout(p.timer); p.reject(e); }
  }

  /** One request (non-flexible versions only); resolves with the response body. */
  request(apiKey, version, body) {
    return new Promise((resolve, reject) => {
      const corr = this.corr++;
      const header = Buffer.alloc(8);
      header.writeInt16BE(apiKey, 0);
      header.writeInt16BE(version, 2);
      header.writeInt32BE(corr, 4);
      const payload = Buffer.concat([header, str('gocoffee-stack-secure-probe'), body]);
      const size = Buffer.alloc(4);
      size.writeInt32BE(payload.length);
      const timer = setTimeout(() => this.#fail(new Error(`request ${apiKey} timed out`)), this.timeoutMs);
      this.pending = { corr, resolve, reject, timer };
      this.socket.write(Buffer.concat([size, payload]));
    });
  }

  close() { this.socket.destroy(); }
}

async function apiVersionsOf(conn) {
  const r = new Rd(await conn.request(API.API_VERSIONS, 0, Buffer.alloc(0)));
  const err = r.i16();
  if (err !== 0) throw new Error(`ApiVersions error_code ${err}`);
  const apis = new Map();
  for (let i = 0, n = r.i32(); i < n; i++) { const k = r.i16(); apis.set(k, { min: r.i16(), max: r.i16() }); }
  return apis;
}
function pick(apis, key, lo, hi) {
  const range = apis.get(key);
  const v = range ? Math.min(hi, range.max) : -1;
  if (!range || v < Math.max(lo, range.min)) throw new Error(`broker supports no version ${lo}..${hi} of API ${key}`);
  return v;
}

/** RFC 5802 client side; returns [first message, (serverFirst) => final message, (serverFinal) => void]. */
function scramClient(mechanism, username, password) {
  const hash = mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256';
  const keyLen = hash === 'sha512' ? 64 : 32;
  const hmac = (key, data) => crypto.createHmac(hash, key).update(data).digest();
  const nonce = crypto.randomBytes(18).toString('base64');
  const bare = `n=${username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
  let serverSignature;
  return {
    first: Buffer.from(`n,,${bare}`),
    final(serverFirst) {
      const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
      if (!attrs.r?.startsWith(nonce)) throw new Error('SCRAM: server nonce does not extend ours');
      const salted = crypto.pbkdf2Sync(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), keyLen, hash);
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = crypto.createHash(hash).update(clientKey).digest();
      const withoutProof = `c=biws,r=${attrs.r}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
      serverSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
    },
    verify(serverFinal) {
      if (serverFinal !== `v=${serverSignature}`) throw new Error(`SCRAM: bad server signature (${serverFinal.split(',')[0].slice(0, 2)})`);
    },
  };
}

async function saslAuthenticate(conn, apis, mechanism, username, password) {
  const hs = new Rd(await conn.request(API.SASL_HANDSHAKE, pick(apis, API.SASL_HANDSHAKE, 1, 1), str(mechanism)));
  const hsErr = hs.i16();
  const offered = [];
  for (let i = 0, n = hs.i32(); i < n; i++) offered.push(hs.str());
  if (hsErr !== 0) throw new Error(`SaslHandshake ${mechanism}: error_code ${hsErr} (broker offers ${offered.join(', ')})`);
  const version = pick(apis, API.SASL_AUTHENTICATE, 0, 1);
  const round = async (payload) => {
    const r = new Rd(await conn.request(API.SASL_AUTHENTICATE, version, bytes(payload)));
    const err = r.i16();
    const msg = r.str();
    if (err !== 0) throw new Error(`SaslAuthenticate ${mechanism} as ${username}: error_code ${err}${msg ? ` (${msg})` : ''}`);
    return (r.bytes() ?? Buffer.alloc(0)).toString('utf8');
  };
  if (mechanism === 'PLAIN') {
    await round(Buffer.from(`\0${username}\0${password}`));
    return;
  }
  if (mechanism === 'OAUTHBEARER') {
    // RFC 7628 client initial response (GS2 header, no authzid); `password` is the token.
    await round(Buffer.from(`n,,\x01auth=Bearer ${password}\x01\x01`));
    return;
  }
  const scram = scramClient(mechanism, username, password);
  const serverFirst = await round(scram.first);
  const serverFinal = await round(scram.final(serverFirst));
  scram.verify(serverFinal);
}

/**
 * Connects to one listener, authenticates (SASL PLAIN or SCRAM, over TLS when `ca` is given),
 * then asks for metadata and the coordinator of a probe group. Resolves { ok, brokers, ... }.
 */
export async function probeListener({ port, ca, mechanism, username, password, timeoutMs = 3000, group = 'gocoffee-stack-secure-probe' }) {
  let conn;
  try {
    conn = await KafkaConn.open({ host: HOST, port, ca, timeoutMs });
    const apis = await apiVersionsOf(conn);
    await saslAuthenticate(conn, apis, mechanism, username, password);
    const mv = pick(apis, API.METADATA, 4, 8);
    const mdBody = [Buffer.from([0, 0, 0, 0]), Buffer.from([0])];
    if (mv >= 8) mdBody.push(Buffer.from([0, 0]));
    const md = new Rd(await conn.request(API.METADATA, mv, Buffer.concat(mdBody)));
    md.i32();
    const brokers = [];
    for (let i = 0, n = md.i32(); i < n; i++) { const nodeId = md.i32(); const host = md.str(); const p = md.i32(); md.str(); brokers.push({ nodeId, host, port: p }); }
    const clusterId = md.str();
    let coordinatorError = 0;
    if (group) {
      const fv = pick(apis, API.FIND_COORDINATOR, 1, 2);
      const fc = new Rd(await conn.request(API.FIND_COORDINATOR, fv, Buffer.concat([str(group), Buffer.from([0])])));
      fc.i32();
      coordinatorError = fc.i16();
    }
    return { ok: brokers.some((b) => b.nodeId === NODE_ID) && coordinatorError === 0, brokers, clusterId, coordinatorError };
  } catch (e) {
    return { ok: false, error: e.message };
  } finally {
    conn?.close();
  }
}

/**
 * An unsecured JWT (RFC 7519 with header alg "none" and an empty signature) as Kafka's
 * OAuthBearerUnsecuredValidatorCallbackHandler accepts it: sub, iat and exp (NumericDate, seconds).
 * `claims` overrides or removes (undefined) any of them.
 */
export function unsecuredJwt(sub, lifetimeSeconds, claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub, iat: now, exp: now + lifetimeSeconds, ...claims };
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none' })}.${b64(payload)}.`;
}

// ---------------------------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------------------------
const certPaths = (dir) => ({
  dir,
  caFile: path.join(dir, 'ca.pem'),
  keystoreFile: path.join(dir, 'server-keystore.pem'),
});

function ensureCerts(certDir) {
  if (certDir) {
    const c = certPaths(path.resolve(certDir));
    for (const f of [c.caFile, c.keystoreFile]) if (!fs.existsSync(f)) throw new Error(`--certs ${certDir}: ${path.basename(f)} missing (make it with test/helpers/certs.ts)`);
    return c;
  }
  const c = certPaths(DEFAULT_CERT_DIR);
  if (fs.existsSync(c.keystoreFile) && fs.existsSync(c.caFile)) return c;
  log(`making a throwaway CA and server certificate in ${DEFAULT_CERT_DIR}`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_DIR, 'test', 'helpers', 'certs.ts'), DEFAULT_CERT_DIR],
    { cwd: REPO_DIR, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`cannot make certificates (test/helpers/certs.ts): ${res.stderr || res.error?.message}`);
  return c;
}

function newUsers() {
  return {
    scram256: { username: 'gocoffee-scram256', password: newPassword('scram256'), mechanism: 'SCRAM-SHA-256', listener: 'SASL_SSL' },
    scram512: { username: 'gocoffee-scram512', password: newPassword('scram512'), mechanism: 'SCRAM-SHA-512', listener: 'SASL_SSL' },
    plain: { username: 'gocoffee-plain', password: newPassword('plain'), mechanism: 'PLAIN', listener: 'SASL_PLAINTEXT' },
    admin: { username: 'admin', password: newPassword('admin'), mechanism: 'PLAIN', listener: 'SASL_PLAINTEXT' },
  };
}

/** server.properties of the secure node: the shared stack's settings with its own listeners and data. */
export function secureServerProperties(certs, users) {
  const P = SECURE_PORTS;
  const listeners = [
    ['SASL_SSL', 'SASL_SSL', P.saslSsl],
    ['SASL_PLAINTEXT', 'SASL_PLAINTEXT', P.saslPlaintext],
    ['OAUTH', 'SASL_PLAINTEXT', P.oauth],
    ['CONTROLLER', 'PLAINTEXT', P.controller],
  ];
  const jaasPlain = 'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
    `username="${users.admin.username}" password="${users.admin.password}" ` +
    [users.admin, users.plain].map((u) => `user_${u.username}="${u.password}"`).join(' ') + ';';
  const jaasScram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  return {
    ...kafkaServerProperties(NODE_ID, 1),
    'node.id': NODE_ID,
    'controller.quorum.bootstrap.servers': `${HOST}:${P.controller}`,
    listeners: listeners.map(([n, , p]) => `${n}://${HOST}:${p}`).join(','),
    'advertised.listeners': listeners.map(([n, , p]) => `${n}://${HOST}:${p}`).join(','),
    'listener.security.protocol.map': listeners.map(([n, proto]) => `${n}:${proto}`).join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'log.dirs': path.join(DATA_DIR, 'node-1'),
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.num.partitions': 3,
    // SASL_PLAINTEXT: PLAIN, users in the JAAS config
    'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': jaasPlain,
    // SASL_SSL: SCRAM (credentials in the metadata log, from StorageTool --add-scram), PEM files
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': jaasScram,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': jaasScram,
    'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.keystore.location': certs.keystoreFile,
    'listener.name.sasl_ssl.ssl.truststore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.truststore.location': certs.caFile,
    'listener.name.sasl_ssl.ssl.client.auth': 'requested',
    // OAUTH: OAUTHBEARER with the default (unsecured JWT) validator. The login module's own login
    // (the broker as a client of this mechanism; never used, inter-broker is PLAIN) needs a sub.
    // A session lasts at most OAUTH_REAUTH_MS (or until the token's exp, if sooner): the client
    // must re-authenticate on the open connection, with its current token, or be disconnected.
    'listener.name.oauth.sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.oauth.oauthbearer.sasl.jaas.config':
      'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";',
    'listener.name.oauth.oauthbearer.connections.max.reauth.ms': OAUTH_REAUTH_MS,
    // Failed logins are answered after this delay (Kafka's default 100 ms), which slows down
    // a client retrying with a wrong password; kept explicit because the tests count them.
    'connection.failed.authentication.delay.ms': 100,
  };
}

function kafkaHealthyProbe(state) {
  const u = state.users;
  let ca;
  try {
    ca = fs.readFileSync(state.certs.caFile);
  } catch (e) {
    return Promise.resolve({ ok: false, error: `CA file of the running broker: ${e.message}` });
  }
  return Promise.all([
    probeListener({ port: SECURE_PORTS.saslPlaintext, mechanism: 'PLAIN', ...pickCreds(u.plain) }),
    probeListener({ port: SECURE_PORTS.saslSsl, ca, mechanism: 'SCRAM-SHA-256', ...pickCreds(u.scram256) }),
    probeListener({ port: SECURE_PORTS.saslSsl, ca, mechanism: 'SCRAM-SHA-512', ...pickCreds(u.scram512) }),
    // Also makes `up` restart a broker started before the OAUTH listener existed.
    probeListener({ port: SECURE_PORTS.oauth, mechanism: 'OAUTHBEARER', username: 'gocoffee-stack-probe', password: unsecuredJwt('gocoffee-stack-probe', 60) }),
  ]).then(([plain, s256, s512, oauth]) => ({ ok: plain.ok && s256.ok && s512.ok && oauth.ok, plain, scram256: s256, scram512: s512, oauth }));
}
const pickCreds = (u) => ({ username: u.username, password: u.password });

/** How the secure broker and the proxy are waited for (waitFor of stack-lib.mjs). */
const READY = { timeoutMs: START_TIMEOUT_MS, intervalMs: 300 };

async function startKafka(certs) {
  ensureKafka();
  for (const p of [SECURE_PORTS.saslSsl, SECURE_PORTS.saslPlaintext, SECURE_PORTS.oauth, SECURE_PORTS.controller]) {
    if (await portOpen(p)) throw new Error(`port ${HOST}:${p} is already in use by another program`);
  }
  const users = newUsers();
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  const props = secureServerProperties(certs, users);
  writePrivate(KAFKA_PROPS, propertiesText('generated by scripts/stack-secure.mjs (secure single node; holds passwords)', props));
  writePrivate(LOG4J_FILE, LOG4J2_PROPERTIES);
  const javaHome = kafkaJavaHome();
  const clusterId = kafkaUuid();
  const tf = Date.now();
  await runJava(javaHome, ['-Xmx256m', `-Dlog4j2.configurationFile=${toolLog4j()}`, '-cp', `${KAFKA_LIBS}/*`,
    'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', KAFKA_PROPS, '--standalone',
    '--add-scram', `SCRAM-SHA-256=[name=${users.scram256.username},password=${users.scram256.password}]`,
    '--add-scram', `SCRAM-SHA-512=[name=${users.scram512.username},password=${users.scram512.password}]`,
  ], 'format the secure node (StorageTool)').catch((e) => {
    // The tool echoes its arguments on some errors: never print the passwords.
    throw new Error(redactUsers(e.message, users));
  });
  log(`formatted KRaft storage with SCRAM users in ${secs(tf)} s`);
  const pid = spawnDetached(path.join(javaHome, 'bin', 'java'), [
    '-Xms128m', '-Xmx384m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J_FILE}`, ...KAFKA_MARKERS,
    '-cp', `${KAFKA_LIBS}/*`, 'kafka.Kafka', KAFKA_PROPS,
  ], KAFKA_LOG, { append: true });
  return { pid, clusterId, users, certs, startedAt: new Date().toISOString() };
}

function redactUsers(text, users) {
  let out = text;
  for (const u of Object.values(users)) out = out.split(u.password).join('[REDACTED]');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Registry proxy (nginx + auth_basic)
// ---------------------------------------------------------------------------------------------
export function findNginx() {
  const candidates = [process.env.GOCOFFEE_STACK_NGINX, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.splice(1, 0, which.stdout.trim());
  const found = candidates.find((c) => c && fs.existsSync(c));
  if (!found) throw new Error('nginx not found: install it (Debian/Ubuntu: apt-get install nginx) or set GOCOFFEE_STACK_NGINX');
  return found;
}

function nginxConf(upstream) {
  const u = new URL(upstream);
  const t = (n) => path.join(NGINX_PREFIX, n);
  return `# generated by scripts/stack-secure.mjs: HTTP basic auth in front of the Schema Registry
worker_processes 1;
daemon off;
pid ${path.join(RUN_DIR, 'nginx.pid')};
error_log ${PROXY_ERROR_LOG} info;
events { worker_connections 256; }
http {
  access_log ${PROXY_ACCESS_LOG};
  client_body_temp_path ${t('client_body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  server {
    listen ${HOST}:${SECURE_PORTS.registryProxy};
    server_tokens off;
    client_max_body_size 16m;
    location / {
      auth_basic "gocoffee schema registry";
      auth_basic_user_file ${HTPASSWD};
      proxy_set_header Authorization "";
      proxy_set_header Host ${u.host};
      proxy_http_version 1.1;
      proxy_ssl_server_name on;
      proxy_pass ${u.protocol}//${u.host};
    }
  }
}
`;
}

async function proxyProbe(state) {
  const url = `http://${HOST}:${SECURE_PORTS.registryProxy}/apis/ccompat/v7/subjects`;
  try {
    const auth = `Basic ${Buffer.from(`${state.username}:${state.password}`).toString('base64')}`;
    const [ok, anon] = await Promise.all([
      fetch(url, { headers: { authorization: auth }, signal: AbortSignal.timeout(3000) }),
      fetch(url, { signal: AbortSignal.timeout(3000) }),
    ]);
    await Promise.all([ok.arrayBuffer(), anon.arrayBuffer()]);
    return { ok: ok.status === 200 && anon.status === 401, authorized: ok.status, anonymous: anon.status };
  } catch (e) {
    return { ok: false, error: e.cause?.code || e.message };
  }
}

async function startProxy(upstream) {
  const nginx = findNginx();
  if (await portOpen(SECURE_PORTS.registryProxy)) throw new Error(`port ${HOST}:${SECURE_PORTS.registryProxy} is already in use by another program`);
  try {
    const res = await fetch(`${upstream}/apis/ccompat/v7/subjects`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
  } catch (e) {
    throw new Error(`the registry behind the proxy (${upstream}) does not answer (${e.cause?.code || e.cause?.message || e.message}): start the shared stack first (node scripts/stack.mjs up) or pass --upstream`);
  }
  const username = 'gocoffee-registry';
  const password = newPassword('registry');
  const hash = spawnSync('openssl', ['passwd', '-apr1', '-stdin'], { input: `${password}\n`, encoding: 'utf8', env: plainEnv() });
  if (hash.status !== 0) throw new Error(`openssl passwd -apr1 failed: ${hash.stderr}`);
  mkdirp(CONF_DIR);
  // Readable by nginx's worker (an unprivileged user when nginx runs as root); a salted hash only.
  fs.writeFileSync(HTPASSWD, `${username}:${hash.stdout.trim()}\n`, { mode: 0o644 });
  fs.chmodSync(HTPASSWD, 0o644);
  mkdirp(NGINX_PREFIX);
  mkdirp(SECURE_LOG_DIR);
  fs.writeFileSync(NGINX_CONF, nginxConf(upstream));
  const test = spawnSync(nginx, ['-t', '-q', '-e', PROXY_ERROR_LOG, '-p', NGINX_PREFIX, '-c', NGINX_CONF], { encoding: 'utf8', env: plainEnv() });
  if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}`);
  const pid = spawnDetached(nginx, ['-e', PROXY_ERROR_LOG, '-p', NGINX_PREFIX, '-c', NGINX_CONF], PROXY_LOG, { append: true });
  return { pid, username, password, upstream, nginx, startedAt: new Date().toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------
function describeKafka(k) {
  if (!k) return null;
  return {
    pid: k.pid,
    clusterId: k.clusterId,
    saslSslBootstrap: `${HOST}:${SECURE_PORTS.saslSsl}`,
    saslPlaintextBootstrap: `${HOST}:${SECURE_PORTS.saslPlaintext}`,
    oauthBootstrap: `${HOST}:${SECURE_PORTS.oauth}`,
    oauthReauthMs: OAUTH_REAUTH_MS,
    controller: `${HOST}:${SECURE_PORTS.controller}`,
    certDir: k.certs.dir,
    caFile: k.certs.caFile,
    users: k.users,
    log: KAFKA_LOG,
    startedAt: k.startedAt,
  };
}
function describeProxy(p) {
  if (!p) return null;
  const url = `http://${HOST}:${SECURE_PORTS.registryProxy}`;
  return {
    pid: p.pid, url, registryUrl: `${url}/apis/ccompat/v7`, upstream: p.upstream, username: p.username, password: p.password,
    logs: { errors: PROXY_ERROR_LOG, access: PROXY_ACCESS_LOG, process: PROXY_LOG }, startedAt: p.startedAt,
  };
}

/** Status: { kafka: {..., alive, healthy} | null, proxy: {..., alive, healthy} | null, healthy }. */
export async function secureStatus() {
  const s = readState();
  const out = { kafka: null, proxy: null };
  if (s.kafka) {
    const alive = isOurPid(s.kafka.pid, KAFKA_MARKERS);
    const h = alive ? await kafkaHealthyProbe(s.kafka) : { ok: false };
    out.kafka = { ...describeKafka(s.kafka), alive, healthy: h.ok, probe: alive ? { plain: h.plain, scram256: h.scram256, scram512: h.scram512, oauth: h.oauth } : undefined };
  }
  if (s.proxy) {
    const alive = isOurPid(s.proxy.pid, NGINX_MARKERS);
    const h = alive ? await proxyProbe(s.proxy) : { ok: false };
    out.proxy = { ...describeProxy(s.proxy), alive, healthy: h.ok, probe: alive ? h : undefined };
  }
  out.healthy = (out.kafka !== null || out.proxy !== null) && [out.kafka, out.proxy].every((x) => x === null || x.healthy);
  return out;
}

/**
 * Starts the secure broker and/or the registry proxy (idempotent: a healthy one with the same
 * certificates / upstream is reused). Options: { certDir, kafka = true, proxy = true, upstream }.
 * Resolves { kafka, proxy, alreadyRunning: { kafka, proxy }, seconds } including the credentials.
 */
export async function secureUp({ certDir, kafka = true, proxy = true, upstream } = {}) {
  return withLock(async () => {
    const t0 = Date.now();
    const state = readState();
    const already = { kafka: false, proxy: false };
    const jobs = [];

    if (kafka) {
      // --certs, else the running broker's certificates (if still there), else .stack/secure/certs.
      const prev = state.kafka?.certs;
      const certs = certDir || !prev || !fs.existsSync(prev.keystoreFile) || !fs.existsSync(prev.caFile) ? ensureCerts(certDir) : prev;
      const cur = state.kafka;
      const running = cur && isOurPid(cur.pid, KAFKA_MARKERS);
      if (running && cur.certs.dir === certs.dir && (await kafkaHealthyProbe(cur)).ok) {
        already.kafka = true;
      } else {
        if (cur) await stopPid(cur.pid, KAFKA_MARKERS, 'secure Kafka');
        delete state.kafka;
        writeState(state);
        state.kafka = await startKafka(certs);
        writeState(state);
        log(`started secure Kafka (pid ${state.kafka.pid}); waiting until its listeners answer ...`);
        const pid = state.kafka.pid;
        jobs.push(waitFor('secure Kafka', () => kafkaHealthyProbe(state.kafka), { ...READY, logFile: KAFKA_LOG, alive: () => isOurPid(pid, KAFKA_MARKERS) })
          .catch(async (e) => { await stopPid(pid, KAFKA_MARKERS, 'secure Kafka'); delete state.kafka; writeState(state); throw e; }));
      }
    }

    if (proxy) {
      const up = (upstream || (process.env.GOCOFFEE_SCHEMA_REGISTRY_URL ? new URL(process.env.GOCOFFEE_SCHEMA_REGISTRY_URL).origin : REGISTRY_BASE_URL)).replace(/\/+$/, '');
      const cur = state.proxy;
      const running = cur && isOurPid(cur.pid, NGINX_MARKERS);
      if (running && cur.upstream === up && (await proxyProbe(cur)).ok) {
        already.proxy = true;
      } else {
        if (cur) await stopPid(cur.pid, NGINX_MARKERS, 'registry proxy');
        delete state.proxy;
        state.proxy = await startProxy(up);
        writeState(state);
        const pid = state.proxy.pid;
        jobs.push(waitFor('registry proxy', () => proxyProbe(state.proxy), { ...READY, logFile: PROXY_ERROR_LOG, alive: () => isOurPid(pid, NGINX_MARKERS) })
          .catch(async (e) => { await stopPid(pid, NGINX_MARKERS, 'registry proxy'); delete state.proxy; writeState(state); throw e; }));
      }
    }

    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    log(`secure stack up in ${secs(t0)} s`);
    return {
      alreadyRunning: already,
      kafka: kafka ? describeKafka(state.kafka) : null,
      proxy: proxy ? describeProxy(state.proxy) : null,
      seconds: (Date.now() - t0) / 1000,
    };
  });
}

/** Stops what secureUp started (both, or { kafka: false } / { proxy: false } to keep one). Idempotent. */
export async function secureDown({ kafka = true, proxy = true } = {}) {
  return withLock(async () => {
    const state = readState();
    const stopped = { kafka: false, proxy: false };
    const jobs = [];
    if (kafka && state.kafka) jobs.push(stopPid(state.kafka.pid, KAFKA_MARKERS, 'secure Kafka').then((r) => { stopped.kafka = r; delete state.kafka; }));
    if (proxy && state.proxy) jobs.push(stopPid(state.proxy.pid, NGINX_MARKERS, 'registry proxy').then((r) => { stopped.proxy = r; delete state.proxy; }));
    await Promise.all(jobs);
    if (state.kafka || state.proxy) writeState(state);
    else fs.rmSync(STATE_FILE, { force: true });
    return { stopped };
  });
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------
function usage(code) {
  console.error('usage: node scripts/stack-secure.mjs up [--certs DIR] [--only kafka|proxy] [--upstream URL] [--json]\n' +
    '       node scripts/stack-secure.mjs status [--json]\n' +
    '       node scripts/stack-secure.mjs down [--only kafka|proxy]');
  process.exit(code);
}

function parseArgs(args, allowed) {
  const o = { json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [k, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => inline ?? args[++i] ?? usage(2);
    if (!allowed.includes(k)) usage(2);
    if (k === '--json') o.json = true;
    else if (k === '--certs') o.certDir = val();
    else if (k === '--upstream') o.upstream = val();
    else if (k === '--only') {
      o.only = val();
      if (!['kafka', 'proxy'].includes(o.only)) usage(2);
    }
  }
  return o;
}

function printHuman(r) {
  if (r.kafka) {
    const k = r.kafka;
    console.log(`  Kafka (secure)  pid ${k.pid}${k.alive === false ? ' DEAD' : ''}${k.healthy === false ? ' UNHEALTHY' : ''}`);
    console.log(`    SASL_SSL        ${k.saslSslBootstrap}  SCRAM-SHA-256 user ${k.users.scram256.username}, SCRAM-SHA-512 user ${k.users.scram512.username}; CA ${k.caFile}`);
    console.log(`    SASL_PLAINTEXT  ${k.saslPlaintextBootstrap}  PLAIN user ${k.users.plain.username}`);
    console.log(`    OAUTHBEARER     ${k.oauthBootstrap}  unsecured JWTs (sub, iat, exp), re-authentication every ${k.oauthReauthMs} ms`);
    console.log(`    log             ${k.log}`);
  }
  if (r.proxy) {
    const p = r.proxy;
    console.log(`  registry proxy  pid ${p.pid}${p.alive === false ? ' DEAD' : ''}${p.healthy === false ? ' UNHEALTHY' : ''}  ${p.registryUrl} (basic auth, user ${p.username}) -> ${p.upstream}`);
  }
  console.log(`  passwords: --json, or ${STATE_FILE}`);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'up': {
      const o = parseArgs(rest, ['--certs', '--only', '--upstream', '--json']);
      if (o.json) setQuiet(true);
      const r = await secureUp({ certDir: o.certDir, upstream: o.upstream, kafka: o.only !== 'proxy', proxy: o.only !== 'kafka' });
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(`secure stack up (${r.seconds.toFixed(1)} s${r.alreadyRunning.kafka || r.alreadyRunning.proxy ? ', reused what was running' : ''}):`);
        printHuman(r);
      }
      return 0;
    }
    case 'down': {
      const o = parseArgs(rest, ['--only', '--json']);
      if (o.json) setQuiet(true);
      const r = await secureDown({ kafka: o.only !== 'proxy', proxy: o.only !== 'kafka' });
      console.log(o.json ? JSON.stringify(r) : `stopped: kafka ${r.stopped.kafka}, proxy ${r.stopped.proxy}`);
      return 0;
    }
    case 'status': {
      const o = parseArgs(rest, ['--json']);
      const st = await secureStatus();
      if (o.json) console.log(JSON.stringify(st, null, 2));
      else if (!st.kafka && !st.proxy) console.log('secure stack is down');
      else {
        console.log(`secure stack ${st.healthy ? 'healthy' : 'NOT healthy'}:`);
        printHuman(st);
      }
      return st.healthy ? 0 : 1;
    }
    default:
      return usage(2);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code), (e) => {
    console.error(`[stack-secure] ${e.message}`);
    process.exit(1);
  });
}
