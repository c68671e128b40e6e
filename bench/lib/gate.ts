/**
 * Bounds the messages a publishing loop has sent but not yet seen settled (delivery report /
 * promise resolution in JS). Without it, node-rdkafka's delivery-report dispatcher — which hands
 * at most 100 reports to JS per event-loop wake-up while a producing loop refills librdkafka's
 * queue as fast as poll() frees it — lets almost the whole run pile up unreported (measured: a
 * peak of ~1,000,000 outstanding of 1,000,000), with seconds of latency and, for a client that
 * keeps JS objects per message, a heap full of them.
 */
export class OutstandingGate {
  readonly cap: number;
  readonly #resumeAt: number;
  #sent = 0;
  #settled = 0;
  #waiter: (() => void) | undefined;
  peak = 0;

  constructor(cap: number) {
    this.cap = cap;
    this.#resumeAt = cap - Math.ceil(cap / 4);
  }

  get outstanding(): number {
    return this.#sent - this.#settled;
  }

  /** True when the loop must `await wait()` before sending another message. */
  get full(): boolean {
    return this.#sent - this.#settled >= this.cap;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  sent(): void {
    const o = ++this.#sent - this.#settled;
    if (o > this.peak) this.peak = o;
  }

  settled(): void {
    this.#settled++;
    if (this.#waiter !== undefined && this.#sent - this.#settled <= this.#resumeAt) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w();
    }
  }
}
