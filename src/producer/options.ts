import type { Diagnostics } from '../diagnostics/diagnostics.js';
import type { ValueSerializer } from './types.js';

export interface ProducerOptions {
  /** Serializer for values that are neither Buffer nor string. Default: JSON. */
  readonly serializer?: ValueSerializer;
  /** Counters and diagnostics channel events (the connection manager passes its own). */
  readonly diagnostics?: Diagnostics;
  /** Deprecated: pass `diagnostics` (a connection manager's `telemetry` still works: its diagnostics are used). */
  readonly telemetry?: { readonly diagnostics: Diagnostics };
  /** Give every message an id (`message_id` header); false: only messages that have one. Default true (config `message_ids`). */
  readonly messageIds?: boolean;
}
