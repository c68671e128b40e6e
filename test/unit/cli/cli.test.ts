import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../../src/cli/run.js';
import { loadCliConfig } from '../../../src/cli/config.js';
import { describeError, renderTable } from '../../../src/cli/output.js';
import type { CliCommand, CliIo } from '../../../src/cli/types.js';
import { RegistryError } from '../../../src/schema/errors.js';

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
}

function capture(env: NodeJS.ProcessEnv = {}): Captured {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), env },
    out: () => out,
    err: () => err,
  };
}

/** A local HTTP server answering every request with `handler` (no real registry needed). */
async function fakeServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, requests };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('cli: gocoffee-kafka', () => {
  describe('dispatch', () => {
    it('--help lists the commands (exit 0); no arguments prints usage (exit 2)', async () => {
      const c = capture();
      assert.equal(await runCli(['--help'], c.io), 0);
      assert.match(c.out(), /Usage: gocoffee-kafka <command>/);
      assert.match(c.out(), /schemas register +Register the Avro event schemas/);
      const d = capture();
      assert.equal(await runCli([], d.io), 2);
      assert.match(d.err(), /Usage: gocoffee-kafka/);
    });

    it('--version prints the package version', async () => {
      const c = capture();
      assert.equal(await runCli(['--version'], c.io), 0);
      assert.match(c.out(), /^\d+\.\d+\.\d+/);
    });

    it('unknown commands and bare groups are usage errors (exit 2)', async () => {
      const a = capture();
      assert.equal(await runCli(['frobnicate', 'now'], a.io), 2);
      assert.match(a.err(), /unknown command "frobnicate"/);
      const b = capture();
      assert.equal(await runCli(['schemas'], b.io), 2);
      assert.match(b.err(), /"schemas" needs a subcommand/);
      const c = capture();
      assert.equal(await runCli(['schemas', 'frobnicate'], c.io), 2);
      assert.match(c.err(), /unknown command "schemas frobnicate"/);
      const d = capture();
      assert.equal(await runCli(['schemas', '--help'], d.io), 0);
      assert.match(d.out(), /gocoffee-kafka schemas <command>/);
    });

    it('runs a command from the table with the remaining arguments', async () => {
      const seen: string[][] = [];
      const table: CliCommand[] = [
        { path: ['a', 'b'], summary: 'ab', help: '', run: async (args) => (seen.push([...args]), 7) },
        { path: ['a'], summary: 'a', help: '', run: async () => 3 },
      ];
      assert.equal(await runCli(['a', 'b', '--x', '1'], capture().io, table), 7);
      assert.deepEqual(seen, [['--x', '1']]);
      assert.equal(await runCli(['a', 'c'], capture().io, table), 3);
    });

    it('a command that throws unexpectedly exits 1 without a stack trace', async () => {
      const table: CliCommand[] = [{ path: ['boom'], summary: '', help: '', run: async () => { throw new Error('kaput'); } }];
      const c = capture();
      assert.equal(await runCli(['boom'], c.io, table), 1);
      assert.match(c.err(), /unexpected error kaput/);
      assert.doesNotMatch(c.err(), /\n\s+at /);
    });
  });

  describe('schemas register: options', () => {
    it('--help shows the options', async () => {
      const c = capture();
      assert.equal(await runCli(['schemas', 'register', '--help'], c.io), 0);
      for (const opt of ['--registry-url', '--schemas-dir', '--config', '--username', '--password', '--strategy', '--compatibility', '--dry-run', '--json']) {
        assert.ok(c.out().includes(opt), opt);
      }
    });

    it('refuses unknown options and bad values (exit 2)', async () => {
      for (const args of [['--nope'], ['--strategy', 'subject'], ['--compatibility', 'SOMETIMES'], ['--timeout', 'soon'], ['--registry-url']]) {
        const c = capture({ GOCOFFEE_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' });
        assert.equal(await runCli(['schemas', 'register', ...args], c.io), 2, args.join(' '));
        assert.match(c.err(), /--help/);
      }
    });

    it('needs a registry URL (exit 2, says how to set it)', async () => {
      const c = capture({});
      assert.equal(await runCli(['schemas', 'register'], c.io), 2);
      assert.match(c.err(), /no Schema Registry URL: pass --registry-url/);
      assert.match(c.err(), /GOCOFFEE_SCHEMA_REGISTRY_URL/);
    });

    it('needs a password with a username (exit 2)', async () => {
      const c = capture({});
      assert.equal(await runCli(['schemas', 'register', '--registry-url', 'http://127.0.0.1:1', '--username', 'bob'], c.io), 2);
      assert.match(c.err(), /password/);
    });
  });

  describe('schemas register: registry errors (local fake server)', () => {
    it('401: a clear auth error, exit 1; the password is sent but never printed (also with --verbose)', async () => {
      const fake = await fakeServer((_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      });
      try {
        for (const extra of [[], ['--verbose'], ['--json']]) {
          const c = capture({ GOCOFFEE_SCHEMA_REGISTRY_PASSWORD: 'pa55-s3cret' });
          const code = await runCli(['schemas', 'register', '--registry-url', `${fake.url}/apis/ccompat/v7`, '--username', 'bob', ...extra], c.io);
          assert.equal(code, 1);
          const all = c.out() + c.err();
          assert.match(all, /GCK_SCHEMA_REGISTRY_AUTH/);
          assert.match(all, /rejected the credentials \(HTTP 401\)/);
          assert.ok(!all.includes('pa55-s3cret'), 'password printed');
          assert.ok(!all.includes(Buffer.from('bob:pa55-s3cret').toString('base64')), 'encoded credentials printed');
          if (extra[0] === '--verbose') assert.match(c.err(), /\n\s+at /, 'stack trace with --verbose');
          else assert.doesNotMatch(all, /\n\s+at /, 'no stack trace without --verbose');
        }
        const auth = fake.requests[0]?.headers.authorization;
        assert.equal(auth, `Basic ${Buffer.from('bob:pa55-s3cret').toString('base64')}`);
      } finally {
        await close(fake.server);
      }
    });

    it('401 without credentials says that authentication is required', async () => {
      const fake = await fakeServer((_req, res) => {
        res.writeHead(401);
        res.end();
      });
      try {
        const c = capture({});
        assert.equal(await runCli(['schemas', 'register', '--registry-url', fake.url], c.io), 1);
        assert.match(c.err(), /requires authentication \(HTTP 401\)/);
      } finally {
        await close(fake.server);
      }
    });

    it('a URL that is not a registry API (404 HTML) is named as such', async () => {
      const fake = await fakeServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<html>nope</html>');
      });
      try {
        const c = capture({});
        assert.equal(await runCli(['schemas', 'register', '--registry-url', fake.url, '--json'], c.io), 1);
        const summary = JSON.parse(c.out()) as { ok: boolean; error: { code: string; message: string } };
        assert.equal(summary.ok, false);
        assert.equal(summary.error.code, 'GCK_SCHEMA_REGISTRY');
        assert.match(summary.error.message, /no Schema Registry API at http:\/\/127\.0\.0\.1:\d+.*\/apis\/ccompat\/v7/);
      } finally {
        await close(fake.server);
      }
    });

    it('a registry that does not answer times out with --timeout', async () => {
      const fake = await fakeServer(() => {
        /* never answers */
      });
      try {
        const c = capture({});
        const started = Date.now();
        assert.equal(await runCli(['schemas', 'register', '--registry-url', fake.url, '--timeout', '200ms'], c.io), 1);
        assert.match(c.err(), /GCK_SCHEMA_REGISTRY_UNREACHABLE.*no answer within 200 ms/);
        assert.ok(Date.now() - started < 8000);
      } finally {
        await close(fake.server);
      }
    });

    it('connection refused is GCK_SCHEMA_REGISTRY_UNREACHABLE (retriable)', async () => {
      const c = capture({});
      assert.equal(await runCli(['schemas', 'register', '--registry-url', 'http://127.0.0.1:1/apis/ccompat/v7'], c.io), 1);
      assert.match(c.err(), /\[GCK_SCHEMA_REGISTRY_UNREACHABLE\] cannot reach the Schema Registry at http:\/\/127\.0\.0\.1:1\/apis\/ccompat\/v7 .*connection refused \(ECONNREFUSED\)/);
    });
  });

  describe('helpers', () => {
    it('renderTable aligns columns without trailing blanks', () => {
      assert.equal(renderTable(['A', 'BB', 'C'], [['xxx', 'y', ''], ['1', '22', '3']]), 'A    BB  C\nxxx  y\n1    22  3\n');
    });

    it('describeError hides secrets and URL credentials', () => {
      const err = new RegistryError('GCK_SCHEMA_REGISTRY', 'failed at http://u:pw@host/x with token s3cr3t');
      const text = describeError(err, true, ['s3cr3t']);
      assert.ok(!text.includes('pw@') && !text.includes('s3cr3t'));
      assert.match(text, /^\[GCK_SCHEMA_REGISTRY\] failed at http:\/\/\[REDACTED\]@host\/x with token \[REDACTED\]/);
    });

    it('loadCliConfig: brokers are optional for commands that do not use Kafka', () => {
      const cfg = loadCliConfig({ env: { GOCOFFEE_KAFKA_TOPIC_SUFFIX: '.dev' }, needBrokers: false });
      assert.equal(cfg.topicSuffix, '.dev');
      assert.throws(() => loadCliConfig({ env: {} }), /brokers/);
      assert.throws(() => loadCliConfig({ env: { GOCOFFEE_KAFKA_TOPIC_SUFFIX: 'bad suffix!' }, needBrokers: false }), (e: Error) => /topic_suffix|TOPIC_SUFFIX/.test(e.message) && !/brokers/.test(e.message));
      // a broker list from the environment that does not parse does not matter either
      assert.equal(loadCliConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'kafka', GOCOFFEE_SCHEMA_REGISTRY_URL: 'http://sr:8081' }, needBrokers: false }).schemaRegistryUrl, 'http://sr:8081');
    });
  });
});
