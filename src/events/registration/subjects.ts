import { InvalidArgumentError } from '../../errors/index.js';
import { SUBJECT_STRATEGIES, type SubjectStrategy } from './types.js';

/**
 * The subject a value schema is registered under (Confluent's naming strategies):
 * `topic` → `<topic>-value`, `record` → `<namespace>.<name>`, `topic-record` →
 * `<topic>-<namespace>.<name>`. `topic` already carries the environment suffix.
 */
export function subjectName(strategy: SubjectStrategy, topic: string, recordFullName: string): string {
  switch (strategy) {
    case 'topic':
      return `${topic}-value`;
    case 'record':
      return recordFullName;
    case 'topic-record':
      return `${topic}-${recordFullName}`;
    default:
      throw new InvalidArgumentError('strategy', `got ${JSON.stringify(strategy)}, expected one of ${SUBJECT_STRATEGIES.join(', ')}`);
  }
}

/** Accepts the CLI spellings and Confluent's class names (TopicNameStrategy, ...). */
export function parseSubjectStrategy(value: string): SubjectStrategy | undefined {
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  if (v === 'topic' || v === 'topicnamestrategy') return 'topic';
  if (v === 'record' || v === 'recordnamestrategy') return 'record';
  if (v === 'topic-record' || v === 'topicrecord' || v === 'topicrecordnamestrategy') return 'topic-record';
  return undefined;
}
