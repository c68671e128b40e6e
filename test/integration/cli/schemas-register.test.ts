import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { EVENTS } from '../../../src/gocoffee/catalog.js';
import { registerSchemas, SchemaIncompatibleError, RegistryError, type RegistrationResult } from '../../../src/cli/commands/schemas-register.js';
import { REGISTRY_URL, REPO_ROOT as ROOT, cli, uniqueName } from '../helpers.js';

const SCHEMAS = join(ROOT, 'schemas');

/** The registry's REST API, read directly (independent of the code under test). */
async function rest(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(REGISTRY_URL + path, { ...init, headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', ...(init.headers ?? {}) } });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
const enc = encodeURIComponent;

interface Row {
  subject: string;
  version: string;
  id: string;
  status: string;
}
/** The summary table's rows. */
function tableRows(stdout: string): Row[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^SUBJECT\s+VERSION\s+ID\s+STATUS$/.test(l));
  assert.ok(start >= 0, `no table in:\n${stdout}`);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    const [subject = '', version = '', id = '', status = ''] = line.trim().split(/\s+/);
    rows.push({ subject, version, id, status });
  }
  return rows;
}

interface JsonSummary {
  ok: boolean;
  dryRun: boolean;
  results: (Omit<RegistrationResult, 'id' | 'registryVersion'> & { id: number | null; registryVersion: number | null })[];
  summary: Record<string, number>;
  error?: { code: string; message: string; subject?: string; version?: number; reasons?: string[] };
}

const DEFAULT_TOPICS: Record<string, string> = {
  BeverageCreated: 'beverage.created',
  BeverageUpdated: 'beverage.updated',
  TaskCreated: 'task.created',
  TaskUpdated: 'task.updated',
  NotificationSent: 'notification.sent',
  AIRequestCompleted: 'ai.request.completed',
  SystemEvent: 'system.event',
};
const topicSubjects = (suffix: string): string[] => EVENTS.map((e) => `${DEFAULT_TOPICS[e.name]}${suffix}-value`);

describe('gocoffee-kafka schemas register (real Schema Registry)', function () {
  this.timeout(120_000);
  const temp: string[] = [];
  const tempDir = (prefix: string): string => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    temp.push(d);
    return d;
  };
  after(() => {
    for (const d of temp) rmSync(d, { recursive: true, force: true });
  });

  /** A config file with a unique topic suffix (and no brokers: the command does not need them). */
  function configWithSuffix(): { file: string; suffix: string } {
    const suffix = `.${uniqueName('it')}`;
    const file = join(tempDir('cfg-'), 'kafka.yaml');
    writeFileSync(file, `kafka:\n  topic_suffix: "${suffix}"\n`);
    return { file, suffix };
  }

  /** A copy of schemas/ with `edit` applied to BeverageCreated v2. */
  function schemasWithV2(edit: (v2: { fields: Record<string, unknown>[] }) => void): string {
    const dir = tempDir('schemas-');
    cpSync(SCHEMAS, dir, { recursive: true });
    const file = join(dir, 'BeverageCreated', 'v2.avsc');
    const v2 = JSON.parse(readFileSync(file, 'utf8')) as { fields: Record<string, unknown>[] };
    edit(v2);
    writeFileSync(file, JSON.stringify(v2, null, 2));
    return dir;
  }

  it('registers every schema in version order, prints the table; a second run is idempotent (same ids)', async () => {
    const { file, suffix } = configWithSuffix();
    const env = { ...process.env };
    delete env['GOCOFFEE_KAFKA_BROKERS']; // not needed for schema registration

    const first = await cli(['schemas', 'register', '--config', file], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    const rows = tableRows(first.stdout);
    const subjects = topicSubjects(suffix);
    assert.deepEqual(
      rows.map((r) => [r.subject, r.version, r.status]),
      [
        [subjects[0], 'v1', 'registered'],
        [subjects[0], 'v2', 'registered'],
        ...subjects.slice(1).map((s) => [s, 'v1', 'registered']),
      ],
    );
    assert.match(first.stdout, /Compatibility: BACKWARD set on 7 of 7 subject\(s\)\./);
    assert.match(first.stdout, /8 schema\(s\): 8 registered\./);

    // What the registry holds: v1 then v2 under the BeverageCreated subject, ids as printed, BACKWARD.
    const bc = subjects[0] as string;
    assert.deepEqual((await rest(`/subjects/${enc(bc)}/versions`)).body, [1, 2]);
    for (const [i, version] of [1, 2].entries()) {
      const got = (await rest(`/subjects/${enc(bc)}/versions/${version}`)).body as { id: number; schema: string };
      assert.deepEqual(JSON.parse(got.schema), JSON.parse(readFileSync(join(SCHEMAS, 'BeverageCreated', `v${version}.avsc`), 'utf8')));
      assert.equal(String(got.id), rows[i]?.id);
    }
    for (const s of subjects) {
      assert.equal(((await rest(`/config/${enc(s)}`)).body as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD');
    }

    const second = await cli(['schemas', 'register', '--config', file, '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as JsonSummary;
    assert.equal(summary.ok, true);
    assert.deepEqual(summary.results.map((r) => r.status), Array(8).fill('exists'));
    assert.deepEqual(summary.results.map((r) => String(r.id)), rows.map((r) => r.id));
    assert.deepEqual(summary.results.map((r) => r.compatibilityAction), Array(8).fill('unchanged'));
    assert.deepEqual(summary.results.slice(0, 2).map((r) => r.registryVersion), [1, 2]);
    assert.deepEqual((await rest(`/subjects/${enc(bc)}/versions`)).body, [1, 2], 'no new versions');
  });

  it('--dry-run checks but writes nothing (no subjects, no compatibility levels)', async () => {
    const { file, suffix } = configWithSuffix();
    const r = await cli(['schemas', 'register', '--config', file, '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as JsonSummary;
    assert.equal(summary.dryRun, true);
    assert.deepEqual(summary.results.map((x) => x.status), Array(8).fill('would-register'));
    assert.deepEqual(summary.results.map((x) => x.compatibilityAction), Array(8).fill('would-set'));
    assert.ok(summary.results.every((x) => x.id === null));
    for (const s of topicSubjects(suffix)) {
      assert.equal((await rest(`/subjects/${enc(s)}/versions`)).status, 404, `${s} was created`);
      assert.equal((await rest(`/config/${enc(s)}`)).status, 404, `${s} got a config`);
    }
    const all = (await rest('/subjects')).body as string[];
    assert.deepEqual(all.filter((s) => s.includes(suffix)), []);
  });

  it('refuses an incompatible change: subject, version, file and reasons; exit 1; nothing after it is registered', async () => {
    const { file, suffix } = configWithSuffix();
    const dir = schemasWithV2((v2) => {
      v2.fields.push({ name: 'strength', type: 'int', doc: 'A new field without a default.' });
      const theme = v2.fields.find((f) => f['name'] === 'theme');
      if (theme) theme['type'] = 'int';
    });
    const [bc, bu] = topicSubjects(suffix) as [string, string];

    // dry run first: reported, nothing written, the other events still checked
    const dry = await cli(['schemas', 'register', '--config', file, '--schemas-dir', dir, '--dry-run']);
    assert.equal(dry.code, 1);
    const dryRows = tableRows(dry.stdout);
    assert.deepEqual(dryRows.slice(0, 2).map((x) => x.status), ['would-register', 'incompatible']);
    assert.equal(dryRows.length, 8);
    assert.match(dry.stderr, /BeverageCreated\.strength: .*no default/);
    assert.match(dry.stderr, /checked locally with avsc \(dry run/);
    assert.equal((await rest(`/subjects/${enc(bc)}/versions`)).status, 404);

    const real = await cli(['schemas', 'register', '--config', file, '--schemas-dir', dir]);
    assert.equal(real.code, 1);
    assert.deepEqual(tableRows(real.stdout).map((x) => [x.subject, x.version, x.status]), [
      [bc, 'v1', 'registered'],
      [bc, 'v2', 'incompatible'],
    ]);
    assert.match(real.stderr, /\[GCK_SCHEMA_INCOMPATIBLE\] BeverageCreated v2 \(.*BeverageCreated\/v2\.avsc\) is not compatible with subject/);
    assert.ok(real.stderr.includes(`"${bc}"`), 'names the subject');
    assert.match(real.stderr, /under compatibility BACKWARD/);
    assert.match(real.stderr, /strength/);
    assert.match(real.stderr, /theme/);
    assert.doesNotMatch(real.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual((await rest(`/subjects/${enc(bc)}/versions`)).body, [1], 'v2 was not registered');
    assert.equal((await rest(`/subjects/${enc(bu)}/versions`)).status, 404, 'stopped at the refusal');
  });

  it('refuses a changed field type through the programmatic API (SchemaIncompatibleError with the results)', async () => {
    const { suffix } = configWithSuffix();
    const config = loadConfig({ env: {}, overrides: { brokers: '127.0.0.1:9092', topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL } });
    const dir = schemasWithV2((v2) => {
      const f = v2.fields.find((x) => x['name'] === 'created_by');
      if (f) f['type'] = 'long';
    });
    const seen: RegistrationResult[] = [];
    const err = await registerSchemas({ config, schemasDir: dir, onResult: (r) => seen.push(r) }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SchemaIncompatibleError);
    assert.equal(err.code, 'GCK_SCHEMA_INCOMPATIBLE');
    assert.equal(err.result.version, 2);
    assert.equal(err.result.subject, `beverage.created${suffix}-value`);
    assert.ok(err.result.reasons.some((r) => r.includes('BeverageCreated.created_by')), err.result.reasons.join('\n'));
    // Apicurio's ccompat API ignores ?verbose=true: the reasons come from the local check then.
    assert.ok(err.result.reasonSource === 'registry' || err.result.reasonSource === 'local', String(err.result.reasonSource));
    assert.deepEqual(err.results.map((r) => r.status), ['registered', 'incompatible']);
    assert.deepEqual(seen, [...err.results]);
  });

  it('record and topic-record strategies register under the right subjects', async () => {
    // RecordNameStrategy subjects carry no topic: a unique namespace keeps reruns apart.
    const ns = `com.gocoffee.it.${uniqueName('ns').replace(/-/g, '_')}`;
    const dir = tempDir('schemas-ns-');
    cpSync(SCHEMAS, dir, { recursive: true });
    for (const event of readdirSync(dir)) {
      if (!EVENTS.some((e) => e.name === event)) continue;
      for (const f of readdirSync(join(dir, event))) {
        const p = join(dir, event, f);
        writeFileSync(p, readFileSync(p, 'utf8').replace('"namespace": "com.gocoffee.events"', `"namespace": "${ns}"`));
      }
    }

    const record = await registerSchemas({ registryUrl: REGISTRY_URL, schemasDir: dir, strategy: 'record' });
    assert.deepEqual([...new Set(record.map((r) => r.subject))], EVENTS.map((e) => `${ns}.${e.name}`));
    assert.ok(record.every((r) => r.status === 'registered'));
    assert.deepEqual((await rest(`/subjects/${enc(`${ns}.BeverageCreated`)}/versions`)).body, [1, 2]);

    const suffix = `.${uniqueName('tr')}`;
    const topicRecord = await registerSchemas({
      registryUrl: REGISTRY_URL,
      schemasDir: dir,
      strategy: 'topic-record',
      config: { topics: loadConfig({ env: {}, overrides: { brokers: 'x:1' } }).topics, topicSuffix: suffix },
    });
    assert.deepEqual([...new Set(topicRecord.map((r) => r.subject))], EVENTS.map((e) => `${DEFAULT_TOPICS[e.name]}${suffix}-${ns}.${e.name}`));
    assert.deepEqual((await rest(`/subjects/${enc(`beverage.created${suffix}-${ns}.BeverageCreated`)}/versions`)).body, [1, 2]);
    // the same schema text has the same id under every subject
    assert.deepEqual(topicRecord.map((r) => r.id), record.map((r) => r.id));
  });

  it('sets a differing compatibility level and reports the previous one', async () => {
    const { suffix } = configWithSuffix();
    const bc = `beverage.created${suffix}-value`;
    const put = await rest(`/config/${enc(bc)}`, { method: 'PUT', body: JSON.stringify({ compatibility: 'FORWARD' }) });
    assert.equal(put.status, 200);
    const config = { topics: loadConfig({ env: {}, overrides: { brokers: 'x:1' } }).topics, topicSuffix: suffix, schemaRegistryUrl: REGISTRY_URL };

    const first = await registerSchemas({ config });
    assert.equal(first[0]?.previousCompatibility, 'FORWARD');
    assert.equal(first[0]?.compatibilityAction, 'set');
    assert.equal(((await rest(`/config/${enc(bc)}`)).body as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD');

    const full = await registerSchemas({ config, compatibility: 'FULL' });
    assert.ok(full.every((r) => r.status === 'exists' && r.compatibilityAction === 'set' && r.previousCompatibility === 'BACKWARD'));
    assert.equal(((await rest(`/config/${enc(bc)}`)).body as { compatibilityLevel: string }).compatibilityLevel, 'FULL');
  });

  it('a wrong registry URL is a clear error, exit 1, no stack trace', async () => {
    const refused = await cli(['schemas', 'register', '--registry-url', 'http://127.0.0.1:1/apis/ccompat/v7']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\[GCK_SCHEMA_REGISTRY_UNREACHABLE\] cannot reach the Schema Registry at http:\/\/127\.0\.0\.1:1\/apis\/ccompat\/v7/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /);

    const base = REGISTRY_URL.replace(/\/apis\/ccompat\/v\d+\/?$/, '');
    if (base !== REGISTRY_URL) {
      const wrongPath = await cli(['schemas', 'register', '--registry-url', `${base}/wrong/path`]);
      assert.equal(wrongPath.code, 1);
      assert.match(wrongPath.stderr, /\[GCK_SCHEMA_REGISTRY\] no Schema Registry API at /);
      assert.doesNotMatch(wrongPath.stderr, /\n\s+at /);
    }

    await assert.rejects(registerSchemas({ registryUrl: 'http://127.0.0.1:1' }), (e: unknown) => e instanceof RegistryError && e.code === 'GCK_SCHEMA_REGISTRY_UNREACHABLE' && e.retriable);
  });
  it('a schemas folder of your own: each event under the topic configured for its camelCase name; an unconfigured one is a config error (exit 2)', async () => {
    const own = join(ROOT, 'test', 'fixtures', 'generic-project', 'schemas');
    const orders = uniqueName('own.orders');
    const payments = uniqueName('own.payments');
    const env = { ...process.env, GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED: orders, GOCOFFEE_KAFKA_TOPICS_PAYMENT_CAPTURED: payments };
    const run = await cli(['schemas', 'register', '--registry-url', REGISTRY_URL, '--schemas-dir', own, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { results: Array<{ subject: string; version: number; status: string }> };
    assert.deepEqual(summary.results.map((r) => [r.subject, r.version, r.status]), [
      [`${orders}-value`, 1, 'registered'],
      [`${orders}-value`, 2, 'registered'],
      [`${payments}-value`, 1, 'registered'],
    ]);
    const missing = await cli(['schemas', 'register', '--registry-url', REGISTRY_URL, '--schemas-dir', own], { ...process.env, GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED: orders });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /\[GCK_CONFIG\][\s\S]*kafka\.topics\.payment_captured: not set[\s\S]*GOCOFFEE_KAFKA_TOPICS_PAYMENT_CAPTURED/);
  });
});
