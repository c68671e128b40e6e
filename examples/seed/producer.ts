// Twin of the Go package README's "2. Producer (producer.go)" snippet
// (examples/seed/README.md lists every twin):
//
//   producer := NewProducer(connectionManager, logger, metrics, tracing)
//   message := NewMessage("beverage.created", beverageData).
//       WithKey(beverageID).
//       WithHeader("event_type", "beverage.created").
//       WithMetadata("source", "beverage-inventor-agent")
//   if err := producer.Publish(ctx, message); err != nil {
//       return fmt.Errorf("failed to publish message: %w", err)
//   }
//   messages := []*Message{message1, message2, message3}
//   if err := producer.PublishBatch(ctx, messages); err != nil {
//       return fmt.Errorf("failed to publish batch: %w", err)
//   }
//
// Run: node --conditions=gocoffee-source --import tsx examples/seed/producer.ts
import { pino } from 'pino';
import { ConnectionManager, Producer, loadConfig, newMessage, topicName } from '@gocoffee/kafka';

// ---- Set-up the snippet assumes: a connection manager (examples/seed/connection-manager.ts) and the topic.
const kafkaConfig = loadConfig();
const logger = pino();
const connectionManager = new ConnectionManager(kafkaConfig, { telemetry: { logger } });
await connectionManager.initialize();
const beverageCreated = topicName(kafkaConfig, 'beverageCreated'); // "beverage.created" (+ topic_suffix)
await connectionManager.createTopicManager().ensureTopics([{ name: beverageCreated }]);
const beverage = (name: string) => ({ beverage_id: crypto.randomUUID(), name, theme: 'Mars Base' });
const beverageData = beverage('Cosmic Coffee');
const beverageID = beverageData.beverage_id;

// Create producer (one producer per process: it publishes through the connection manager's)
const producer = new Producer(connectionManager);

// Publish single message
const message = newMessage(beverageCreated, beverageData)
  .withKey(beverageID)
  .withHeader('event_type', 'beverage.created')
  .withMetadata('source', 'beverage-inventor-agent');

try {
  await producer.publish(message);
} catch (err) {
  throw new Error('failed to publish message', { cause: err });
}

// Publish batch
const batch = [beverage('Lunar Latte'), beverage('Nebula Nitro'), beverage('Comet Cortado')];
const [message1, message2, message3] = batch.map((b) => newMessage(beverageCreated, b).withKey(b.beverage_id).withHeader('event_type', 'beverage.created'));
const messages = [message1!, message2!, message3!];
// One outcome per message, in order (Go's PublishBatch returns the first error)
const failed = (await producer.publishBatch(messages)).find((o) => !o.ok);
if (failed !== undefined) throw new Error('failed to publish batch', { cause: failed.error });

console.log(`published to ${beverageCreated}: ${beverageID} (single), ${batch.map((b) => b.beverage_id).join(', ')} (batch)`);
await connectionManager.close();
