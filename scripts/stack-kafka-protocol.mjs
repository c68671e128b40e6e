// Minimal Kafka wire-protocol probes (Node standard library only), used by the local stack
// scripts to check that a broker really serves requests, not just that its port is open.
//
//   apiVersions(host, port)           -> Map apiKey -> {min, max}
//   metadata(host, port)              -> {brokers: [{nodeId, host, port}], clusterId, controllerId}
//   findGroupCoordinator(host, port, group) -> {errorCode, nodeId, host, port}
//   metadataRequest(host, port, topics, lo) -> the above plus a reader at the topics of the response
//                                        (scripts/stack-cluster.mjs decodes topic metadata with it)
//
// Only non-flexible (pre-KIP-482) request versions are used, so no compact encodings are needed.
import net from 'node:net';

const API_METADATA = 3;
const API_FIND_COORDINATOR = 10;
const API_VERSIONS = 18;
const CLIENT_ID = 'gocoffee-stack-probe';

let correlation = 1;

/** A Kafka STRING: int16 length, then UTF-8 bytes. */
function encodeString(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** Sends one request and resolves with the response body (after the correlation id). */
export function request(host, port, apiKey, apiVersion, body, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const corr = correlation++ & 0x7fffffff;
    const header = Buffer.alloc(8);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(corr, 4);
    const payload = Buffer.concat([header, encodeString(CLIENT_ID), body]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);

    const socket = net.connect({ host, port });
    let chunks = [];
    let received = 0;
    let expected = -1;
    const done = (err, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`timeout after ${timeoutMs} ms (${host}:${port})`)), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.concat([size, payload])));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (expected < 0 && received >= 4) expected = Buffer.concat(chunks).readInt32BE(0);
      if (expected >= 0 && received >= expected + 4) {
        const buf = Buffer.concat(chunks);
        const gotCorr = buf.readInt32BE(4);
        if (gotCorr !== corr) return done(new Error(`correlation id mismatch ${gotCorr} != ${corr}`));
        done(null, buf.subarray(8, expected + 4));
      }
    });
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error(`connection closed by ${host}:${port}`)));
  });
}

/** Reads the big-endian fields of a response body in order. */
class Reader {
  constructor(buf) {
    this.buf = buf;
    this.off = 0;
  }
  int8() { const v = this.buf.readInt8(this.off); this.off += 1; return v; }
  int16() { const v = this.buf.readInt16BE(this.off); this.off += 2; return v; }
  int32() { const v = this.buf.readInt32BE(this.off); this.off += 4; return v; }
  string() {
    const len = this.int16();
    if (len < 0) return null;
    const s = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return s;
  }
  /** ARRAY of INT32. */
  int32s() { const n = this.int32(); const out = []; for (let i = 0; i < n; i++) out.push(this.int32()); return out; }
}

/** ApiVersions v0 (supported by every broker version). */
export async function apiVersions(host, port, timeoutMs) {
  const body = await request(host, port, API_VERSIONS, 0, Buffer.alloc(0), timeoutMs);
  const r = new Reader(body);
  const errorCode = r.int16();
  if (errorCode !== 0) throw new Error(`ApiVersions error_code ${errorCode}`);
  const n = r.int32();
  const apis = new Map();
  for (let i = 0; i < n; i++) {
    const key = r.int16();
    apis.set(key, { min: r.int16(), max: r.int16() });
  }
  return apis;
}

/** The highest version of API `key` in lo..hi that the broker supports (`apis` from apiVersions()), or -1. */
function pickVersion(apis, key, lo, hi) {
  const range = apis.get(key);
  if (!range) return -1;
  const v = Math.min(hi, range.max);
  return v >= Math.max(lo, range.min) ? v : -1;
}

/**
 * Metadata (v`lo`..v8, whichever the broker supports) for `topics` (none: only the brokers), never
 * creating a topic. Resolves { version, brokers: [{nodeId, host, port}], clusterId, controllerId,
 * reader } with `reader` at the topics array of the response.
 */
export async function metadataRequest(host, port, topics, lo, timeoutMs) {
  const apis = await apiVersions(host, port, timeoutMs);
  const version = pickVersion(apis, API_METADATA, lo, 8);
  if (version < 0) throw new Error(`broker supports no Metadata version in ${lo}..8`);
  const count = Buffer.alloc(4);
  count.writeInt32BE(topics.length);
  const parts = [count, ...topics.map(encodeString), Buffer.from([0]) /* no auto create */];
  if (version >= 8) parts.push(Buffer.from([0, 0])); // include cluster/topic authorized operations
  const body = await request(host, port, API_METADATA, version, Buffer.concat(parts), timeoutMs);
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  const n = r.int32();
  const brokers = [];
  for (let i = 0; i < n; i++) {
    const nodeId = r.int32();
    const h = r.string();
    const p = r.int32();
    r.string(); // rack
    brokers.push({ nodeId, host: h, port: p });
  }
  const clusterId = r.string();
  const controllerId = r.int32();
  return { version, brokers, clusterId, controllerId, reader: r };
}

/** Metadata (v4..v8, whichever the broker supports) for no topics: the live brokers. */
export async function metadata(host, port, timeoutMs) {
  const { brokers, clusterId, controllerId } = await metadataRequest(host, port, [], 4, timeoutMs);
  return { brokers, clusterId, controllerId };
}

/** FindCoordinator v1/v2 for a consumer group (creates __consumer_offsets on first use). */
export async function findGroupCoordinator(host, port, group, timeoutMs) {
  const apis = await apiVersions(host, port, timeoutMs);
  const version = pickVersion(apis, API_FIND_COORDINATOR, 1, 2);
  if (version < 0) return { errorCode: 0, skipped: true };
  const body = await request(host, port, API_FIND_COORDINATOR, version,
    Buffer.concat([encodeString(group), Buffer.from([0])]), timeoutMs);
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  const errorCode = r.int16();
  r.string(); // error_message
  return { errorCode, nodeId: r.int32(), host: r.string(), port: r.int32() };
}
