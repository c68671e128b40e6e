import assert from 'node:assert/strict';
import { EVENTS } from '../../../src/gocoffee/catalog.js';
import { AvroEncoder } from '../../../src/schema/avro.js';
import { EventSerde, packageEventSchemas, registerSchemas, type SerializedMessageView } from '../../../src/gocoffee/serde.js';
import { InvalidArgumentError } from '../../../src/errors/base.js';
import { loadConfig } from '../../../src/config/index.js';
import { DecodeError, RegistryError, UnknownSchemaError, WireFormatError } from '../../../src/schema/errors.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { PROXY_404, SCHEMA_NOT_FOUND, SUBJECT_NOT_FOUND, scriptedServer, type Answer, type ScriptedServer } from '../schema/http-server.js';

const schemas = packageEventSchemas();
const bevV1 = schemas.get('BeverageCreated')![0]!;
const BEVERAGE = {
  beverage_id: 'b-1', name: 'Cosmic Coffee', description: 'A stellar blend', theme: 'Mars Base',
  ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }], created_by: 'agent', created_at: new Date(1_700_000_000_000), metadata: {},
};

function view(value: Buffer | null, headers: Record<string, string> = {}, topic = 'beverage.created'): SerializedMessageView {
  return { topic, partition: 0, offset: 1, value, header: (n) => headers[n] };
}

describe('events/serde: EventSerde over the one registry client (local HTTP server)', () => {
  let srv: ScriptedServer | undefined;
  let registry: SchemaRegistry | undefined;
  const serdeFor = async (answers: readonly Answer[], opts: Partial<ConstructorParameters<typeof EventSerde>[0]> = {}): Promise<EventSerde> => {
    srv = await scriptedServer(answers);
    registry = new SchemaRegistry({ url: srv.url, retries: 1, retryBackoffMs: 5 });
    return new EventSerde({ registry, ...opts }, (t) => EVENTS.find((e) => e.eventType === t)?.name);
  };
  afterEach(async () => {
    registry?.close();
    await srv?.close();
    registry = undefined;
    srv = undefined;
  });

  it('the default schemas are the catalog\'s events from the package\'s schemas/ folder', () => {
    assert.deepEqual([...schemas.keys()], EVENTS.map((e) => e.name));
    assert.deepEqual(schemas.get('BeverageCreated')?.map((v) => v.version), [1, 2]);
  });

  it('encoder: one lookup under the strategy\'s subject, then synchronous; a pinned writer version is used', async () => {
    const serde = await serdeFor([{ status: 200, body: { subject: 's', id: 31, version: 1, schema: bevV1.text } }], { strategy: 'topic-record', writerVersions: { BeverageCreated: 1 } });
    assert.equal(serde.encoderSync('beverage.created', 'BeverageCreated'), undefined);
    const enc = await serde.encoder('beverage.created', 'BeverageCreated');
    assert.equal(enc.schemaId, 31);
    assert.equal(serde.encoderSync('beverage.created', 'BeverageCreated'), enc);
    await serde.encoder('beverage.created', 'BeverageCreated');
    assert.deepEqual(srv!.requests.map((r) => r.url), ['/subjects/beverage.created-com.gocoffee.events.BeverageCreated?normalize=false']);
    assert.deepEqual(JSON.parse(srv!.requests[0]!.body), { schemaType: 'AVRO', schema: bevV1.text });
  });

  it('encoder: a schema the registry does not have is a permanent error naming the subject; the next call asks again', async () => {
    const serde = await serdeFor([SUBJECT_NOT_FOUND]);
    await assert.rejects(serde.encoder('beverage.created', 'BeverageCreated'), (e: unknown) => e instanceof RegistryError && !e.retriable && /not registered under subject "beverage\.created-value"/.test(e.message));
    await assert.rejects(serde.encoder('beverage.created', 'BeverageCreated'));
    assert.equal(srv!.requests.length, 2);
  });

  it('decode: Avro written with v1 is read as the local latest (v2), the writer fetched once by id', async () => {
    const serde = await serdeFor([{ status: 200, body: { schema: bevV1.text } }]);
    const bytes = new AvroEncoder('BeverageCreated', bevV1.type, 77).encode(BEVERAGE);
    for (let i = 0; i < 2; i++) {
      const d = await serde.decode(view(bytes), 'BeverageCreated');
      assert.equal(d.eventName, 'BeverageCreated');
      assert.equal(d.format, 'avro');
      assert.equal(d.schemaId, 77);
      assert.equal((d.value as Record<string, unknown>)['name'], 'Cosmic Coffee');
      assert.deepEqual((d.value as Record<string, unknown>)['tags'], [], 'v2 field default');
    }
    assert.deepEqual(srv!.requests.map((r) => r.url), ['/schemas/ids/77']);
  });

  it('decode: a proxy 404 for the writer schema is retriable (the consumer retries), the registry\'s 40403 is not (dead-letter)', async () => {
    const bytes = Buffer.from('0000000007' + '00', 'hex');
    const proxied = await serdeFor([PROXY_404]);
    const e1 = await proxied.decode(view(bytes)).then(() => undefined, (e: unknown) => e);
    assert.ok(e1 instanceof RegistryError && !(e1 instanceof UnknownSchemaError) && e1.retriable === true, String(e1));
    registry!.close();
    await srv!.close();
    const unknown = await serdeFor([SCHEMA_NOT_FOUND]);
    const e2 = await unknown.decode(view(bytes)).then(() => undefined, (e: unknown) => e);
    assert.ok(e2 instanceof UnknownSchemaError && e2.retriable === false, String(e2));
  });

  it('decode: Go JSON events by event_type header; bad bytes are typed, non-retriable errors', async () => {
    const serde = await serdeFor([]);
    const json = { ...BEVERAGE, created_at: '2023-11-14T22:13:20Z' };
    const d = await serde.decode(view(Buffer.from(JSON.stringify(json)), { content_type: 'application/json', event_type: 'beverage.created' }));
    assert.equal(d.format, 'json');
    assert.deepEqual((d.value as Record<string, unknown>)['created_at'], new Date('2023-11-14T22:13:20Z'));
    await assert.rejects(serde.decode(view(Buffer.from('{}'), { content_type: 'application/json', event_type: 'nope' })), (e: unknown) => e instanceof DecodeError && /unknown event_type "nope"/.test(e.message));
    await assert.rejects(serde.decode(view(Buffer.from([1, 0, 0, 0, 1]))), (e: unknown) => e instanceof WireFormatError && !e.retriable);
    assert.equal(srv!.requests.length, 0);
  });

  it('registerSchemas: the catalog\'s events under the configured topics\' subjects, registry and credentials from the config', async () => {
    srv = await scriptedServer([], (req, res) => {
      const answer = req.url === '/config' ? [200, { compatibilityLevel: 'BACKWARD' }] : [404, { error_code: 40401, message: 'Subject not found' }];
      res.writeHead(answer[0] as number, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer[1]));
      return true;
    });
    const base = loadConfig({ env: {}, overrides: { brokers: 'x:1', topicSuffix: '.dev' } });
    const config = { topics: base.topics, topicSuffix: base.topicSuffix, schemaRegistryUrl: srv.url, schemaRegistryUsername: 'bob', schemaRegistryPassword: 'pw' };
    const results = await registerSchemas({ config, dryRun: true, strategy: 'topic' });
    assert.deepEqual([...new Set(results.map((r) => r.subject))], EVENTS.map((e) => `${base.topics[e.topicKey]}.dev-value`));
    assert.deepEqual(results.map((r) => r.event), EVENTS.flatMap((e) => schemas.get(e.name)!.map(() => e.name)));
    assert.ok(results.every((r) => r.status === 'would-register'));
    assert.ok(srv.requests.every((r) => r.headers['authorization'] === `Basic ${Buffer.from('bob:pw').toString('base64')}`));
    assert.ok(!srv.requests.some((r) => r.method === 'PUT' || /\/versions\?/.test(r.url)), 'dry run writes nothing');
    await assert.rejects(registerSchemas({}), (e: unknown) => e instanceof InvalidArgumentError && /no Schema Registry URL/.test(e.message));
  });
});
