// Twin of the Go package README's "Health Monitoring" snippet
// (examples/seed/README.md lists every twin):
//
//   healthStatus, err := kafkaManager.HealthCheck(ctx)
//   if err != nil {
//       log.Printf("Health check failed: %v", err)
//       return
//   }
//   if !healthStatus.Healthy {
//       log.Printf("Kafka unhealthy: %s", healthStatus.Error)
//       return
//   }
//   stats, err := kafkaManager.GetStatistics(ctx)
//   if err != nil {
//       log.Printf("Failed to get statistics: %v", err)
//       return
//   }
//   log.Printf("Kafka stats: %d topics, %d writers, %d readers",
//       len(stats.Topics),
//       stats.Producer.WritersCount,
//       stats.Consumer.ReadersCount)
//
// kafkaManager is the global manager (kafka.GetGlobalManager(), nil before InitGlobalManager):
// getGlobalManager({ optional: true }) answers undefined then. healthCheck() never throws (Go's
// err is folded into `healthy: false` with `error`); getStatistics() is synchronous.
// Run: node --conditions=gocoffee-source --import tsx examples/seed/health.ts (exit code 1 when unhealthy)
import { pino } from 'pino';
import { closeGlobalManager, getGlobalManager, initGlobalManager, loadConfig } from '@gocoffee/kafka';

/** The snippet, as the body of a health endpoint: true when Kafka is healthy. */
async function kafkaHealth(): Promise<boolean> {
  const kafkaManager = getGlobalManager({ optional: true });
  if (kafkaManager === undefined) {
    console.log('Health check failed: Kafka manager not initialized');
    return false;
  }

  // Kafka health check
  const healthStatus = await kafkaManager.healthCheck();

  if (!healthStatus.healthy) {
    console.log(`Kafka unhealthy: ${healthStatus.error}`);
    return false;
  }

  // Get Kafka statistics
  const stats = kafkaManager.getStatistics();

  console.log(`Kafka stats: ${stats.topics.length} topics, ${stats.producer.writersCount} writers, ${stats.consumer.readersCount} readers`);
  return true;
}

// ---- Around the snippet: before and after the service starts (global manager, default
// handlers consuming, one event published), so the statistics count what runs.
await kafkaHealth(); // not initialized yet
const manager = await initGlobalManager(loadConfig(), { connection: { telemetry: { logger: pino() } }, ensureTopics: true, autoRegisterSchemas: true });
await manager.startConsumer();
await manager.publishBeverageCreated({ beverage_id: crypto.randomUUID(), name: 'Cosmic Coffee', theme: 'Mars Base', created_by: 'beverage-inventor-agent', created_at: new Date() });
const healthy = await kafkaHealth();
await closeGlobalManager();
process.exitCode = healthy ? 0 : 1;
