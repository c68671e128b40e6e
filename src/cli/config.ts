/**
 * Configuration for CLI commands: the usual loadConfig (YAML `--config` file, GOCOFFEE_KAFKA_*
 * environment, command-line overrides last), for commands that may not need every setting.
 */
import { ConfigError, loadConfig, type KafkaConfig, type KafkaConfigInput } from '../config/index.js';

export interface CliConfigOptions {
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly overrides?: KafkaConfigInput | undefined;
  /**
   * False for commands that never talk to Kafka (schemas register): a missing or invalid broker
   * list is then not an error. Default true.
   */
  readonly needBrokers?: boolean | undefined;
}

/** A placeholder for commands that do not connect to Kafka; never used to connect. */
const UNUSED_BROKERS = 'unused.invalid:9092';

export function loadCliConfig(options: CliConfigOptions): KafkaConfig {
  const base = { file: options.file, env: options.env, overrides: options.overrides };
  try {
    return loadConfig(base);
  } catch (err) {
    if (options.needBrokers !== false || !(err instanceof ConfigError)) throw err;
    const rest = err.issues.filter((i) => !isBrokersIssue(i.path));
    if (rest.length > 0) throw new ConfigError(rest);
    return loadConfig({ ...base, overrides: { ...(options.overrides ?? {}), brokers: UNUSED_BROKERS } });
  }
}

function isBrokersIssue(path: string): boolean {
  return /^(kafka\.brokers|GOCOFFEE_KAFKA_BROKERS)($|[[.])/.test(path);
}
