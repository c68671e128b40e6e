// Your own events: your schemas folder, types generated from it, typed publishing and handling.
// Run: node --conditions=gocoffee-source --import tsx examples/own-events/main.ts
// After changing a schema, regenerate the types (a unit test runs this with --check):
//   gocoffee-kafka schemas codegen --schemas examples/own-events/schemas --out examples/own-events/generated.ts
import { ConnectionManager, TypedEvents, defineEvents, loadConfig } from '@gocoffee/kafka';
import type { EventInputTypes, EventTypes } from './generated.js';

const events = defineEvents<EventTypes, EventInputTypes>({
  schemasDir: new URL('./schemas', import.meta.url),
  events: { GreetingSent: { topicKey: 'greetings', key: 'greeting_id' } },
});

// topics.greetings (GOCOFFEE_KAFKA_TOPICS_GREETINGS) names the topic; the registry URL comes from the environment.
const config = loadConfig({ overrides: { topics: { greetings: 'example.greetings' } } });
const cm = new ConnectionManager(config);
await cm.initialize();
const bus = new TypedEvents(events, { client: cm });
const topic = bus.topicOf('GreetingSent');
await cm.createTopicManager().ensureTopics([{ name: topic }, { name: `${topic}.dlq` }]);
await bus.registerSchemas(); // idempotent; or: gocoffee-kafka schemas register --schemas-dir examples/own-events/schemas

const id = crypto.randomUUID();
const consumer = cm.createConsumer();
const received = new Promise<string>((resolve) => {
  consumer.registerHandler(
    bus.handler('example-greeter').on('GreetingSent', (greeting, ctx) => {
      if (greeting.greeting_id === id) resolve(`${greeting.text}, ${greeting.to} (key ${String(ctx.key)}, sent ${greeting.sent_at.toISOString()})`);
    }),
  );
});
await consumer.start();
await bus.publish('GreetingSent', { greeting_id: id, to: 'world', text: 'Hello', sent_at: new Date() });
console.log(`received ${await received}`);
await consumer.stop();
bus.close();
await cm.close();
