import { GoCoffeeKafkaError } from '../errors/index.js';

/** One problem found in the configuration: where (a field path or env variable) and what. */
export interface ConfigIssue {
  /** e.g. `kafka.batch_size`, `kafka.topics.task_created`, `GOCOFFEE_KAFKA_BATCH_SIZE`. */
  readonly path: string;
  /** What is wrong and what was expected; never contains the value of a secret. */
  readonly message: string;
}

/**
 * The configuration could not be loaded or is invalid. `issues` lists every problem found in one
 * validation pass; the message lists them one per line. Not retriable: fix the configuration.
 */
export class ConfigError extends GoCoffeeKafkaError {
  declare readonly code: 'GCK_CONFIG';
  readonly issues: ReadonlyArray<ConfigIssue>;

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const frozen = Object.freeze(issues.map((i) => Object.freeze({ path: i.path, message: i.message })));
    super('GCK_CONFIG', formatIssues(frozen), {
      retriable: false,
      fatal: false,
      cause: options.cause,
      context: { issues: frozen },
    });
    this.issues = frozen;
  }
}

function formatIssues(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`);
  return `Invalid Kafka configuration:\n${lines.join('\n')}`;
}
