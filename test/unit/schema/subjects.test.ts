import assert from 'node:assert/strict';
import { SUBJECT_STRATEGIES, parseSubjectStrategy, subjectName } from '../../../src/schema/subjects.js';

describe('schema/subjects: one SubjectStrategy, one subjectName (serdes and registration)', () => {
  it('names subjects by strategy (topics carrying the environment suffix)', () => {
    assert.equal(subjectName('topic', 'beverage.created.dev', 'com.gocoffee.events.BeverageCreated'), 'beverage.created.dev-value');
    assert.equal(subjectName('record', 'beverage.created.dev', 'com.gocoffee.events.BeverageCreated'), 'com.gocoffee.events.BeverageCreated');
    assert.equal(subjectName('topic-record', 'beverage.created.dev', 'com.gocoffee.events.BeverageCreated'), 'beverage.created.dev-com.gocoffee.events.BeverageCreated');
    assert.throws(() => subjectName('nope' as never, 't', 'r'), /GCK_INVALID_ARGUMENT|strategy/);
  });

  it('names subjects of topics without a suffix', () => {
    assert.equal(subjectName('topic', 'beverage.created', 'com.gocoffee.events.BeverageCreated'), 'beverage.created-value');
    assert.equal(subjectName('record', 'beverage.created', 'com.gocoffee.events.BeverageCreated'), 'com.gocoffee.events.BeverageCreated');
    assert.equal(subjectName('topic-record', 'beverage.created', 'com.gocoffee.events.BeverageCreated'), 'beverage.created-com.gocoffee.events.BeverageCreated');
  });

  it('parses CLI spellings and Confluent class names', () => {
    assert.equal(parseSubjectStrategy('topic'), 'topic');
    assert.equal(parseSubjectStrategy('RecordNameStrategy'), 'record');
    assert.equal(parseSubjectStrategy('topic_record'), 'topic-record');
    assert.equal(parseSubjectStrategy('TopicRecordNameStrategy'), 'topic-record');
    assert.equal(parseSubjectStrategy('subject'), undefined);
  });

  it('SUBJECT_STRATEGIES lists every strategy, the default first, and each names a subject', () => {
    assert.deepEqual(SUBJECT_STRATEGIES, ['topic', 'record', 'topic-record']);
    for (const s of SUBJECT_STRATEGIES) assert.equal(parseSubjectStrategy(s), s);
  });
});
