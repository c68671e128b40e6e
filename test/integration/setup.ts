/**
 * Root hooks of the integration suite: it runs only against a real cluster. `npm run
 * test:integration` (scripts/with-stack.mjs) starts the local Kafka + Apicurio stack unless
 * GOCOFFEE_KAFKA_BROKERS / GOCOFFEE_SCHEMA_REGISTRY_URL point at an existing one.
 */
import { loadNativeBinding } from '../../src/native/index.js';
import { BROKERS, REGISTRY_URL, clusterVersions } from './helpers.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(30_000);
    const v = await clusterVersions();
    const binding = loadNativeBinding();
    console.log(
      `\n  integration target: Kafka ${v.kafka} at ${BROKERS}; Schema Registry ${v.registry} at ${REGISTRY_URL}\n` +
        `  client: node-rdkafka with librdkafka ${binding.librdkafkaVersion}, Node ${process.version}\n`,
    );
  },
};
