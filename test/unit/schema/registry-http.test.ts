import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RegistryError } from '../../../src/schema/errors.js';
import { RegistryHttp, parseRegistryUrl } from '../../../src/schema/registry-http.js';
import { makeCertificates, removeCertificates, type Certificates } from '../../helpers/certs.js';
import { BAD_GATEWAY, PROXY_404, SCHEMA_NOT_FOUND, UNAVAILABLE, scriptedServer, type ScriptedServer } from './http-server.js';

describe('schema/registry-http: registry URL', () => {
  it('takes credentials out of the URL and strips trailing slashes', () => {
    assert.deepEqual(parseRegistryUrl('https://bob:s%3Acret@reg.example:8081/apis/ccompat/v7/'), {
      url: 'https://reg.example:8081/apis/ccompat/v7',
      username: 'bob',
      password: 's:cret',
    });
    assert.deepEqual(parseRegistryUrl('http://127.0.0.1:8081'), { url: 'http://127.0.0.1:8081', username: undefined, password: undefined });
  });
  it('refuses a non-http URL without echoing credentials', () => {
    assert.throws(() => parseRegistryUrl('ftp://a:secret@x'), (e: Error) => e instanceof RegistryError && /http/.test(e.message) && !e.message.includes('secret'));
    assert.throws(() => parseRegistryUrl('not a url with secret@'), (e: Error) => /not a valid URL/.test(e.message) && !e.message.includes('secret'));
  });
});

describe('schema/registry-http: RegistryHttp retries, backoff, headers, redaction', () => {
  let srv: ScriptedServer | undefined;
  let http: RegistryHttp | undefined;
  afterEach(async () => {
    http?.close();
    await srv?.close();
    srv = undefined;
    http = undefined;
  });

  it('retries a retriable failure at most `retries` times, waiting backoffDelay (exponential, equal jitter) between attempts', async () => {
    srv = await scriptedServer([UNAVAILABLE]);
    http = new RegistryHttp({ url: srv.url, retries: 3, retryBackoffMs: 60, retryMaxBackoffMs: 1000 });
    const err = await http.send({ method: 'GET', path: '/config', what: 'read the config' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RegistryError && err.retriable && err.status === 503, String(err));
    assert.equal(srv.requests.length, 4, '1 attempt + 3 retries');
    assert.equal(err.context['attempts'], 4);
    assert.match(err.message, /could not read the config \(HTTP 503 Service Unavailable\) \(4 attempts\)/);
    const gaps = srv.requests.slice(1).map((r, i) => r.at - srv!.requests[i]!.at);
    // backoffDelay(n, 60, 1000) is in [d/2, d) with d = 60·2^(n−1): ≥ 30, ≥ 60, ≥ 120 ms.
    [30, 60, 120].forEach((min, i) => assert.ok(gaps[i]! >= min - 5, `gap ${i + 1} = ${gaps[i]} ms, expected ≥ ${min}`));
  });

  it('retries: 0 makes one attempt; a permanent failure is never retried', async () => {
    srv = await scriptedServer([BAD_GATEWAY]);
    http = new RegistryHttp({ url: srv.url, retries: 0 });
    await assert.rejects(http.send({ method: 'GET', path: '/config', what: 'x' }), (e: unknown) => e instanceof RegistryError && e.retriable && e.status === 502);
    assert.equal(srv.requests.length, 1);
    await srv.close();
    srv = await scriptedServer([SCHEMA_NOT_FOUND]);
    http = new RegistryHttp({ url: srv.url, retries: 5, retryBackoffMs: 1 });
    await assert.rejects(http.send({ method: 'GET', path: '/schemas/ids/7', what: 'x' }), (e: unknown) => e instanceof RegistryError && !e.retriable && e.registryNotFound);
    assert.equal(srv.requests.length, 1);
  });

  it('a retried 404 from a proxy that then reaches the registry succeeds', async () => {
    srv = await scriptedServer([PROXY_404, BAD_GATEWAY, { status: 200, body: { compatibilityLevel: 'BACKWARD' } }]);
    http = new RegistryHttp({ url: srv.url, retryBackoffMs: 5 });
    assert.deepEqual(await http.send({ method: 'GET', path: '/config', what: 'x' }), { compatibilityLevel: 'BACKWARD' });
    assert.equal(srv.requests.length, 3);
  });

  it('close() during the backoff ends the request at once, with the last failure', async () => {
    srv = await scriptedServer([UNAVAILABLE]);
    http = new RegistryHttp({ url: srv.url, retries: 5, retryBackoffMs: 10_000, retryMaxBackoffMs: 10_000 });
    const t0 = Date.now();
    const p = http.send({ method: 'GET', path: '/config', what: 'x' });
    setTimeout(() => http?.close(), 100);
    await assert.rejects(p, (e: unknown) => e instanceof RegistryError && e.status === 503);
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(srv.requests.length, 1);
  });

  it('sends the registry media types, JSON bodies and basic auth under the base path; credentials never reach a message', async () => {
    srv = await scriptedServer([{ status: 500, body: { error_code: 50001, message: 'store failed for http://bob:pa55w0rd@internal:8081 (pa55w0rd)' } }]);
    const u = new URL(srv.url);
    u.username = 'bob';
    u.password = 'pa55w0rd';
    http = new RegistryHttp({ url: `${u.toString()}apis/ccompat/v7/`, retries: 0 });
    assert.equal(http.url, `${srv.url}/apis/ccompat/v7`);
    const err = await http.send({ method: 'POST', path: '/subjects/a%2Fb/versions', body: { schema: '"string"' }, what: 'register', subject: 'a/b' }).then(() => undefined, (e: unknown) => e);
    const r = srv.requests[0]!;
    assert.equal(r.url, '/apis/ccompat/v7/subjects/a%2Fb/versions');
    assert.equal(r.headers['content-type'], 'application/vnd.schemaregistry.v1+json');
    assert.match(String(r.headers['accept']), /application\/vnd\.schemaregistry\.v1\+json/);
    assert.equal(r.headers['authorization'], `Basic ${Buffer.from('bob:pa55w0rd').toString('base64')}`);
    assert.deepEqual(JSON.parse(r.body), { schema: '"string"' });
    assert.ok(err instanceof RegistryError);
    assert.equal(err.errorCode, 50001);
    assert.equal(err.context['subject'], 'a/b');
    const shown = JSON.stringify(err.toJSON()) + err.message;
    assert.ok(!shown.includes('pa55w0rd') && !shown.includes(Buffer.from('bob:pa55w0rd').toString('base64')), shown);
    assert.match(err.message, /store failed for http:\/\/\[REDACTED\]@internal:8081 \(\[REDACTED\]\)/);
  });

  it('follows redirects (an ingress moving the path); basic auth goes to the registry\'s host only', async () => {
    const other = await scriptedServer([{ status: 200, body: { compatibilityLevel: 'FULL' } }]);
    try {
      const otherPort = new URL(other.url).port;
      srv = await scriptedServer([], (req, res) => {
        if (req.url.startsWith('/old/')) res.writeHead(308, { location: req.url.replace('/old/', '/new/') }).end();
        else if (req.url === '/new/config') res.writeHead(200, { 'content-type': 'application/json' }).end('{"compatibilityLevel":"BACKWARD"}');
        else res.writeHead(307, { location: `http://localhost:${otherPort}/config` }).end(); // another host
        return true;
      });
      http = new RegistryHttp({ url: `${srv.url}/old`, username: 'bob', password: 'pw' });
      assert.deepEqual(await http.send({ method: 'GET', path: '/config', what: 'x' }), { compatibilityLevel: 'BACKWARD' });
      assert.deepEqual(srv.requests.map((r) => [r.url, r.headers['authorization'] !== undefined]), [['/old/config', true], ['/new/config', true]]);
      http.close();
      http = new RegistryHttp({ url: `${srv.url}/elsewhere`, username: 'bob', password: 'pw' });
      assert.deepEqual(await http.send({ method: 'GET', path: '/config', what: 'x' }), { compatibilityLevel: 'FULL' });
      assert.equal(other.requests[0]?.headers['authorization'], undefined, 'no credentials to another host');
    } finally {
      await other.close();
    }
  });

  it('refuses a bad timeout, retry count or backoff, naming the option', () => {
    assert.throws(() => new RegistryHttp({ url: 'http://x', timeoutMs: 0 }), /registry timeoutMs: got 0/);
    assert.throws(() => new RegistryHttp({ url: 'http://x', retries: -1 }), /registry retries: got -1/);
    assert.throws(() => new RegistryHttp({ url: 'http://x', retryBackoffMs: Number.NaN }), /registry retryBackoffMs: got NaN/);
  });

  it('a 2xx answer that is not JSON is a permanent unexpected answer', async () => {
    srv = await scriptedServer([{ status: 200, body: '<html>login</html>', contentType: 'text/html' }]);
    http = new RegistryHttp({ url: srv.url });
    await assert.rejects(http.send({ method: 'GET', path: '/config', what: 'read it' }), (e: unknown) => e instanceof RegistryError && !e.retriable && /unexpected answer when trying to read it: HTTP 200 with a body that is not JSON/.test(e.message));
    assert.equal(srv.requests.length, 1);
  });
});

describe('schema/registry-http: TLS options', function () {
  this.timeout(20_000);
  let certs: Certificates;
  before(() => {
    certs = makeCertificates();
  });
  after(() => removeCertificates(certs));

  async function httpsRegistry(requestCert: boolean): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createHttpsServer(
      { cert: readFileSync(certs.serverCertFile), key: readFileSync(certs.serverKeyFile), ca: readFileSync(certs.caFile), requestCert, rejectUnauthorized: requestCert },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ compatibilityLevel: 'FULL' }));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('verifies the registry with `tls.ca` (or accepts any certificate with rejectUnauthorized: false); an unknown CA is refused', async () => {
    const reg = await httpsRegistry(false);
    const ok = new RegistryHttp({ url: reg.url, tls: { ca: readFileSync(certs.caFile) } });
    const unknownCa = new RegistryHttp({ url: reg.url, retries: 0 });
    const wrongCa = new RegistryHttp({ url: reg.url, retries: 0, tls: { ca: readFileSync(certs.otherCaFile) } });
    const insecure = new RegistryHttp({ url: reg.url, tls: { rejectUnauthorized: false } });
    try {
      assert.deepEqual(await ok.send({ method: 'GET', path: '/config', what: 'x' }), { compatibilityLevel: 'FULL' });
      assert.deepEqual(await insecure.send({ method: 'GET', path: '/config', what: 'x' }), { compatibilityLevel: 'FULL' });
      for (const c of [unknownCa, wrongCa]) {
        await assert.rejects(c.send({ method: 'GET', path: '/config', what: 'read the config' }), (e: unknown) => e instanceof RegistryError && e.code === 'GCK_SCHEMA_REGISTRY_UNREACHABLE' && /TLS certificate/.test(e.message));
      }
    } finally {
      for (const c of [ok, unknownCa, wrongCa, insecure]) c.close();
      await reg.close();
    }
  });

  it('presents a client certificate (mutual TLS) with an encrypted key and its passphrase', async () => {
    const reg = await httpsRegistry(true);
    const withCert = new RegistryHttp({
      url: reg.url,
      tls: { ca: readFileSync(certs.caFile), cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile), passphrase: certs.clientKeyPassword },
    });
    const without = new RegistryHttp({ url: reg.url, retries: 0, tls: { ca: readFileSync(certs.caFile) } });
    try {
      assert.deepEqual(await withCert.send({ method: 'GET', path: '/config', what: 'x' }), { compatibilityLevel: 'FULL' });
      await assert.rejects(without.send({ method: 'GET', path: '/config', what: 'x' }), (e: unknown) => e instanceof RegistryError && e.code === 'GCK_SCHEMA_REGISTRY_UNREACHABLE');
    } finally {
      withCert.close();
      without.close();
      await reg.close();
    }
  });
});
