export { Diagnostics, levelOfSeverity, librdkafkaLogForwarder, makeRedactor } from './diagnostics.js';
export type { DiagnosticsOptions, GaugeLike, GaugeSink, GaugeSource, TraceRunner } from './diagnostics.js';
export { CHANNELS } from './channels.js';
export type { SendEvent, SettledEvent, FetchEvent, TaskMessage, TaskStartEvent, TaskEndEvent, MessageFailureEvent, LogEvent, LogLevel } from './channels.js';
export { CounterStore, TopicCounters, MAX_TOPICS, OTHER_TOPICS } from './counters.js';
export type { TopicStatistics, Operation } from './counters.js';
export { summarizeStats } from './statistics.js';
export type { LibrdkafkaSummary } from './statistics.js';
export { currentCorrelationId, runWithCorrelationId } from './correlation.js';
