// Twin of the Go package README's "Usage Examples › Event Bus Pattern" snippet
// (examples/seed/README.md lists every twin):
//
//   eventBus := kafka.GetGlobalEventBus()
//   if err := eventBus.PublishBeverageEvent(ctx, "created", beverageID, beverageEvent); err != nil {
//       return fmt.Errorf("failed to publish beverage event: %w", err)
//   }
//   notificationEvent := &kafka.NotificationSentEvent{
//       NotificationID: uuid.New().String(),
//       Type:           "email",
//       Channel:        "email",
//       Recipient:      "user@example.com",
//       Subject:        "New Beverage Created",
//       Message:        "A new beverage 'Cosmic Coffee' has been created",
//       Status:         "sent",
//       SentAt:         time.Now(),
//   }
//   if err := eventBus.PublishNotificationEvent(ctx, notificationEvent); err != nil {
//       return fmt.Errorf("failed to publish notification event: %w", err)
//   }
//
// Run: node --conditions=gocoffee-source --import tsx examples/seed/event-bus.ts
import { pino } from 'pino';
import { closeGlobalManager, getGlobalEventBus, initGlobalManager, loadConfig, type BeverageCreatedInput, type NotificationSentInput } from '@gocoffee/kafka';

// ---- Set-up the snippet assumes: the global manager (Go's InitGlobalManager), and the beverage
// event of the "Publishing Events" snippet (examples/seed/publishing-events.ts).
await initGlobalManager(loadConfig(), { connection: { telemetry: { logger: pino() } }, ensureTopics: true, autoRegisterSchemas: true });
const beverageID = crypto.randomUUID();
const beverageEvent: BeverageCreatedInput = {
  beverage_id: beverageID,
  name: 'Cosmic Coffee',
  description: 'A stellar blend for space explorers',
  theme: 'Mars Base',
  ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }],
  created_by: 'beverage-inventor-agent',
  created_at: new Date(),
};

// Get global event bus
const eventBus = getGlobalEventBus();

// Publish beverage event
try {
  await eventBus.publishBeverageEvent('created', beverageID, beverageEvent);
} catch (err) {
  throw new Error('failed to publish beverage event', { cause: err });
}

// Publish notification event
const notificationEvent: NotificationSentInput = {
  notification_id: crypto.randomUUID(),
  type: 'email',
  channel: 'email',
  recipient: 'user@example.com',
  subject: 'New Beverage Created',
  message: "A new beverage 'Cosmic Coffee' has been created",
  status: 'sent',
  sent_at: new Date(),
};

try {
  await eventBus.publishNotificationEvent(notificationEvent);
} catch (err) {
  throw new Error('failed to publish notification event', { cause: err });
}

console.log(`published BeverageCreated ${beverageID} and NotificationSent ${notificationEvent.notification_id} through the EventBus`);
await closeGlobalManager();
