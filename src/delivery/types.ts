import type { Outbound } from './outbound.js';
import type { PackedChunk } from './packed.js';

/** What a successful publish resolves with. */
export interface DeliveryResult {
  readonly topic: string;
  readonly partition: number;
  /** The offset the broker assigned; -1 from a producer with acks 'none' (the broker does not answer). */
  readonly offset: number;
  readonly timestamp: number | undefined;
  readonly messageId: string | undefined;
  /**
   * True when this message may have been written twice: with `idempotence: false` the library
   * produced it again after a delivery failure that may have left it written (timed out in flight,
   * request timed out, too few replicas after the append, a transport error; see
   * DeliveryError.possiblyPersisted), and that retry succeeded. The broker then holds this copy and
   * possibly an earlier one (at another offset, maybe after later messages of its key). False on
   * a retried message whose earlier failures said it was not written; absent when the first
   * attempt succeeded (always with idempotence on: the library never produces a message again then).
   */
  readonly possibleDuplicate?: boolean;
}

/** The producer engine's lifecycle (ProducerEngine.state). */
export type EngineState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';

/** What close() takes out of the window, each list in hand-over order (DeliveryWindow.detachAll). */
export interface Detached {
  /** Handed to librdkafka (or packed for the next produceBatch) and not yet reported. */
  readonly inflight: Outbound[];
  /** Awaiting a library retry's backoff. */
  readonly retrying: Outbound[];
  /** Packed chunks that hold a slot (handed over at least once); their messages in librdkafka's hands are PackedState.InFlight. */
  readonly packed: PackedChunk[];
  /** Never handed over, or given back by a full queue / re-entered for a retry: the waiting FIFO. */
  readonly waiting: Outbound[];
}
