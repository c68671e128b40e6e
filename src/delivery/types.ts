/** What a successful publish resolves with. */
export interface DeliveryResult {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number | undefined;
  readonly messageId: string | undefined;
}

/** The producer engine's lifecycle (ProducerEngine.state). */
export type EngineState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed' | 'failed';
