// Twin of the Go package README's "Custom Message Handler" snippet
// (examples/seed/README.md lists every twin):
//
//   type CustomEventHandler struct {
//       *BaseMessageHandler
//       businessLogic *BusinessService
//   }
//   func NewCustomEventHandler(groupID string, businessLogic *BusinessService) *CustomEventHandler {
//       topics := []string{"custom.event.topic"}
//       return &CustomEventHandler{
//           BaseMessageHandler: NewBaseMessageHandler(topics, groupID, logger, tracing),
//           businessLogic:      businessLogic,
//       }
//   }
//   func (h *CustomEventHandler) Handle(ctx context.Context, message *ConsumedMessage) error {
//       ctx, span := h.tracing.StartKafkaSpan(ctx, "HANDLE_CUSTOM_EVENT", message.Topic)
//       defer span.End()
//       var event CustomEvent
//       if err := message.UnmarshalValue(&event); err != nil {
//           h.tracing.RecordError(span, err, "Failed to unmarshal event")
//           return fmt.Errorf("failed to unmarshal event: %w", err)
//       }
//       if err := h.businessLogic.ProcessEvent(ctx, &event); err != nil {
//           h.tracing.RecordError(span, err, "Failed to process event")
//           return fmt.Errorf("failed to process event: %w", err)
//       }
//       h.tracing.RecordSuccess(span, "Event processed successfully")
//       return nil
//   }
//
// The library runs each handler inside its message's `process <topic>` span (Go's StartKafkaSpan);
// RecordError / RecordSuccess become events on that span. A value that cannot be unmarshalled
// cannot succeed on retry: PermanentError sends it to the dead-letter topic at once; any other
// error is retried (retry_max), then dead-lettered.
// Run: node --conditions=gocoffee-source --import tsx examples/seed/custom-handler.ts
import { trace } from '@opentelemetry/api';
import { pino } from 'pino';
import { BaseMessageHandler, ConnectionManager, Consumer, PermanentError, loadConfig, newMessage, topicName, type ConsumedMessage } from '@gocoffee/kafka';

const kafkaConfig = loadConfig();
const logger = pino();
// "custom.event.topic", or topics.custom_event (GOCOFFEE_KAFKA_TOPICS_CUSTOM_EVENT) when configured
const customEventTopic = kafkaConfig.topics['customEvent'] !== undefined ? topicName(kafkaConfig, 'customEvent') : 'custom.event.topic';

interface CustomEvent {
  readonly event_id: string;
  readonly kind: string;
  readonly amount: number;
}

class BusinessService {
  readonly processed: CustomEvent[] = [];
  async processEvent(event: CustomEvent): Promise<void> {
    if (typeof event.event_id !== 'string') throw new Error('a custom event needs an event_id');
    this.processed.push(event);
  }
}

// Implement MessageHandler interface
class CustomEventHandler extends BaseMessageHandler {
  readonly businessLogic: BusinessService;

  constructor(groupId: string, businessLogic: BusinessService) {
    const topics = [customEventTopic];
    super(topics, groupId);
    this.businessLogic = businessLogic;
  }

  async handle(message: ConsumedMessage): Promise<void> {
    const span = trace.getActiveSpan(); // the library's `process <topic>` span (undefined without an OpenTelemetry SDK)

    // Extract event data
    let event: CustomEvent;
    try {
      event = message.json<CustomEvent>();
    } catch (err) {
      span?.recordException(err as Error);
      throw new PermanentError('failed to unmarshal event', { cause: err });
    }

    // Process business logic
    try {
      await this.businessLogic.processEvent(event);
    } catch (err) {
      span?.recordException(err as Error);
      throw new Error('failed to process event', { cause: err });
    }

    span?.addEvent('Event processed successfully');
  }
}

// ---- Beyond the Go snippet: run the handler on a consumer, publish one good and one bad value.
const connectionManager = new ConnectionManager(kafkaConfig, { telemetry: { logger } });
await connectionManager.initialize();
await connectionManager.createTopicManager().ensureTopics([{ name: customEventTopic }, { name: `${customEventTopic}.dlq` }]);
const businessLogic = new BusinessService();
const consumer = new Consumer(connectionManager);
consumer.registerHandler(new CustomEventHandler(kafkaConfig.groupId, businessLogic));
await consumer.start();
const event: CustomEvent = { event_id: crypto.randomUUID(), kind: 'order.placed', amount: 42 };
await connectionManager.producer.publish(newMessage(customEventTopic, event).withKey(event.event_id));
await connectionManager.producer.publish(newMessage(customEventTopic, '{ not json').withKey('bad-1'));
const done = () => consumer.stats()[0]!;
const deadline = Date.now() + 30_000;
while ((done().processed < 1 || done().deadLettered < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const s = done();
if (businessLogic.processed[0]?.event_id !== event.event_id || s.deadLettered !== 1) {
  throw new Error(`expected ${event.event_id} processed and bad-1 dead-lettered, got ${JSON.stringify(s)}`);
}
console.log(`CustomEventHandler on ${customEventTopic}: processed ${event.event_id} (${event.kind}); dead-lettered 1 value that is not JSON to ${customEventTopic}.dlq`);
await consumer.stop();
await connectionManager.close();
