// Twin of the Go package README's "3. Consumer (consumer.go)" snippet
// (examples/seed/README.md lists every twin):
//
//   consumer := NewConsumer(connectionManager, logger, metrics, tracing)
//   handler := NewBeverageEventHandler("beverage-processor", logger, tracing)
//   if err := consumer.RegisterHandler(handler); err != nil {
//       return fmt.Errorf("failed to register handler: %w", err)
//   }
//   if err := consumer.Start(ctx); err != nil {
//       return fmt.Errorf("failed to start consumer: %w", err)
//   }
//   if err := consumer.Stop(ctx); err != nil {
//       log.Printf("Error stopping consumer: %v", err)
//   }
//
// Run: node --conditions=gocoffee-source --import tsx examples/seed/consumer.ts
import { pino } from 'pino';
import {
  BeverageEventHandler,
  ConnectionManager,
  Consumer,
  EventSerde,
  SchemaRegistry,
  goCoffeeEvents,
  loadConfig,
  newMessage,
  topicName,
  type BeverageCreated,
  type ConsumedMessage,
  type EventContext,
} from '@gocoffee/kafka';

// ---- Set-up the snippet assumes: a connection manager and the beverage topics.
const kafkaConfig = loadConfig();
const logger = pino();
const connectionManager = new ConnectionManager(kafkaConfig, { telemetry: { logger } });
await connectionManager.initialize();
const beverageCreated = topicName(kafkaConfig, 'beverageCreated'); // "beverage.created" (+ topic_suffix)
const beverageUpdated = topicName(kafkaConfig, 'beverageUpdated');
await connectionManager.createTopicManager().ensureTopics([beverageCreated, beverageUpdated].flatMap((t) => [{ name: t }, { name: `${t}.dlq` }]));
// Something to consume: a BeverageCreated event as a Go service writes it (JSON, the Go headers).
const beverageID = crypto.randomUUID();
const goEvent = { beverage_id: beverageID, name: 'Cosmic Coffee', description: '', theme: 'Mars Base', ingredients: [], created_by: 'beverage-inventor-agent', created_at: new Date().toISOString() };
await connectionManager.producer.publish(
  newMessage(beverageCreated, JSON.stringify(goEvent))
    .withKey(beverageID)
    .withHeader('event_type', 'beverage.created')
    .withHeader('entity_type', 'beverage')
    .withHeader('entity_id', beverageID)
    .withHeader('content_type', 'application/json'),
);
// A typed handler decodes with the Go Coffee schemas (Avro through the registry, or Go JSON).
const registryUrl = kafkaConfig.schemaRegistryUrl;
if (registryUrl === undefined) throw new Error('set GOCOFFEE_SCHEMA_REGISTRY_URL (the typed handlers decode Avro events through the registry)');
const serde = new EventSerde({ registry: new SchemaRegistry({ url: registryUrl }) }, (eventType) => goCoffeeEvents().eventNameOf(eventType)); // Go's event_type header → event
const ctx: EventContext = { config: kafkaConfig, serde };
const handled: BeverageCreated[] = [];

// Go's NewBeverageEventHandler: logs each beverage event, returns nil (acknowledges it).
class LoggingBeverageEventHandler extends BeverageEventHandler {
  override onBeverageCreated(event: BeverageCreated, message: ConsumedMessage) {
    logger.info({ beverage_id: event.beverage_id, name: event.name, theme: event.theme, created_by: event.created_by, topic: message.topic }, 'Processing beverage created event');
    handled.push(event);
  }
}

// Create consumer
const consumer = new Consumer(connectionManager);

// Register message handler
const handler = new LoggingBeverageEventHandler(ctx, 'beverage-processor');
try {
  consumer.registerHandler(handler);
} catch (err) {
  throw new Error('failed to register handler', { cause: err });
}

// Start consuming
try {
  await consumer.start();
} catch (err) {
  throw new Error('failed to start consumer', { cause: err });
}

// ---- Beyond the Go snippet: wait until the handler has processed the event published above.
const deadline = Date.now() + 30_000;
while (!handled.some((e) => e.beverage_id === beverageID) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
if (!handled.some((e) => e.beverage_id === beverageID)) throw new Error(`the handler did not get ${beverageID} within 30 s`);
console.log(`handled ${beverageCreated} ${beverageID} (${handled[0]!.name}, created ${handled[0]!.created_at.toISOString()}) in group beverage-processor`);

// Graceful shutdown
try {
  await consumer.stop();
} catch (err) {
  console.log(`Error stopping consumer: ${String(err)}`);
}
await connectionManager.close();
