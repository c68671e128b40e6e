import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../../../src/errors/base.js';
import { goCoffeeEvents } from '../../../src/gocoffee/catalog.js';
import { DecodeError } from '../../../src/schema/errors.js';
import { decodeJsonEvent } from '../../../src/schema/json.js';
import { defineEvents, DEFAULT_EVENT_TYPE_SUFFIXES } from '../../../src/typed/catalog.js';
import { FIXTURE_FILE, READABLE, readFixtures, type GoFixture } from '../../fixtures/go/expected.js';

const goModule = fileURLToPath(new URL('../../fixtures/go/', import.meta.url));

/** `go` on PATH (the test then regenerates the fixtures), else undefined. */
function goVersion(): string | undefined {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function writable(dir: string | undefined): boolean {
  if (dir === undefined || dir === '') return false;
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Environment for `go run`: the module as it is (no network), this Go, a writable cache. */
function goEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false', GOTOOLCHAIN: 'local', GOPROXY: 'off' };
  if (!env.GOCACHE && !writable(env.HOME)) {
    env.GOCACHE = join(tmpdir(), 'gocoffee-kafka-go-cache');
    env.GOMODCACHE ||= join(tmpdir(), 'gocoffee-kafka-go-modcache');
  }
  return env;
}

const view = (f: GoFixture) => ({ topic: `${f.topic_key}`, partition: 0, offset: 0, value: Buffer.from(f.payload, 'utf8'), header: (name: string) => f.headers[name] });

describe("schema/json: the Go services' JSON events (Go-produced fixtures, test/fixtures/go)", function () {
  let fixtures: GoFixture[];
  const serde = goCoffeeEvents().serde(); // JSON only: no registry

  before(function () {
    const go = goVersion();
    if (go === undefined) {
      console.log('      [go-json] Go is not on PATH: reading the committed test/fixtures/go/go-events.json');
      fixtures = readFixtures();
      return;
    }
    this.timeout(300_000); // a cold Go build cache
    const dir = mkdtempSync(join(tmpdir(), 'go-events-'));
    try {
      const out = join(dir, 'go-events.json');
      const r = spawnSync('go', ['run', './gen', '-o', out], { cwd: goModule, env: goEnv(), encoding: 'utf8' });
      assert.equal(r.status, 0, `go run ./gen failed (${go}): ${r.error?.message ?? ''}${r.stderr}`);
      const generated = readFileSync(out);
      assert.ok(
        generated.equals(readFileSync(FIXTURE_FILE)),
        'test/fixtures/go/go-events.json is not what the Go program writes: run `cd test/fixtures/go && go run ./gen` and commit the file',
      );
      console.log(`      [go-json] ${go}: go run ./gen wrote the committed fixture file byte for byte`);
      fixtures = readFixtures(out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every fixture has an expectation and the reverse (readable ones here, unreadable ones name their error in the file)', () => {
    const readable = fixtures.filter((f) => f.error === undefined).map((f) => f.name);
    assert.deepEqual([...readable].sort(), Object.keys(READABLE).sort());
    for (const f of fixtures) if (f.error !== undefined) assert.ok(f.error.field !== undefined || f.error.message !== undefined, f.name);
    assert.ok(fixtures.length >= 50, `${fixtures.length} fixtures`);
    for (const f of fixtures) {
      assert.equal(f.headers['content_type'], 'application/json', f.name);
      assert.equal(f.headers['entity_id'], f.key, f.name);
    }
  });

  it('every readable fixture decodes to exactly its expected event (headers resolved by the Go Coffee catalog)', async () => {
    for (const f of fixtures) {
      const want = READABLE[f.name];
      if (want === undefined) continue;
      const d = await serde.decode(view(f));
      assert.equal(d.eventName, want.event, f.name);
      assert.equal(d.format, 'json', f.name);
      assert.deepStrictEqual(d.value, want.value, `${f.name}: ${f.payload}`);
    }
  });

  it('every unreadable fixture is a DecodeError naming its field (or saying why the payload is unreadable)', async () => {
    const unreadable = fixtures.filter((f) => f.error !== undefined);
    assert.ok(unreadable.length >= 10);
    for (const f of unreadable) {
      const err = await serde.decode(view(f)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof DecodeError, `${f.name}: expected a DecodeError, got ${String(err)}`);
      assert.equal(err.retriable, false);
      if (f.error!.field !== undefined) {
        assert.deepEqual(err.context['fields'], [f.error!.field], `${f.name}: ${err.message}`);
        assert.match(err.message, new RegExp(`: ${f.error!.field.replace(/\./g, '\\.')}: got `), f.name);
      }
      if (f.error!.message !== undefined) assert.ok(err.message.includes(f.error!.message), `${f.name}: ${err.message}`);
    }
  });

  it('error messages say what was got and what was expected', () => {
    const byName = new Map(fixtures.map((f) => [f.name, f]));
    const reader = (event: string) => goCoffeeEvents().schemas.get(event)!.at(-1)!.type;
    const message = (name: string, event: string): string => {
      try {
        decodeJsonEvent(Buffer.from(byName.get(name)!.payload), reader(event), {});
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    assert.equal(message('unreadable/name-is-a-number', 'BeverageCreated'), 'JSON event does not match com.gocoffee.events.BeverageCreated: name: got number 5, expected a string');
    assert.match(message('unreadable/created-at-not-a-time', 'BeverageCreated'), /created_at: got string "yesterday", expected an RFC 3339 time/);
    assert.match(message('unreadable/tokens-used-over-int32', 'AIRequestCompleted'), /tokens_used: got 2147483648, beyond the schema's int \(-2147483648\.\.2147483647\)/);
    assert.match(message('unreadable/duration-not-a-duration', 'AIRequestCompleted'), /duration: got string "forever", expected a Go time\.Duration/);
    assert.match(message('unreadable/duration-a-float64', 'AIRequestCompleted'), /duration: got 10000000000000000000, beyond a Go time\.Duration \(int64 nanoseconds/);
    assert.match(message('unreadable/duration-beyond-int64', 'AIRequestCompleted'), /duration: got 9223372036854775808, beyond a Go time\.Duration/);
    assert.match(message('unreadable/duration-an-exponent', 'AIRequestCompleted'), /duration: got number 1\.5e9, expected a Go time\.Duration: integer nanoseconds \(digits only/);
    assert.match(message('unreadable/tokens-used-an-exponent', 'AIRequestCompleted'), /tokens_used: got number 1e3, expected an integer \(digits only: Go's encoding\/json refuses a fraction or an exponent/);
    assert.match(message('unreadable/tokens-used-one-point-zero', 'AIRequestCompleted'), /tokens_used: got number 512\.0, expected an integer/);
  });
});

describe('typed/catalog: environment-suffixed event_type headers', () => {
  it('the Go Coffee catalog resolves beverage.created.dev / .staging / .test to the event; exact types and names too; others are unknown', () => {
    const c = goCoffeeEvents();
    assert.deepEqual(c.eventTypeSuffixes, ['.dev', '.staging', '.test']);
    assert.deepEqual(DEFAULT_EVENT_TYPE_SUFFIXES, ['.dev', '.staging', '.test']);
    for (const s of ['', '.dev', '.staging', '.test']) {
      assert.equal(c.eventNameOf(`beverage.created${s}`), 'BeverageCreated', s);
      assert.equal(c.eventNameOf(`ai.request.completed${s}`), 'AIRequestCompleted', s);
    }
    assert.equal(c.eventNameOf('BeverageCreated'), 'BeverageCreated');
    assert.equal(c.eventNameOf('beverage.created.prod'), undefined);
    assert.equal(c.eventNameOf('beverage.created.dev.dev'), undefined);
    assert.equal(c.eventNameOf('.dev'), undefined);
    const custom = c.eventTypeResolver(['.qa']);
    assert.equal(custom('task.created.qa'), 'TaskCreated');
    assert.equal(custom('task.created.dev'), undefined);
    assert.equal(custom('task.created'), 'TaskCreated');
  });

  it('defineEvents({ eventTypeSuffixes }) configures them ([] turns them off); an exact event type always wins; bad values are named', () => {
    const schemasDir = new URL('../../fixtures/generic-project/schemas/', import.meta.url);
    const names = readdirNames(schemasDir);
    const specs = (types: Record<string, string>) => Object.fromEntries(names.map((n) => [n, { topic: `t.${n}`, eventType: types[n] ?? n }]));
    const plain = defineEvents({ schemasDir, events: specs({}) as never });
    assert.equal(plain.eventNameOf(`${names[0]}.staging`), names[0]);
    const off = defineEvents({ schemasDir, events: specs({}) as never, eventTypeSuffixes: [] });
    assert.equal(off.eventNameOf(`${names[0]}.staging`), undefined);
    assert.equal(off.eventNameOf(names[0]!), names[0]);
    const qa = defineEvents({ schemasDir, events: specs({}) as never, eventTypeSuffixes: ['-qa'] });
    assert.equal(qa.eventNameOf(`${names[0]}-qa`), names[0]);
    assert.equal(qa.eventNameOf(`${names[0]}.dev`), undefined);
    // An event whose own type looks suffixed keeps it.
    const clash = defineEvents({ schemasDir, events: specs({ [names[0]!]: 'order', [names[1]!]: 'order.dev' }) as never });
    assert.equal(clash.eventNameOf('order.dev'), names[1]);
    assert.equal(clash.eventNameOf('order.test'), names[0]);
    for (const bad of [['dev', ''], '.dev', [7], ['a b']]) {
      assert.throws(() => defineEvents({ schemasDir, events: specs({}) as never, eventTypeSuffixes: bad as never }), (e: unknown) => e instanceof InvalidArgumentError && /eventTypeSuffixes/.test(e.message));
    }
  });
});

function readdirNames(dir: URL): string[] {
  return readdirSync(dir).filter((n) => /^[A-Z]/.test(n)).sort();
}
