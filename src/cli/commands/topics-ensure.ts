/** `gocoffee-kafka topics ensure`: create the configured event topics (and their dead-letter topics). */
import { secretsOf } from '../../config/index.js';
import { ConnectionManager } from '../../client.js';
import { TopicManager } from '../../admin/topic-manager.js';
import { loadCliConfig } from '../config.js';
import { defineCommand, exitCodeOf } from '../command.js';
import { CliUsageError, describeError, renderTable } from '../output.js';
import { EXIT } from '../types.js';

const HELP = `Usage: gocoffee-kafka topics ensure [options]

Creates every missing event topic of the configuration (topic_suffix applied) and, unless
--no-dead-letter, its <topic>.dlq dead-letter topic. Existing topics are left unchanged; a
difference from the requested partitions or replication factor is reported as a warning. The admin
client uses the configured SASL/TLS settings; CreateTopics goes to the cluster controller.

Options:
  --config <file>              YAML file with a kafka: section (GOCOFFEE_KAFKA_* variables apply on top).
  --partitions <n>             Partitions of new topics (default 6).
  --replication-factor <n>     Replication factor of new topics (default: min(3, brokers)).
  --topic-config <k=v>         A topic config for new topics, repeatable (e.g. retention.ms=604800000).
  --no-dead-letter             Do not create <topic>.dlq topics.
  --json                       Print the results as JSON.
  --verbose                    Show stack traces of errors.
  -h, --help                   Show this help.

Exit codes: 0 all topics exist now; 1 a topic could not be created or the cluster is unreachable;
2 bad usage or invalid configuration.
`;

const OPTIONS = {
  config: { type: 'string' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  'topic-config': { type: 'string', multiple: true },
  'no-dead-letter': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`--${name}: got ${JSON.stringify(v)}, expected a positive integer`);
  return n;
}

export const topicsEnsureCommand = defineCommand({
  path: ['topics', 'ensure'],
  summary: 'Create the configured event topics and their dead-letter topics (idempotent)',
  help: HELP,
  options: OPTIONS,
  async run(values, io) {
    const verbose = values.verbose === true;
    let cm: ConnectionManager | undefined;
    let secrets: (string | undefined)[] = [];
    try {
      const partitions = positiveInt('partitions', values.partitions);
      const replicationFactor = positiveInt('replication-factor', values['replication-factor']);
      const config: Record<string, string> = {};
      for (const kv of values['topic-config'] ?? []) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new CliUsageError(`--topic-config: got ${JSON.stringify(kv)}, expected key=value`);
        config[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const cfg = loadCliConfig({ file: values.config, env: io.env });
      secrets = secretsOf(cfg);
      cm = new ConnectionManager(cfg);
      await cm.initialize();
      const results = await new TopicManager(cm).ensureTopics(undefined, {
        ...(partitions !== undefined ? { partitions } : {}),
        ...(replicationFactor !== undefined ? { replicationFactor } : {}),
        config,
        deadLetterTopics: values['no-dead-letter'] !== true,
      });
      if (values.json === true) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
      else {
        io.stdout(renderTable(['TOPIC', 'PARTITIONS', 'RF', 'STATUS'], results.map((r) => [r.topic, String(r.partitions), String(r.replicationFactor), r.status])));
        for (const r of results) for (const w of r.warnings) io.stdout(`warning: ${r.topic} ${w}\n`);
      }
      return EXIT.OK;
    } catch (err) {
      io.stderr(`gocoffee-kafka topics ensure: ${describeError(err, verbose, secrets)}\n`);
      return exitCodeOf(err);
    } finally {
      await cm?.close().catch(() => undefined);
    }
  },
});
