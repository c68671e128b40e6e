// Quick start: publish a BeverageCreated event and consume it back.
// Run: node --conditions=gocoffee-source --import tsx examples/quickstart.ts
// (from an installed package: plain node, with the file compiled to JavaScript)
import { loadConfig, Manager, BeverageEventHandler, type BeverageCreated } from '@gocoffee/kafka';

const config = loadConfig(); // from GOCOFFEE_KAFKA_* (and GOCOFFEE_SCHEMA_REGISTRY_URL)
const manager = new Manager(config, { ensureTopics: true, autoRegisterSchemas: true });
const beverageId = crypto.randomUUID();

let received!: (e: BeverageCreated) => void;
const done = new Promise<BeverageCreated>((resolve) => (received = resolve));

class Barista extends BeverageEventHandler {
  override onBeverageCreated(event: BeverageCreated) {
    if (event.beverage_id === beverageId) received(event);
  }
}
manager.registerHandler(new Barista(manager, 'quickstart-barista'));

await manager.initialize();
await manager.startConsumer();

await manager.publishBeverageCreated({
  beverage_id: beverageId,
  name: 'Cosmic Coffee',
  description: 'A stellar blend for space explorers',
  theme: 'Mars Base',
  ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }],
  created_by: 'beverage-inventor-agent',
  created_at: new Date(),
});

const event = await done;
console.log(`received ${event.name} (${event.beverage_id}), created ${event.created_at.toISOString()}`);
await manager.close();
