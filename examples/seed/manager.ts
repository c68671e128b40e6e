// Twin of the Go package README's "4. Kafka Manager (manager.go)" snippet
// (examples/seed/README.md lists every twin):
//
//   manager := NewManager(kafkaConfig, logger, metrics, tracing)
//   if err := manager.Initialize(ctx); err != nil {
//       log.Fatal("Failed to initialize Kafka manager:", err)
//   }
//   if err := manager.StartConsumer(ctx); err != nil {
//       log.Fatal("Failed to start consumer:", err)
//   }
//   beverageEvent := &BeverageCreatedEvent{
//       BeverageID:  "123e4567-e89b-12d3-a456-426614174000",
//       Name:        "Cosmic Coffee",
//       Theme:       "Mars Base",
//       CreatedBy:   "beverage-inventor-agent",
//       CreatedAt:   time.Now(),
//   }
//   if err := manager.PublishBeverageCreated(ctx, beverageEvent); err != nil {
//       return fmt.Errorf("failed to publish beverage event: %w", err)
//   }
//
// As in Go: initialize() registers no handler yet startConsumer() runs the default beverage and
// task handlers (they log each event and acknowledge it); description and ingredients, left out,
// are sent as Go's zero values ('' and []).
// Run: node --conditions=gocoffee-source --import tsx examples/seed/manager.ts
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Manager, loadConfig } from '@gocoffee/kafka';

const kafkaConfig = loadConfig();
const logger = pino();
const metrics = new Registry();

// Initialize Kafka manager. ensureTopics: create the event topics (and their .dlq topics) if they
// are missing. The Manager's default is false (topics are usually created at deploy time with
// `gocoffee-kafka topics ensure`, and creating them needs admin rights); it is on here so the
// twin runs on an empty cluster (the Go package lists "automatic topic creation" among its
// features; its README does not say when that happens). autoRegisterSchemas: the events are
// Avro by default (the Go package has no schemas to register; with serialization: json — what Go
// consumers read — neither the registry nor this option is needed).
const manager = new Manager(kafkaConfig, { connection: { telemetry: { logger, metrics } }, ensureTopics: true, autoRegisterSchemas: true });
try {
  await manager.initialize();
} catch (err) {
  logger.fatal({ err }, 'Failed to initialize Kafka manager');
  process.exit(1);
}

// Start consumer
try {
  await manager.startConsumer();
} catch (err) {
  logger.fatal({ err }, 'Failed to start consumer');
  process.exit(1);
}

// Publish domain events
const beverageEvent = {
  beverage_id: '123e4567-e89b-12d3-a456-426614174000',
  name: 'Cosmic Coffee',
  theme: 'Mars Base',
  created_by: 'beverage-inventor-agent',
  created_at: new Date(),
};

try {
  await manager.publishBeverageCreated(beverageEvent);
} catch (err) {
  throw new Error('failed to publish beverage event', { cause: err });
}

// ---- Beyond the Go snippet: wait until the default beverage handler has processed the event.
const group = `${kafkaConfig.groupId}-beverage`;
const processed = () => manager.getStatistics().consumer.groups.find((g) => g.groupId === group)?.processed ?? 0;
const deadline = Date.now() + 30_000;
while (processed() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
if (processed() < 1) throw new Error(`the default handler (group ${group}) did not process the event within 30 s`);
const stats = manager.getStatistics();
console.log(`default handler ${group} processed ${processed()} event(s); groups: ${stats.consumer.groups.map((g) => g.groupId).join(', ')}`);
await manager.close();
