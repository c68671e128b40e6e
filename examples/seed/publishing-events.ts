// Twin of the Go package README's "Usage Examples › Publishing Events" snippet
// (examples/seed/README.md lists every twin):
//
//   kafkaManager := kafka.GetGlobalManager()
//   beverageEvent := &kafka.BeverageCreatedEvent{
//       BeverageID:  uuid.New().String(),
//       Name:        "Cosmic Coffee",
//       Description: "A stellar blend for space explorers",
//       Theme:       "Mars Base",
//       Ingredients: []interface{}{
//           map[string]interface{}{"name": "Coffee Beans", "quantity": "200g", "type": "Base"},
//       },
//       CreatedBy: "beverage-inventor-agent",
//       CreatedAt: time.Now(),
//   }
//   if err := kafkaManager.PublishBeverageCreated(ctx, beverageEvent); err != nil {
//       return fmt.Errorf("failed to publish beverage event: %w", err)
//   }
//   taskEvent := &kafka.TaskCreatedEvent{
//       TaskID:      uuid.New().String(),
//       Title:       "Review Cosmic Coffee Recipe",
//       Description: "Review and approve the new Cosmic Coffee recipe",
//       AssigneeID:  "user-123",
//       ProjectID:   "project-456",
//       Priority:    "high",
//       Status:      "open",
//       CreatedBy:   "beverage-inventor-agent",
//       CreatedAt:   time.Now(),
//   }
//   if err := kafkaManager.PublishTaskCreated(ctx, taskEvent); err != nil {
//       return fmt.Errorf("failed to publish task event: %w", err)
//   }
//
// Run: node --conditions=gocoffee-source --import tsx examples/seed/publishing-events.ts
import { pino } from 'pino';
import { closeGlobalManager, getGlobalManager, initGlobalManager, loadConfig, type BeverageCreatedInput, type TaskCreatedInput } from '@gocoffee/kafka';

// ---- Set-up the snippet assumes: the service initialized the global manager at start-up (Go's InitGlobalManager).
await initGlobalManager(loadConfig(), { connection: { telemetry: { logger: pino() } }, ensureTopics: true, autoRegisterSchemas: true });

// Initialize Kafka manager
const kafkaManager = getGlobalManager();

// Publish beverage created event
const beverageEvent: BeverageCreatedInput = {
  beverage_id: crypto.randomUUID(),
  name: 'Cosmic Coffee',
  description: 'A stellar blend for space explorers',
  theme: 'Mars Base',
  ingredients: [{ name: 'Coffee Beans', quantity: '200g', type: 'Base' }],
  created_by: 'beverage-inventor-agent',
  created_at: new Date(),
};

try {
  await kafkaManager.publishBeverageCreated(beverageEvent);
} catch (err) {
  throw new Error('failed to publish beverage event', { cause: err });
}

// Publish task created event
const taskEvent: TaskCreatedInput = {
  task_id: crypto.randomUUID(),
  title: 'Review Cosmic Coffee Recipe',
  description: 'Review and approve the new Cosmic Coffee recipe',
  assignee_id: 'user-123',
  project_id: 'project-456',
  priority: 'high',
  status: 'open',
  created_by: 'beverage-inventor-agent',
  created_at: new Date(),
};

try {
  await kafkaManager.publishTaskCreated(taskEvent);
} catch (err) {
  throw new Error('failed to publish task event', { cause: err });
}

console.log(`published BeverageCreated ${beverageEvent.beverage_id} and TaskCreated ${taskEvent.task_id}`);
await closeGlobalManager();
