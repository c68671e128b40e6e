/**
 * The beverage inventor agent: publishes BeverageCreated events as fast as the producer takes them
 * (or at `--rate`), through the callback API (`send()`: no promise per message) with the
 * producer's backpressure: after each send, `needsDrain` → `await drain()`, so at most the
 * producer's in-flight window is outstanding and nothing is buffered without bound.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { newMessage, type BeverageCreatedInput, type DeliveryResult, type EventSerde, type Producer } from '@gocoffee/kafka';
import { OffsetLedger } from './ledger.js';
import { Latency } from './stats.js';
import { INVENTOR, META_RUN } from './protocol.js';

const NAMES = ['Cosmic Coffee', 'Nebula Latte', 'Martian Mocha', 'Solar Flare Espresso', 'Comet Cold Brew', 'Lunar Macchiato', 'Orbit Oat Flat White', 'Asteroid Affogato'];
const THEMES = ['Mars Base', 'Lunar Lounge', 'Deep Space', 'Orbital Cafe'];
const INGREDIENTS = [
  { name: 'Coffee Beans', quantity: '200g', type: 'Base' },
  { name: 'Oat Milk', quantity: '150ml', type: 'Milk' },
  { name: 'Vanilla Syrup', quantity: '2 pumps', type: 'Sweetener' },
  { name: 'Cocoa Dust', quantity: '1 pinch', type: 'Topping' },
  { name: 'Cardamom', quantity: '1g', type: 'Spice' },
];

/** Messages sent between two yields to the event loop (consumers and the display run in between). */
const BURST = 200;

export class Inventor {
  /** Handed to the producer. */
  sent = 0;
  failed = 0;
  readonly ledger = new OffsetLedger();
  /** send() → broker acknowledgement. */
  readonly latency = new Latency();
  readonly errors: string[] = [];
  startedAt = 0;
  stoppedAt = 0;
  #stop = false;
  #loop: Promise<void> | undefined;
  readonly #producer: Producer;
  readonly #serde: EventSerde;
  readonly #topic: string;
  readonly #runId: string;
  readonly #rate: number | undefined;

  constructor(producer: Producer, serde: EventSerde, topic: string, runId: string, rate: number | undefined) {
    this.#producer = producer;
    this.#serde = serde;
    this.#topic = topic;
    this.#runId = runId;
    this.#rate = rate;
  }

  get acked(): number {
    return this.ledger.acked;
  }

  /** Published and not yet acknowledged or failed. */
  get inFlight(): number {
    return this.sent - this.acked - this.failed;
  }

  start(): void {
    this.startedAt = performance.now();
    this.#loop = this.#run().catch((e: unknown) => {
      this.errors.push(`inventor stopped: ${(e as Error).message}`);
    });
  }

  /** Stops intake; resolves once the loop has stopped handing messages over. */
  async stopIntake(): Promise<void> {
    if (!this.#stop) this.stoppedAt = performance.now();
    this.#stop = true;
    await this.#loop;
  }

  /** Resolves once every sent message was acknowledged or failed, or after `timeoutMs` (false). */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(20);
    return this.inFlight === 0;
  }

  #beverage(n: number): BeverageCreatedInput {
    return {
      beverage_id: randomUUID(),
      name: NAMES[n % NAMES.length]!,
      description: 'Invented by the demo',
      theme: THEMES[n % THEMES.length]!,
      ingredients: INGREDIENTS.slice(0, 1 + (n % INGREDIENTS.length)),
      created_by: INVENTOR,
      created_at: new Date(),
      metadata: { [META_RUN]: this.#runId },
    };
  }

  async #run(): Promise<void> {
    const producer = this.#producer;
    const encoder = await this.#serde.encoder(this.#topic, 'BeverageCreated'); // one registry lookup, then synchronous
    const rate = this.#rate;
    const t0 = performance.now();
    let n = 0;
    const onDelivery = (sentAt: number) => (err: Error | null, r?: DeliveryResult) => {
      if (err === null && r !== undefined) {
        this.ledger.ack(r.partition, r.offset);
        this.latency.record(performance.now() - sentAt);
      } else {
        this.failed++;
        if (this.errors.length < 5) this.errors.push(`BeverageCreated: ${err?.message ?? 'no delivery result'}`);
      }
    };
    while (!this.#stop) {
      if (rate !== undefined) {
        // Message n is due at n / rate seconds after the start: never ahead of that schedule.
        const wait = (n / rate) * 1000 - (performance.now() - t0);
        if (wait > 0) {
          await sleep(Math.max(1, Math.ceil(wait)));
          continue;
        }
      }
      for (let i = 0; i < BURST && !this.#stop; i++) {
        const event = this.#beverage(n++);
        const message = newMessage(this.#topic, encoder.encode(event)).withKey(event.beverage_id).withHeader('event_type', 'beverage.created');
        producer.send(message, onDelivery(performance.now()));
        this.sent++;
        if (producer.needsDrain) await producer.drain(); // backpressure: wait for acknowledgements
        if (rate !== undefined && (n / rate) * 1000 > performance.now() - t0) break;
      }
      await yieldToLoop();
    }
  }
}
