/** `gocoffee-kafka health`: one health check with the configured security, as JSON. */
import { secretsOf } from '../../config/index.js';
import { Manager } from '../../gocoffee/manager.js';
import { ConnectionManager } from '../../client.js';
import { loadCliConfig } from '../config.js';
import { defineCommand, exitCodeOf } from '../command.js';
import { describeError } from '../output.js';
import { EXIT } from '../types.js';

const HELP = `Usage: gocoffee-kafka health [options]

Connects with the configured SASL/TLS settings, runs one health check (a metadata round trip, the
producer state, and the Schema Registry when schema_registry_url is set) and prints it as JSON.

Options:
  --config <file>   YAML file with a kafka: section (GOCOFFEE_KAFKA_* variables apply on top).
  --verbose         Show stack traces of errors.
  -h, --help        Show this help.

Exit codes: 0 healthy; 1 unhealthy or unreachable; 2 bad usage or invalid configuration.
`;

export const healthCommand = defineCommand({
  path: ['health'],
  summary: 'Check that Kafka (and the Schema Registry) answer with the configured security',
  help: HELP,
  options: { config: { type: 'string' }, verbose: { type: 'boolean' } },
  async run(values, io) {
    let secrets: (string | undefined)[] = [];
    let close: (() => Promise<void>) | undefined;
    try {
      const cfg = loadCliConfig({ file: values.config, env: io.env });
      secrets = secretsOf(cfg);
      let status: { healthy: boolean; error?: string };
      if (cfg.schemaRegistryUrl !== undefined) {
        const m = new Manager(cfg);
        close = () => m.close();
        const initErr = await m.initialize().then(() => undefined, (e: unknown) => e as Error);
        status = initErr === undefined ? await m.healthCheck() : { healthy: false, error: initErr.message };
      } else {
        const cm = new ConnectionManager(cfg);
        close = () => cm.close();
        const t0 = performance.now();
        try {
          await cm.initialize();
          const md = await cm.metadata();
          status = { healthy: true, responseTimeMs: performance.now() - t0, details: { brokers: md.brokers.length } } as never;
        } catch (e) {
          status = { healthy: false, error: (e as Error).message };
        }
      }
      io.stdout(`${describeError(JSON.stringify(status, null, 2), false, secrets)}\n`);
      return status.healthy ? EXIT.OK : EXIT.FAILED;
    } catch (err) {
      io.stderr(`gocoffee-kafka health: ${describeError(err, values.verbose === true, secrets)}\n`);
      return exitCodeOf(err);
    } finally {
      await close?.().catch(() => undefined);
    }
  },
});
