import type { TracerProvider } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { KafkaConfig } from '../config/types.js';
import { makeRedactor, silentLogger, traceAwareChild, type Logger } from './logging.js';
import { CounterStore } from './counters.js';
import { KafkaMetrics } from './metrics.js';
import { Tracing } from './tracing.js';

export interface TelemetryOptions {
  /** pino logger; the library logs through child loggers (`component` field). Default: silent. */
  readonly logger?: Logger;
  /** prom-client registry to register the library's metrics in. Default: no metrics. */
  readonly metrics?: Registry;
  /** Tracing through @opentelemetry/api (the global provider unless one is given). Default on. */
  readonly tracing?: boolean;
  readonly tracerProvider?: TracerProvider;
  /** librdkafka statistics interval (statistics.interval.ms); 0 = off. Default 0 (15000 with metrics). */
  readonly statisticsIntervalMs?: number;
}

/** Logger, metrics and tracing of one connection manager, created once and shared downward. */
export class Telemetry {
  readonly logger: Logger;
  readonly metrics: KafkaMetrics | undefined;
  /** Message counters per topic and operation: always on (getStatistics()), exported by metrics. */
  readonly counters = new CounterStore();
  readonly tracing: Tracing;
  readonly redact: (text: string) => string;
  readonly statisticsIntervalMs: number;

  constructor(config: KafkaConfig, opts: TelemetryOptions = {}) {
    // Every library line gets trace_id / span_id while a span is active (children inherit it).
    this.logger = traceAwareChild(opts.logger ?? silentLogger(), { lib: '@gocoffee/kafka', client_id: config.clientId });
    this.metrics = opts.metrics === undefined ? undefined : KafkaMetrics.for(opts.metrics);
    this.metrics?.addCounters(this.counters);
    this.tracing = new Tracing({
      clientId: config.clientId,
      ...(config.brokers[0] !== undefined ? { bootstrap: config.brokers[0] } : {}),
      ...(opts.tracing === false ? { enabled: false } : {}),
      ...(opts.tracerProvider ? { tracerProvider: opts.tracerProvider } : {}),
    });
    this.redact = makeRedactor([config.saslPassword, config.tlsKeyPassword, config.schemaRegistryPassword]);
    this.statisticsIntervalMs = opts.statisticsIntervalMs ?? (this.metrics ? 15_000 : 0);
  }

  /** A child logger for one component. */
  component(name: string): Logger {
    return this.logger.child({ component: name });
  }
}
