import type { Telemetry } from '../telemetry/telemetry.js';
import type { ValueSerializer } from './types.js';

export interface ProducerOptions {
  /** Serializer for values that are neither Buffer nor string. Default: JSON. */
  readonly serializer?: ValueSerializer;
  /** Metrics, spans and logs (the connection manager passes its own). */
  readonly telemetry?: Telemetry;
  /** Give every message an id (`message_id` header); false: only messages that have one. Default true (config `message_ids`). */
  readonly messageIds?: boolean;
}
