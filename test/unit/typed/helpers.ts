/** Helpers of the typed-events unit tests: the generic fixture project, a fake producer, consumed copies of published messages. */
import { fileURLToPath } from 'node:url';
import { ConsumedMessage } from '../../../src/message/consumed.js';
import type { OutgoingMessage } from '../../../src/message/outgoing.js';
import type { DeliveryResult } from '../../../src/delivery/engine.js';
import type { EventProducer } from '../../../src/typed/index.js';

export const FIXTURE = fileURLToPath(new URL('../../fixtures/generic-project/', import.meta.url));
export const SCHEMAS = fileURLToPath(new URL('../../fixtures/generic-project/schemas', import.meta.url));

export const ORDER = {
  order_id: 'o-1',
  customer: { customer_id: 'c-1', name: 'Ada', address: { street: '1 Main St', city: 'Lyon', country: 'FR' } },
  lines: [{ sku: 'BEANS-1KG', quantity: 2, unit_price_cents: 1_850 }],
  total_cents: 3_700,
  placed_at: new Date(1_700_000_000_000),
};

export const PAYMENT = {
  payment_id: '6F9619FF-8B86-D011-B42D-00C04FC964FF',
  order_id: 'o-1',
  amount_cents: 3_700,
  method: 'CARD' as const,
  receipt: Buffer.from([0, 1, 2, 250]),
  captured_at: new Date(1_700_000_100_000),
};

/** Records what would be published. */
export class FakeProducer implements EventProducer {
  readonly sent: OutgoingMessage[] = [];
  async publish(message: OutgoingMessage): Promise<DeliveryResult> {
    this.sent.push(message);
    return { topic: message.topic, partition: 0, offset: this.sent.length - 1, timestamp: 0, messageId: message.id } as DeliveryResult;
  }
}

/** The message a consumer would get for an outgoing one (`headers`: others instead of the message's). */
export function consumed(m: OutgoingMessage, offset = 0, headers: ReadonlyArray<[string, string | Buffer]> = m.headers ?? []): ConsumedMessage {
  const value = m.value === null ? null : Buffer.isBuffer(m.value) ? m.value : Buffer.from(String(m.value));
  return new ConsumedMessage({
    topic: m.topic,
    partition: 0,
    offset,
    key: m.key ?? null,
    value,
    size: value?.length ?? 0,
    headers: headers.map(([k, v]) => ({ [k]: v })),
  } as never);
}

/** A minimal in-memory Confluent-compatible registry (register, look up, schema by id) on a local port. */
export async function memoryRegistry(): Promise<{ url: string; requests: string[]; subjects: Map<string, number>; close(): Promise<void> }> {
  const { scriptedServer } = await import('../schema/http-server.js');
  const ids = new Map<string, number>(); // subject \0 schema → id
  const texts = new Map<number, string>();
  const subjects = new Map<string, number>();
  const requests: string[] = [];
  const srv = await scriptedServer([], (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: unknown): true => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(body));
      return true;
    };
    const m = /^\/subjects\/([^/?]+)(\/versions)?\?normalize=false$/.exec(req.url);
    if (req.method === 'POST' && m) {
      const subject = decodeURIComponent(m[1]!);
      const schema = (JSON.parse(req.body) as { schema: string }).schema;
      const k = `${subject}\u0000${schema}`;
      if (m[2] !== undefined) {
        let id = [...texts].find(([, t]) => t === schema)?.[0];
        if (id === undefined) texts.set((id = texts.size + 1), schema);
        ids.set(k, id);
        subjects.set(subject, id);
        return send(200, { id });
      }
      const id = ids.get(k);
      return id === undefined ? send(404, { error_code: 40403, message: 'Schema not found' }) : send(200, { subject, id, version: 1, schema });
    }
    const byId = /^\/schemas\/ids\/(\d+)/.exec(req.url);
    if (req.method === 'GET' && byId) {
      const text = texts.get(Number(byId[1]));
      return text === undefined ? send(404, { error_code: 40403, message: 'Schema not found' }) : send(200, { schema: text });
    }
    return send(404, { error_code: 40401, message: `no route ${req.url}` });
  });
  return { url: srv.url, requests, subjects, close: () => srv.close() };
}
