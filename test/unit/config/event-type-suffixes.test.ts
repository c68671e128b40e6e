import assert from 'node:assert/strict';
import { describeConfig, fieldByKey, loadConfig, resolveConfig, type KafkaConfig } from '../../../src/config/index.js';
import { DEFAULT_EVENT_TYPE_SUFFIXES } from '../../../src/typed/catalog.js';
import { BROKERS, issueAt, issuesOf, tempDir } from './helpers.js';

describe('config: event_type_suffixes (issue 16 review item 2)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const base = { brokers: [...BROKERS] };

  it('default: .dev, .staging, .test — the typed catalogs\' default — frozen, shown by describeConfig', () => {
    const c = resolveConfig(base);
    assert.deepEqual(c.eventTypeSuffixes, ['.dev', '.staging', '.test']);
    assert.deepEqual(c.eventTypeSuffixes, DEFAULT_EVENT_TYPE_SUFFIXES);
    assert.ok(Object.isFrozen(c.eventTypeSuffixes));
    assert.equal(fieldByKey('eventTypeSuffixes').env, 'GOCOFFEE_KAFKA_EVENT_TYPE_SUFFIXES');
    assert.match(describeConfig(c), /^kafka\.event_type_suffixes = \.dev,\.staging,\.test$/m);
  });

  it('YAML: a list (duplicates dropped, order kept), [] for none', () => {
    const list = tmp.write('l.yaml', 'kafka:\n  brokers: [localhost:9092]\n  event_type_suffixes: [.qa, -canary, .qa]\n');
    assert.deepEqual(loadConfig({ file: list, env: {} }).eventTypeSuffixes, ['.qa', '-canary']);
    const none = tmp.write('n.yaml', 'kafka:\n  brokers: [localhost:9092]\n  event_type_suffixes: []\n');
    const c = loadConfig({ file: none, env: {} });
    assert.deepEqual(c.eventTypeSuffixes, []);
    assert.match(describeConfig(c), /^kafka\.event_type_suffixes = none$/m);
  });

  it('environment: comma-separated (blanks dropped), "none" for none; it overrides the file', () => {
    const file = tmp.write('e.yaml', 'kafka:\n  brokers: [localhost:9092]\n  event_type_suffixes: [.qa]\n');
    assert.deepEqual(loadConfig({ file, env: { GOCOFFEE_KAFKA_EVENT_TYPE_SUFFIXES: ' .dev , ,.prod-eu ' } }).eventTypeSuffixes, ['.dev', '.prod-eu']);
    assert.deepEqual(loadConfig({ file, env: { GOCOFFEE_KAFKA_EVENT_TYPE_SUFFIXES: 'NONE' } }).eventTypeSuffixes, []);
    assert.deepEqual(loadConfig({ file, env: { GOCOFFEE_KAFKA_EVENT_TYPE_SUFFIXES: '' } }).eventTypeSuffixes, ['.qa'], 'an empty variable counts as unset');
  });

  it('program input: a list or a comma-separated string', () => {
    assert.deepEqual(resolveConfig({ ...base, eventTypeSuffixes: ['.a', '.b'] }).eventTypeSuffixes, ['.a', '.b']);
    assert.deepEqual(resolveConfig({ ...base, eventTypeSuffixes: '.a,.b' }).eventTypeSuffixes, ['.a', '.b']);
    assert.deepEqual(resolveConfig({ ...base, eventTypeSuffixes: [] }).eventTypeSuffixes, []);
  });

  it('a bad suffix is a ConfigError naming the item and what was expected', () => {
    const expected = fieldByKey('eventTypeSuffixes').expected;
    const item = issueAt(issuesOf(() => resolveConfig({ ...base, eventTypeSuffixes: ['.dev', 'bad suffix!'] })), 'kafka.event_type_suffixes[1]');
    assert.equal(item.message, `got "bad suffix!", expected ${expected} (invalid character)`);
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, eventTypeSuffixes: [''] })), 'kafka.event_type_suffixes[0]').message, /\(empty\)$/);
    assert.match(issueAt(issuesOf(() => resolveConfig({ ...base, eventTypeSuffixes: 5 as never })), 'kafka.event_type_suffixes').message, /^got 5, expected /);
    const env = issueAt(issuesOf(() => loadConfig({ env: { GOCOFFEE_KAFKA_BROKERS: 'localhost:9092', GOCOFFEE_KAFKA_EVENT_TYPE_SUFFIXES: '.dev,/x' } })), 'GOCOFFEE_KAFKA_EVENT_TYPE_SUFFIXES[1]');
    assert.match(env.message, /^got "\/x", expected /);
  });

  it('KafkaConfig built by hand without the later fields (serialization, topicSerialization, eventTypeSuffixes) type-checks (review item 6)', () => {
    const { serialization: _s, topicSerialization: _t, eventTypeSuffixes: _e, ...older } = resolveConfig(base);
    // A literal of the fields every release had: compiles only while the later ones stay optional.
    const handBuilt: KafkaConfig = { ...older };
    assert.equal(handBuilt.serialization, undefined);
    assert.equal(handBuilt.topicSerialization, undefined);
    assert.equal(handBuilt.eventTypeSuffixes, undefined);
  });
});
