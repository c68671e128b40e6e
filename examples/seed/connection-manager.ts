// Twin of the Go package README's "1. Connection Manager (connection.go)" snippet
// (examples/seed/README.md lists every twin):
//
//   connectionManager := NewConnectionManager(kafkaConfig, logger, metrics, tracing)
//   if err := connectionManager.Initialize(ctx); err != nil {
//       log.Fatal("Failed to initialize Kafka:", err)
//   }
//   writer := connectionManager.GetWriter("beverage.created")
//   reader := connectionManager.GetReader("beverage.created", "beverage-processor")
//
// Run: node --conditions=gocoffee-source --import tsx examples/seed/connection-manager.ts
// (configuration from GOCOFFEE_KAFKA_* and GOCOFFEE_SCHEMA_REGISTRY_URL, as examples/quickstart.ts)
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConnectionManager, loadConfig, topicName } from '@gocoffee/kafka';

const kafkaConfig = loadConfig();
const logger = pino(); // Go's logger; metrics: a prom-client registry; tracing: the global OpenTelemetry provider
const metrics = new Registry();
const beverageCreated = topicName(kafkaConfig, 'beverageCreated'); // "beverage.created" (+ topic_suffix)

// Connection manager with SASL/TLS support
const connectionManager = new ConnectionManager(kafkaConfig, { telemetry: { logger, metrics } });
try {
  await connectionManager.initialize();
} catch (err) {
  logger.fatal({ err }, 'Failed to initialize Kafka');
  process.exit(1);
}

// Get writer for topic
const writer = connectionManager.getWriter(beverageCreated);

// Get reader for topic and group
const reader = connectionManager.getReader(beverageCreated, 'beverage-processor');

// ---- Beyond the Go snippet: write one message with the writer and read it back with the reader.
await connectionManager.createTopicManager().ensureTopics([{ name: beverageCreated }]);
const beverageID = crypto.randomUUID();
const written = await writer.write(JSON.stringify({ beverage_id: beverageID, name: 'Cosmic Coffee' }), { key: beverageID });
await reader.connect();
const deadline = Date.now() + 30_000;
let found = false;
while (!found && Date.now() < deadline) {
  const messages = await reader.read(100, 1000);
  found = messages.some((m) => m.key?.toString() === beverageID);
  reader.commit(messages);
}
if (!found) throw new Error(`the reader did not read ${beverageID} back from ${beverageCreated} within 30 s`);
console.log(`writer ${beverageCreated}: wrote ${beverageID} at offset ${written.offset}; reader ${beverageCreated}/beverage-processor read it back`);
await connectionManager.close();
