// Local Kafka + Schema Registry stack without Docker (Node standard library only).
//
// What it runs (all on 127.0.0.1, state under .stack/: cache/, data/, conf/, run/, logs/):
//   - Apache Kafka (org.apache.kafka:kafka_2.13 + kafka-tools, fetched with Maven into
//     .stack/cache/kafka-<v>/libs), KRaft combined broker+controller nodes, started as
//     `java -cp 'libs/*' kafka.Kafka node-N.properties`, storage formatted fresh at every `up`
//     (cluster id generated once per mode and kept in .stack/cluster-id-<mode>).
//       single (default): node 1, PLAINTEXT 127.0.0.1:9092, CONTROLLER 127.0.0.1:9192, RF 1
//       three (--brokers 3): nodes 1,2,3 on 9092/9093/9094 (+ controllers 9192/9193/9194),
//                            one quorum of three voters, RF 3, min ISR 2
//     Kafka 4.x runs on Java 17 (the default JDK).
//   - Apicurio Registry 3.x (io.apicurio:apicurio-registry-app:<v>:tar.gz:all; no zip is published),
//     unpacked into .stack/cache/apicurio-<v>/ and run as `java -jar quarkus-run.jar`.
//     Its classes are Java 21 bytecode: it needs JDK >= 21 (the Temurin 25 JDK is picked).
//     In-memory H2 storage (Apicurio's default: apicurio.storage.kind=sql, sql.kind=h2, mem URL).
//     Confluent-compatible API: http://127.0.0.1:8081/apis/ccompat/v7 (enabled by default).
//     Quarkus management interface (health/metrics) on 127.0.0.1:8091.
//
// Apicurio settings (see APICURIO_PROPS) and what was verified with curl against 3.3.3:
//   apicurio.ccompat.legacy-id-mode.enabled=false (Apicurio's default, kept on purpose): ids are
//     content ids, like Confluent's: the same schema under two subjects gets the same id,
//     GET /schemas/ids/{id} resolves it and GET /schemas/ids/{id}/versions lists both subjects.
//     With legacy mode (=true) ids are global ids: the same schema under two subjects gets two ids
//     and an unknown id answers 404 error_code 40401 "Subject 'gid-N' not found" instead of 40403.
//     Set GOCOFFEE_STACK_APICURIO_LEGACY_IDS=true to switch.
//   apicurio.ccompat.use-canonical-hash=true: a schema differing only in whitespace/formatting
//     maps to the existing version/id (POST /subjects/{s} and /subjects/{s}/versions), as Confluent.
//   apicurio.ccompat.max-subjects=100000: GET /subjects returns all (default caps at 1000).
//   apicurio.rules.global.compatibility=BACKWARD: Confluent's default global level (GET /config
//     -> BACKWARD; an incompatible 2nd version of a subject with no level set -> 409). Without it
//     GET /config says NONE (oddly, POST /compatibility/... still said is_compatible:false).
//   Verified: POST /subjects/test-value/versions (Avro) -> {"id":N}; same content again -> same id;
//     GET /schemas/ids/N, GET /subjects/test-value/versions/latest, .../versions/1/schema;
//     PUT /config/test-value {"compatibility":"BACKWARD"} -> 200, GET /config/test-value BACKWARD;
//     POST /compatibility/subjects/test-value/versions/latest compatible -> {"is_compatible":true},
//     incompatible -> {"is_compatible":false}; POST of the incompatible version -> HTTP 409
//     error_code 409; invalid Avro -> 422 error_code 42201; soft and ?permanent=true subject
//     delete, version delete, GET /subjects?deleted=true, GET /schemas/types, GET /mode work.
//   Differences from Confluent seen: ids are not contiguous (content of rejected schemas may take
//     an id); after DELETE /config/{s}, GET /config/{s} still answers 200 with the startup default
//     (Confluent: 404 40408 unless ?defaultToGlobal=true); error messages differ (Java exception
//     text); a JSON schema needs "$schema" (or it fails with 42201 "Failed to discover artifact
//     type"); GET /schemas?subjectPrefix=.. returns only {"schema"} (no subject/version/id);
//     GET /contexts answers [":.:"] (Confluent: ["."]); GET /subjects/{s}/metadata answers 204.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { metadata, findGroupCoordinator } from './stack-kafka-protocol.mjs';

// ---------------------------------------------------------------------------------------------
// Versions and addresses (one place)
// ---------------------------------------------------------------------------------------------
export const KAFKA_VERSION = process.env.GOCOFFEE_STACK_KAFKA_VERSION || '4.4.0';
export const APICURIO_VERSION = process.env.GOCOFFEE_STACK_APICURIO_VERSION || '3.3.3';
/** slf4j 1.x -> log4j2 binding: Kafka's poms ship log4j-core but no binding (the tarball has one). */
const LOG4J_VERSION = '2.25.5';
const KAFKA_MIN_JAVA = 17;
const APICURIO_MIN_JAVA = 21;

export const HOST = '127.0.0.1';
export const REGISTRY_PORT = 8081;
export const REGISTRY_MANAGEMENT_PORT = 8091;
export const REGISTRY_BASE_URL = `http://${HOST}:${REGISTRY_PORT}`;
export const REGISTRY_URL = `${REGISTRY_BASE_URL}/apis/ccompat/v7`;
export const clientPort = (nodeId) => 9091 + nodeId; // 9092, 9093, 9094
export const controllerPort = (nodeId) => 9191 + nodeId; // 9192, 9193, 9194
export const nodeIdsFor = (brokers) => (brokers === 3 ? [1, 2, 3] : [1]);
export const bootstrapServers = (brokers = 1) => nodeIdsFor(brokers).map((id) => `${HOST}:${clientPort(id)}`).join(',');
export const SINGLE_BOOTSTRAP = bootstrapServers(1); // 127.0.0.1:9092
export const THREE_BOOTSTRAP = bootstrapServers(3); // 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const STACK_DIR = path.resolve(process.env.GOCOFFEE_STACK_DIR || path.join(REPO_DIR, '.stack'));
const CACHE_DIR = path.join(STACK_DIR, 'cache');
const RUN_DIR = path.join(STACK_DIR, 'run');
export const LOG_DIR = path.join(STACK_DIR, 'logs');
const STATE_FILE = path.join(RUN_DIR, 'state.json');
export const VERSIONS_FILE = path.join(STACK_DIR, 'versions.json');
export const KAFKA_DIR = path.join(CACHE_DIR, `kafka-${KAFKA_VERSION}`);
export const KAFKA_LIBS = path.join(KAFKA_DIR, 'libs');
const APICURIO_DIR = path.join(CACHE_DIR, `apicurio-${APICURIO_VERSION}`);

const START_TIMEOUT_MS = Number(process.env.GOCOFFEE_STACK_TIMEOUT_MS || 180_000);
const STOP_TIMEOUT_MS = 20_000;

const modeName = (brokers) => (brokers === 3 ? 'three' : 'single');

// ---------------------------------------------------------------------------------------------
// Kafka configuration. Listeners are declared in ONE place: add SASL_SSL / SASL_PLAINTEXT here
// (name, protocol, port per node, extra listener.name.<name>.* properties) and they land in
// listeners, advertised.listeners, listener.security.protocol.map and the properties file.
// ---------------------------------------------------------------------------------------------
export function kafkaListeners(nodeId) {
  return [
    { name: 'PLAINTEXT', protocol: 'PLAINTEXT', port: clientPort(nodeId), client: true, props: {} },
    { name: 'CONTROLLER', protocol: 'PLAINTEXT', port: controllerPort(nodeId), controller: true, props: {} },
    // e.g. { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT', port: 9291 + nodeId, client: true,
    //        props: { 'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN', ... } },
  ];
}

export function kafkaServerProperties(nodeId, brokers) {
  const three = brokers === 3;
  const listeners = kafkaListeners(nodeId);
  const props = {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.bootstrap.servers': nodeIdsFor(brokers).map((id) => `${HOST}:${controllerPort(id)}`).join(','),
    listeners: listeners.map((l) => `${l.name}://${HOST}:${l.port}`).join(','),
    'advertised.listeners': listeners.map((l) => `${l.name}://${HOST}:${l.port}`).join(','),
    'listener.security.protocol.map': listeners.map((l) => `${l.name}:${l.protocol}`).join(','),
    'controller.listener.names': listeners.filter((l) => l.controller).map((l) => l.name).join(','),
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': nodeDataDir(nodeId, brokers),
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    'num.partitions': 1,
    'default.replication.factor': three ? 3 : 1,
    'min.insync.replicas': three ? 2 : 1,
    'offsets.topic.replication.factor': three ? 3 : 1,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': three ? 3 : 1,
    'transaction.state.log.min.isr': three ? 2 : 1,
    'transaction.state.log.num.partitions': 10,
    'share.coordinator.state.topic.replication.factor': three ? 3 : 1,
    'share.coordinator.state.topic.min.isr': three ? 2 : 1,
    'group.initial.rebalance.delay.ms': 0,
    // KIP-848 groups: the floor a group's own consumer.session.timeout.ms may go down to (the default
    // stays 45 s); the consumer crash test lowers its group's so a killed member expires sooner.
    'group.consumer.min.session.timeout.ms': 6000,
    'num.network.threads': 3,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.retention.hours': 24,
  };
  for (const l of listeners) Object.assign(props, l.props);
  return props;
}

/**
 * log4j2.properties of a Kafka JVM: console at INFO, the state-change and request loggers at WARN,
 * then `loggers` ({ key: [logger name, level] }) in order.
 */
export function kafkaLog4j2(generatedBy, loggers = {}) {
  return `# generated by ${generatedBy}
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
` + Object.entries(loggers).map(([key, [name, level]]) => `logger.${key}.name = ${name}\nlogger.${key}.level = ${level}\n`).join('');
}

const LOG4J2_PROPERTIES = kafkaLog4j2('scripts/stack-lib.mjs', {
  controller: ['org.apache.kafka.controller', 'INFO'],
  coordinator: ['org.apache.kafka.coordinator', 'INFO'],
});

// Apicurio Registry settings (Quarkus/MicroProfile config, passed as -D...)
export const APICURIO_PROPS = {
  'quarkus.http.host': HOST,
  'quarkus.http.port': REGISTRY_PORT,
  'quarkus.management.host': HOST,
  'quarkus.management.port': REGISTRY_MANAGEMENT_PORT,
  'apicurio.storage.kind': 'sql',
  'apicurio.storage.sql.kind': 'h2',
  'apicurio.ccompat.legacy-id-mode.enabled': /^(1|true|yes)$/i.test(process.env.GOCOFFEE_STACK_APICURIO_LEGACY_IDS || '') ? 'true' : 'false',
  'apicurio.ccompat.use-canonical-hash': 'true',
  'apicurio.ccompat.max-subjects': 100000,
  'apicurio.rules.global.compatibility': 'BACKWARD',
  'apicurio.storage.snapshot.location': path.join(STACK_DIR, 'data', 'registry'),
  'apicurio.import.work-dir': path.join(STACK_DIR, 'data', 'registry'),
  'quarkus.http.access-log.enabled': 'false',
};

// ---------------------------------------------------------------------------------------------
// Small helpers (exported ones are shared with scripts/stack-secure.mjs and stack-cluster.mjs)
// ---------------------------------------------------------------------------------------------
export const secs = (t) => ((Date.now() - t) / 1000).toFixed(1);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const mkdirp = (d) => fs.mkdirSync(d, { recursive: true });
const log = (...a) => { if (!quiet) console.error('[stack]', ...a); };
let quiet = false;
export function setQuiet(q) { quiet = q; }

function nodeDataDir(nodeId, brokers) { return path.join(STACK_DIR, 'data', modeName(brokers), `node-${nodeId}`); }
function nodeConfFile(nodeId, brokers) { return path.join(STACK_DIR, 'conf', modeName(brokers), `node-${nodeId}.properties`); }
const nodeLogFile = (nodeId) => path.join(LOG_DIR, `kafka-${nodeId}.log`);
const registryLogFile = () => path.join(LOG_DIR, 'registry.log');

/** The last `lines` lines of a log file (or a note that there is none). */
export function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8').split('\n');
    return text.slice(-lines - 1).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

/** The parsed JSON of `file`, or null when it is missing or not JSON. */
export function readJson(file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return null; }
}
/** Writes `text` through a temporary file and a rename (a reader never sees half a file); `mode` for the new file. */
export function writeFileAtomic(file, text, mode) {
  mkdirp(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, mode === undefined ? undefined : { mode });
  fs.renameSync(tmp, file);
}
export function writeJson(file, value, mode) {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', mode);
}
/** A Java .properties file: a `# comment` line, then key=value lines. */
export function propertiesText(comment, props) {
  return `# ${comment}\n` + Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

function readState() { return readJson(STATE_FILE); }
function writeState(state) { writeJson(STATE_FILE, state); }

/** Kafka-style random Uuid (base64url of 16 random bytes, never starting with '-'). */
export function kafkaUuid() {
  for (;;) {
    const s = crypto.randomBytes(16).toString('base64url');
    if (!s.startsWith('-')) return s;
  }
}

/** Does signal 0 reach `pid` (a zombie counts)? */
export function pidExists(pid) {
  if (!pid) return false;
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Is `pid` alive: signal 0 reaches it and it is no zombie (without /proc: signal 0 alone)? */
export function pidAlive(pid) {
  if (!pidExists(pid)) return false;
  try { return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return true; }
}

/**
 * Is `pid` alive and its command line ours (contains every marker)? Without /proc the command
 * line cannot be read: `trustUnverified` answers (default: trust the signal 0).
 */
export function isOurPid(pid, markers, { trustUnverified = true } = {}) {
  if (!pidAlive(pid)) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return markers.every((m) => cmd.includes(m));
  } catch {
    return trustUnverified;
  }
}

/** Is `pid` alive and one of ours (its command line mentions this stack's tag)? */
function isOurProcess(pid, role) {
  return isOurPid(pid, [`-Dgocoffee.stack.dir=${STACK_DIR}`, ...(role ? [`-Dgocoffee.stack.role=${role}`] : [])]);
}

export function portOpen(port, host = HOST, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => { s.destroy(); resolve(false); }, timeoutMs);
    s.on('connect', () => { clearTimeout(t); s.destroy(); resolve(true); });
    s.on('error', () => { clearTimeout(t); resolve(false); });
  });
}

// ---------------------------------------------------------------------------------------------
// Java
// ---------------------------------------------------------------------------------------------
function javaMajorOf(home) {
  try {
    const rel = fs.readFileSync(path.join(home, 'release'), 'utf8');
    const m = /JAVA_VERSION="(\d+)(?:\.(\d+))?/.exec(rel);
    if (!m) return 0;
    return m[1] === '1' ? Number(m[2]) : Number(m[1]);
  } catch {
    return 0;
  }
}

/** A JDK home with major version >= min: env override, JAVA_HOME, `java` on PATH, /usr/lib/jvm/*. */
export function findJavaHome(min, overrideVar) {
  const candidates = [];
  if (overrideVar && process.env[overrideVar]) return process.env[overrideVar];
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME);
  const which = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) {
    try { candidates.push(path.resolve(path.dirname(fs.realpathSync(which.stdout.trim())), '..')); } catch { /* ignore */ }
  }
  const first = candidates.find((h) => javaMajorOf(h) >= min);
  if (first) return first;
  const jvmRoot = '/usr/lib/jvm';
  let others = [];
  try {
    others = fs.readdirSync(jvmRoot).map((d) => path.join(jvmRoot, d))
      .filter((d) => !fs.lstatSync(d).isSymbolicLink() && fs.existsSync(path.join(d, 'bin', 'java')))
      .map((d) => ({ d, v: javaMajorOf(d) }))
      .filter((x) => x.v >= min)
      .sort((a, b) => a.v - b.v);
  } catch { /* ignore */ }
  if (others.length) return others[0].d;
  throw new Error(`no JDK >= ${min} found (set ${overrideVar || 'JAVA_HOME'})`);
}
export const kafkaJavaHome = () => findJavaHome(KAFKA_MIN_JAVA, 'GOCOFFEE_STACK_KAFKA_JAVA_HOME');
const apicurioJavaHome = () => findJavaHome(APICURIO_MIN_JAVA, 'GOCOFFEE_STACK_APICURIO_JAVA_HOME');

// ---------------------------------------------------------------------------------------------
// Downloads (Maven; jars cached in ~/.m2 and in .stack/cache; nothing is fetched when present)
// ---------------------------------------------------------------------------------------------
function runMaven(args, cwd, what) {
  const t0 = Date.now();
  log(`fetching ${what} with Maven ...`);
  const res = spawnSync('mvn', ['-q', '-B', ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: plainEnv() });
  if (res.error) throw new Error(`cannot run mvn: ${res.error.message}`);
  if (res.status !== 0) {
    // eslint-disable-next-line no-control-regex
    const lines = `${res.stdout}\n${res.stderr}`.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    const errors = lines.filter((l) => /^\[ERROR\] \S/.test(l) && !/Re-run Maven|For more information|^\[ERROR\] \[Help 1\]|full stack trace/.test(l));
    const out = (errors.length ? errors : lines).slice(0, 12).join('\n');
    throw new Error(`mvn failed for ${what} (exit ${res.status}):\n${out}`);
  }
  log(`fetched ${what} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Ensures Kafka (broker + kafka-tools) jars in .stack/cache/kafka-<v>/libs; returns the libs dir. */
export function ensureKafka() {
  const marker = path.join(KAFKA_LIBS, '.complete');
  if (fs.existsSync(marker)) return KAFKA_LIBS;
  mkdirp(KAFKA_DIR);
  fs.rmSync(KAFKA_LIBS, { recursive: true, force: true });
  const dep = (g, a, v) => `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  fs.writeFileSync(path.join(KAFKA_DIR, 'pom.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/stack-lib.mjs: runtime classpath of a local Kafka ${KAFKA_VERSION} -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>gocoffee.stack</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
${dep('org.apache.kafka', 'kafka-tools', KAFKA_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
  </dependencies>
</project>
`);
  runMaven(['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${KAFKA_LIBS}`], KAFKA_DIR,
    `Kafka ${KAFKA_VERSION}`);
  if (!fs.existsSync(path.join(KAFKA_LIBS, `kafka_2.13-${KAFKA_VERSION}.jar`))) throw new Error(`kafka_2.13-${KAFKA_VERSION}.jar missing after mvn`);
  fs.writeFileSync(marker, new Date().toISOString() + '\n');
  return KAFKA_LIBS;
}

/** Ensures Apicurio Registry unpacked in .stack/cache/apicurio-<v>/; returns the quarkus-run.jar path. */
export function ensureApicurio() {
  const marker = path.join(APICURIO_DIR, '.complete');
  const runJar = path.join(APICURIO_DIR, 'quarkus-run.jar');
  if (fs.existsSync(marker)) return runJar;
  const dl = path.join(CACHE_DIR, 'downloads');
  mkdirp(dl);
  fs.writeFileSync(path.join(dl, 'pom.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/stack-lib.mjs: a stub project for dependency:copy -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>gocoffee.stack</groupId><artifactId>downloads</artifactId><version>1</version><packaging>pom</packaging>
</project>
`);
  let archive = null;
  let lastErr = null;
  for (const ext of ['tar.gz', 'zip']) {
    const file = path.join(dl, `apicurio-registry-app-${APICURIO_VERSION}-all.${ext}`);
    if (!fs.existsSync(file)) {
      try {
        runMaven(['dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:${ext}:all`,
          `-DoutputDirectory=${dl}`], dl, `Apicurio Registry ${APICURIO_VERSION} (${ext})`);
      } catch (e) {
        lastErr = e;
        continue;
      }
    }
    archive = file;
    break;
  }
  if (!archive) throw lastErr;
  fs.rmSync(APICURIO_DIR, { recursive: true, force: true });
  mkdirp(APICURIO_DIR);
  const res = archive.endsWith('.zip')
    ? spawnSync('unzip', ['-q', archive, '-d', APICURIO_DIR], { encoding: 'utf8', env: plainEnv() })
    : spawnSync('tar', ['-xzf', archive, '-C', APICURIO_DIR], { encoding: 'utf8', env: plainEnv() });
  if (res.status !== 0) throw new Error(`cannot unpack ${archive}: ${res.stderr}`);
  // The archive may hold a top folder: find quarkus-run.jar and move its folder's content up.
  if (!fs.existsSync(runJar)) {
    const found = spawnSync('find', [APICURIO_DIR, '-name', 'quarkus-run.jar'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    if (!found) throw new Error(`quarkus-run.jar not found in ${archive}`);
    const src = path.dirname(found);
    for (const f of fs.readdirSync(src)) fs.renameSync(path.join(src, f), path.join(APICURIO_DIR, f));
  }
  fs.writeFileSync(marker, new Date().toISOString() + '\n');
  fs.rmSync(archive, { force: true }); // a copy stays in ~/.m2
  return runJar;
}

/** java + classpath to run a Kafka class (e.g. org.apache.kafka.tools.ProducerPerformance). */
export function kafkaToolCommand(mainClass, args = []) {
  const libs = ensureKafka();
  return {
    command: path.join(kafkaJavaHome(), 'bin', 'java'),
    args: ['-Xms128m', '-Xmx512m', `-Dlog4j2.configurationFile=${toolLog4j()}`, '-cp', `${libs}/*`, mainClass, ...args],
  };
}

export function toolLog4j() {
  const f = path.join(STACK_DIR, 'conf', 'log4j2-tools.properties');
  if (!fs.existsSync(f)) {
    mkdirp(path.dirname(f));
    fs.writeFileSync(f, LOG4J2_PROPERTIES.replace('rootLogger.level = INFO', 'rootLogger.level = WARN')
      .replace('appender.console.name = STDOUT', 'appender.console.name = STDOUT\nappender.console.target = SYSTEM_ERR'));
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Process control
// ---------------------------------------------------------------------------------------------
/**
 * The environment for a non-Node child (JVMs, Maven, nginx, openssl, tar): without the sanitizer
 * variables of `npm run test:asan` — an ASan runtime preloaded into a JVM takes over its SIGSEGV
 * handling, and LeakSanitizer would fail the exit of tools that never free at exit.
 */
export function plainEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
  return env;
}

/** Starts a detached process writing to `logFile` (after a header line with its command); returns its pid. */
export function spawnDetached(command, args, logFile, { append = false, env, cwd = STACK_DIR } = {}) {
  mkdirp(path.dirname(logFile));
  const fd = fs.openSync(logFile, append ? 'a' : 'w');
  fs.writeSync(fd, `\n===== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: plainEnv(env), cwd });
  fs.closeSync(fd);
  child.unref();
  return child.pid;
}

/** Waits until `pid` has exited (true) or `timeoutMs` passed (false), looking every `pollMs`. */
export async function waitExit(pid, timeoutMs, pollMs = 100) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try { process.kill(pid, 0); } catch { return true; }
    // A zombie (not reaped because our own child) counts as dead.
    try { if (/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) return true; } catch { return true; }
    await sleep(pollMs);
  }
  return false;
}

/**
 * SIGTERM, wait up to `timeoutMs`, SIGKILL (told through `say`); false when `pid` was gone
 * already. Only for a pid verified to be ours.
 */
export async function terminate(pid, label, { timeoutMs = STOP_TIMEOUT_MS, say = log } = {}) {
  try { process.kill(pid, 'SIGTERM'); } catch { return false; }
  if (!(await waitExit(pid, timeoutMs))) {
    say(`${label} (pid ${pid}) did not stop in ${timeoutMs / 1000} s: SIGKILL`);
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await waitExit(pid, 5000);
  }
  return true;
}

/** SIGTERM, wait, SIGKILL. Only for pids verified to be ours. */
async function stopPid(pid, role, label, timeoutMs = STOP_TIMEOUT_MS) {
  if (!isOurProcess(pid, role)) return false;
  return terminate(pid, label, { timeoutMs });
}

function writeNodeConfig(nodeId, brokers) {
  const file = nodeConfFile(nodeId, brokers);
  mkdirp(path.dirname(file));
  const props = kafkaServerProperties(nodeId, brokers);
  fs.writeFileSync(file, propertiesText(`generated by scripts/stack-lib.mjs (${modeName(brokers)} mode)`, props));
  const log4j = path.join(STACK_DIR, 'conf', 'log4j2.properties');
  fs.writeFileSync(log4j, LOG4J2_PROPERTIES);
  return file;
}

function clusterIdFor(brokers) {
  const f = path.join(STACK_DIR, `cluster-id-${modeName(brokers)}`);
  try {
    const id = fs.readFileSync(f, 'utf8').trim();
    if (id) return id;
  } catch { /* create */ }
  const id = kafkaUuid();
  mkdirp(STACK_DIR);
  fs.writeFileSync(f, id + '\n');
  return id;
}

/** Runs `java` of `javaHome` to its end; resolves its output, rejects with it on a non-zero exit. */
export function runJava(javaHome, args, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(javaHome, 'bin', 'java'), args, { stdio: ['ignore', 'pipe', 'pipe'], env: plainEnv() });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} failed (exit ${code}):\n${out}`))));
  });
}

async function formatStorage(brokers, clusterId) {
  const javaHome = kafkaJavaHome();
  const ids = nodeIdsFor(brokers);
  const dirIds = Object.fromEntries(ids.map((id) => [id, kafkaUuid()]));
  const initial = ids.map((id) => `${id}@${HOST}:${controllerPort(id)}:${dirIds[id]}`).join(',');
  await Promise.all(ids.map((id) => {
    const quorum = brokers === 3 ? ['--initial-controllers', initial] : ['--standalone'];
    return runJava(javaHome, ['-Xmx256m', `-Dlog4j2.configurationFile=${toolLog4j()}`, '-cp', `${KAFKA_LIBS}/*`,
      'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', nodeConfFile(id, brokers), ...quorum], `format node ${id}`);
  }));
}

function startNodeProcess(nodeId, brokers, append) {
  const javaHome = kafkaJavaHome();
  const args = [
    '-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(STACK_DIR, 'conf', 'log4j2.properties')}`,
    `-Dgocoffee.stack.dir=${STACK_DIR}`, `-Dgocoffee.stack.role=kafka-${nodeId}`,
    '-cp', `${KAFKA_LIBS}/*`, 'kafka.Kafka', nodeConfFile(nodeId, brokers),
  ];
  return spawnDetached(path.join(javaHome, 'bin', 'java'), args, nodeLogFile(nodeId), { append });
}

function startRegistryProcess() {
  const runJar = ensureApicurio();
  const args = [
    '-Xms128m', '-Xmx512m', '-XX:+ExitOnOutOfMemoryError',
    ...Object.entries(APICURIO_PROPS).map(([k, v]) => `-D${k}=${v}`),
    `-Dgocoffee.stack.dir=${STACK_DIR}`, '-Dgocoffee.stack.role=registry',
    '-jar', runJar,
  ];
  mkdirp(path.join(STACK_DIR, 'data', 'registry'));
  return spawnDetached(path.join(apicurioJavaHome(), 'bin', 'java'), args, registryLogFile());
}

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------
/** Broker answers Metadata and sees `expectIds` brokers registered. */
export async function brokerHealthy(nodeId, expectIds = [nodeId]) {
  try {
    const md = await metadata(HOST, clientPort(nodeId), 2000);
    const seen = new Set(md.brokers.map((b) => b.nodeId));
    const ok = expectIds.every((id) => seen.has(id));
    return { ok, brokers: [...seen].sort(), controllerId: md.controllerId, clusterId: md.clusterId };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

export async function registryHealthy() {
  try {
    const res = await fetch(`${REGISTRY_URL}/subjects`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return { ok: res.status === 200, status: res.status };
  } catch (e) {
    return { ok: false, error: e.cause?.code || e.message };
  }
}

async function registryVersion() {
  try {
    const res = await fetch(`${REGISTRY_BASE_URL}/apis/registry/v3/system/info`, { signal: AbortSignal.timeout(3000) });
    const info = await res.json();
    return { name: info.name, version: info.version };
  } catch {
    return { name: 'Apicurio Registry', version: APICURIO_VERSION };
  }
}

function kafkaVersionFromLog(nodeId) {
  try {
    const m = /Kafka version: (\S+)/.exec(fs.readFileSync(nodeLogFile(nodeId), 'utf8').split('=====').pop());
    return m ? m[1] : KAFKA_VERSION;
  } catch {
    return KAFKA_VERSION;
  }
}

/**
 * Calls `check` (resolving { ok, ... }) every `intervalMs` until it says ok; resolves that answer.
 * Fails when `alive()` turns false or after `timeoutMs`, with the last answer and the last
 * `tailLines` lines of `logFile` (when given).
 */
export async function waitFor(what, check, { timeoutMs = START_TIMEOUT_MS, intervalMs = 500, logFile, tailLines = 40, alive } = {}) {
  const end = Date.now() + timeoutMs;
  const logTail = () => (logFile ? `\n--- tail of ${logFile}:\n${tail(logFile, tailLines)}` : '');
  let last;
  while (Date.now() < end) {
    last = await check();
    if (last.ok) return last;
    if (alive && !alive()) throw new Error(`${what}: process exited${logTail()}`);
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s (${JSON.stringify(last)})${logTail()}`);
}

async function waitNodeReady(nodeId, brokers, pid) {
  return waitFor(`Kafka node ${nodeId}`, () => brokerHealthy(nodeId, nodeIdsFor(brokers)),
    { logFile: nodeLogFile(nodeId), alive: () => isOurProcess(pid, `kafka-${nodeId}`) });
}

/** Makes sure the group coordinator answers (creates __consumer_offsets up front). */
async function waitGroupCoordinator(nodeId, pid) {
  return waitFor('group coordinator', async () => {
    try {
      const r = await findGroupCoordinator(HOST, clientPort(nodeId), 'gocoffee-stack-probe', 3000);
      return { ok: r.errorCode === 0, errorCode: r.errorCode };
    } catch (e) {
      return { ok: false, error: e.message };
    }
  }, { logFile: nodeLogFile(nodeId), alive: () => isOurProcess(pid, `kafka-${nodeId}`) });
}

// ---------------------------------------------------------------------------------------------
// Lock (one `up`/`down` at a time per stack dir)
// ---------------------------------------------------------------------------------------------
/**
 * Takes the pid file `file` for this process (created exclusively; this process holding it
 * already is fine). A file whose pid is gone (`alive(pid)` false) is taken over; while a live
 * process holds it, calls `onWait(pid)` and tries again every `pollMs`, and after `timeoutMs`
 * throws Error(busy(pid)).
 */
export async function acquirePidFile(file, { timeoutMs, pollMs = 250, alive = pidAlive, onWait, busy }) {
  mkdirp(path.dirname(file));
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(file, 'utf8') || 0);
    if (holder === process.pid) return;
    if (!alive(holder)) { fs.rmSync(file, { force: true }); continue; }
    if (Date.now() > end) throw new Error(busy(holder));
    onWait?.(holder);
    await sleep(pollMs);
  }
}

/** Runs `fn` holding the pid file `file` (options of acquirePidFile), which is removed afterwards. */
export async function withPidLock(file, options, fn) {
  await acquirePidFile(file, options);
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function withLock(fn) {
  const lock = path.join(RUN_DIR, 'lock');
  return withPidLock(lock, { timeoutMs: START_TIMEOUT_MS + 60_000, alive: pidExists, busy: (pid) => `stack is locked by pid ${pid} (${lock})` }, fn);
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------
function describe(state) {
  const brokers = state?.brokers ?? 1;
  return {
    brokers,
    bootstrapServers: bootstrapServers(brokers),
    registryUrl: REGISTRY_URL,
  };
}

/**
 * Status of the stack: { running, healthy, brokers, bootstrapServers, registryUrl, nodes[], registry, versions }.
 * healthy is true only if every node and the registry answer.
 */
export async function stackStatus() {
  const state = readState();
  if (!state) {
    return { running: false, healthy: false, nodes: [], registry: null, versions: null, ...describe(null) };
  }
  const ids = nodeIdsFor(state.brokers);
  const nodes = await Promise.all(ids.map(async (id) => {
    const pid = state.nodes?.[id]?.pid;
    const alive = isOurProcess(pid, `kafka-${id}`);
    const health = alive ? await brokerHealthy(id, ids) : { ok: false };
    return { nodeId: id, pid, alive, healthy: health.ok, port: clientPort(id), controllerPort: controllerPort(id),
      address: `${HOST}:${clientPort(id)}`, seenBrokers: health.brokers, error: health.error, log: nodeLogFile(id) };
  }));
  const rpid = state.registry?.pid;
  const ralive = isOurProcess(rpid, 'registry');
  const rh = ralive ? await registryHealthy() : { ok: false };
  const registry = { pid: rpid, alive: ralive, healthy: rh.ok, port: REGISTRY_PORT, url: REGISTRY_URL, error: rh.error, log: registryLogFile() };
  const running = nodes.some((n) => n.alive) || ralive;
  return {
    running,
    healthy: nodes.every((n) => n.healthy) && registry.healthy,
    ...describe(state),
    nodes,
    registry,
    versions: readJson(VERSIONS_FILE),
  };
}

async function stopAll(state) {
  if (!state) return;
  const jobs = [];
  for (const [id, n] of Object.entries(state.nodes || {})) jobs.push(stopPid(n.pid, `kafka-${id}`, `Kafka node ${id}`));
  if (state.registry?.pid) jobs.push(stopPid(state.registry.pid, 'registry', 'registry'));
  await Promise.all(jobs);
}

/**
 * Starts the stack (idempotent). Options: { brokers: 1 | 3 }.
 * Returns { alreadyRunning, brokers, bootstrapServers, registryUrl, versions }.
 */
export async function stackUp({ brokers = 1 } = {}) {
  brokers = Number(brokers);
  if (![1, 3].includes(brokers)) throw new Error(`brokers must be 1 or 3 (got ${brokers})`);
  return withLock(async () => {
    const t0 = Date.now();
    const state = readState();
    if (state) {
      const st = await stackStatus();
      if (st.healthy && state.brokers === brokers) {
        return { alreadyRunning: true, ...describe(state), versions: st.versions };
      }
      const keepRegistry = st.registry?.healthy;
      if (state.brokers !== brokers && st.running) log(`switching from ${state.brokers} to ${brokers} broker(s): stopping the running Kafka`);
      else if (st.running) log('stack partly running / unhealthy: restarting it');
      await stopAll({ nodes: state.nodes, registry: keepRegistry ? null : state.registry });
      log(`stopped in ${secs(t0)} s`);
      writeState({ brokers, nodes: {}, registry: keepRegistry ? state.registry : null });
    }

    // Ports must be free (another stack or another program would make the checks lie).
    const cur = readState();
    const registryRunning = cur?.registry && isOurProcess(cur.registry.pid, 'registry');
    const ports = nodeIdsFor(brokers).flatMap((id) => kafkaListeners(id).map((l) => l.port));
    if (!registryRunning) ports.push(REGISTRY_PORT, REGISTRY_MANAGEMENT_PORT);
    for (const p of ports) {
      if (await portOpen(p)) throw new Error(`port ${HOST}:${p} is already in use by another program`);
    }

    ensureKafka();
    ensureApicurio();

    // Fresh data per start (a stopped stack's data is wiped).
    const ids = nodeIdsFor(brokers);
    fs.rmSync(path.join(STACK_DIR, 'data', modeName(brokers)), { recursive: true, force: true });
    for (const id of ids) writeNodeConfig(id, brokers);
    const clusterId = clusterIdFor(brokers);
    const tf = Date.now();
    await formatStorage(brokers, clusterId);
    log(`formatted KRaft storage in ${secs(tf)} s`);

    const newState = { brokers, clusterId, kafkaVersion: KAFKA_VERSION, apicurioVersion: APICURIO_VERSION,
      startedAt: new Date().toISOString(), stackDir: STACK_DIR, nodes: {}, registry: registryRunning ? cur.registry : null };
    try {
      for (const id of ids) newState.nodes[id] = { pid: startNodeProcess(id, brokers, false) };
      if (!registryRunning) newState.registry = { pid: startRegistryProcess() };
      writeState(newState);
      log(`started Kafka node(s) ${ids.join(',')}${registryRunning ? '' : ' and the registry'}; waiting until they answer ...`);
      const tw = Date.now();
      await Promise.all([
        ...ids.map((id) => waitNodeReady(id, brokers, newState.nodes[id].pid)),
        waitFor('registry', registryHealthy, { logFile: registryLogFile(), alive: () => isOurProcess(newState.registry.pid, 'registry') }),
      ]);
      log(`processes answer after ${secs(tw)} s`);
      await waitGroupCoordinator(ids[0], newState.nodes[ids[0]].pid);
    } catch (e) {
      await stopAll(newState);
      fs.rmSync(STATE_FILE, { force: true });
      throw e;
    }
    const reg = await registryVersion();
    const versions = {
      kafka: kafkaVersionFromLog(ids[0]),
      registry: `${reg.name} ${reg.version}`,
      registryName: reg.name,
      registryVersion: reg.version,
      brokers,
      bootstrapServers: bootstrapServers(brokers),
      registryUrl: REGISTRY_URL,
      startedAt: newState.startedAt,
    };
    writeJson(VERSIONS_FILE, versions);
    log(`stack up in ${secs(t0)} s`);
    return { alreadyRunning: false, ...describe(newState), versions, seconds: (Date.now() - t0) / 1000 };
  });
}

/** Stops everything the stack started (SIGTERM, wait, SIGKILL). Idempotent. Returns { stopped }. */
export async function stackDown() {
  return withLock(async () => {
    const state = readState();
    if (!state) return { stopped: false };
    await stopAll(state);
    fs.rmSync(STATE_FILE, { force: true });
    return { stopped: true };
  });
}

/** Sends `signal` (default SIGKILL) to one Kafka node of the running stack; waits for it to exit. */
export async function killBroker(nodeId, signal = 'SIGKILL') {
  const state = readState();
  const pid = state?.nodes?.[nodeId]?.pid;
  if (!isOurProcess(pid, `kafka-${nodeId}`)) throw new Error(`Kafka node ${nodeId} is not running`);
  process.kill(pid, signal);
  if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') {
    if (!(await waitExit(pid, signal === 'SIGKILL' ? 10_000 : 60_000))) throw new Error(`Kafka node ${nodeId} (pid ${pid}) did not exit after ${signal}`);
  }
  return { nodeId, pid, signal };
}

/** (Re)starts one Kafka node of the running stack with its existing data; waits until it answers. */
export async function startBroker(nodeId) {
  const state = readState();
  if (!state) throw new Error('the stack is not running');
  const ids = nodeIdsFor(state.brokers);
  if (!ids.includes(nodeId)) throw new Error(`no node ${nodeId} in a ${state.brokers}-broker stack`);
  const old = state.nodes?.[nodeId]?.pid;
  if (isOurProcess(old, `kafka-${nodeId}`)) {
    // SIGSTOPped by a test? Continue it; otherwise it is running already.
    try { process.kill(old, 'SIGCONT'); } catch { /* ignore */ }
    await waitNodeReady(nodeId, state.brokers, old);
    return { nodeId, pid: old, alreadyRunning: true };
  }
  const pid = startNodeProcess(nodeId, state.brokers, true);
  state.nodes[nodeId] = { pid };
  writeState(state);
  await waitNodeReady(nodeId, state.brokers, pid);
  return { nodeId, pid, alreadyRunning: false };
}

// The log4j settings of the shared stack's nodes, also used by scripts/stack-secure.mjs.
export { LOG4J2_PROPERTIES };
