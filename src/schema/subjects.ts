/**
 * Subject naming (Confluent's strategies), the one definition used by the serdes and by schema
 * registration: `topic` = TopicNameStrategy `<topic>-value` (default), `record` =
 * RecordNameStrategy `<namespace>.<name>`, `topic-record` = TopicRecordNameStrategy
 * `<topic>-<namespace>.<name>`.
 */
import { InvalidArgumentError } from '../errors/base.js';

/** How a value schema's subject is named. */
export type SubjectStrategy = 'topic' | 'record' | 'topic-record';

/** Every strategy, the default first. */
export const SUBJECT_STRATEGIES: readonly SubjectStrategy[] = Object.freeze(['topic', 'record', 'topic-record']);

/**
 * The subject a value schema is registered under: `topic` → `<topic>-value`, `record` →
 * `<namespace>.<name>`, `topic-record` → `<topic>-<namespace>.<name>`. `topic` already carries
 * the environment suffix; `recordFullName` is the record's `<namespace>.<name>`.
 * @throws InvalidArgumentError for a strategy that is none of {@link SUBJECT_STRATEGIES}.
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

/** Accepts the CLI spellings and Confluent's class names (TopicNameStrategy, ...); undefined for anything else. */
export function parseSubjectStrategy(value: string): SubjectStrategy | undefined {
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  if (v === 'topic' || v === 'topicnamestrategy') return 'topic';
  if (v === 'record' || v === 'recordnamestrategy') return 'record';
  if (v === 'topic-record' || v === 'topicrecord' || v === 'topicrecordnamestrategy') return 'topic-record';
  return undefined;
}
