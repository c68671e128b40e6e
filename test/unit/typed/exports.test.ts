import assert from 'node:assert/strict';
import * as root from '../../../src/index.js';
import * as gocoffee from '../../../src/gocoffee/index.js';
import * as typed from '../../../src/typed/index.js';
import { DEFAULT_EVENT_TYPE_SUFFIXES } from '../../../src/typed/catalog.js';
import { goJsonWriter } from '../../../src/gocoffee/catalog.js';
import { GoJsonWriter } from '../../../src/schema/go-json-writer.js';
import type { EventName as GoEventName } from '../../../src/gocoffee/catalog.js';

// Compile-time: the types of the JSON writing options are public at the root.
type _Writer = root.JsonWriter;
type _Factory = root.JsonWriterFactory;
type _Layout = root.GoJsonLayout;
type _Field = root.GoField;
const _options: root.DefineEventsOptions<Record<string, object>> = { schemasDir: '.', events: {}, jsonWriter: root.goJsonWriter as _Factory };
const _layout: _Layout = { struct: 'X', fields: [{ json: 'x', omitEmpty: true } satisfies _Field] };

describe('package exports: the issue 16 names', () => {
  it('the root exports DEFAULT_EVENT_TYPE_SUFFIXES, GoJsonWriter and goJsonWriter (the same bindings as their modules); typed/ and gocoffee/ too', () => {
    assert.equal(root.DEFAULT_EVENT_TYPE_SUFFIXES, DEFAULT_EVENT_TYPE_SUFFIXES);
    assert.equal(typed.DEFAULT_EVENT_TYPE_SUFFIXES, DEFAULT_EVENT_TYPE_SUFFIXES);
    assert.deepEqual(root.DEFAULT_EVENT_TYPE_SUFFIXES, ['.dev', '.staging', '.test']);
    assert.equal(root.GoJsonWriter, GoJsonWriter);
    assert.equal(root.goJsonWriter, goJsonWriter);
    assert.equal(gocoffee.goJsonWriter, goJsonWriter);
    assert.equal(root.goCoffeeEvents().jsonWriter, goJsonWriter, 'the Go Coffee catalog writes JSON the Go way');
    const versions = root.goCoffeeEvents().schemas.get('TaskCreated' satisfies GoEventName)!;
    const w: _Writer = root.goJsonWriter('TaskCreated', versions[versions.length - 1]!);
    assert.ok(w instanceof root.GoJsonWriter);
    assert.equal(w.entityType, 'task');
    assert.equal(typeof _options.jsonWriter, 'function');
    assert.equal(_layout.fields?.length, 1);
  });
});
