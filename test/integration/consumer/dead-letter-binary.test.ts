import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/connection/index.js';
import { Consumer, PermanentError, type ConsumedMessage } from '../../../src/consumer/index.js';
import { decodeDeadLetterHeaders, DLQ_HEADERS } from '../../../src/consumer/dead-letter.js';
import { toLibrdkafkaConfig } from '../../../src/config/index.js';
import { loadNativeBinding } from '../../../src/native/index.js';
import { connectClient, disconnectClient } from '../../../src/native/lifecycle.js';
import type { NativeKey } from '../../../src/native/types.js';
import { createTopic, readAll, testConfig, uniqueName } from '../helpers.js';
import { waitUntil } from './util.js';

/** Produces with a raw native producer (the library's own refuses nothing about keys, but this is independent). */
async function produceRaw(cm: ConnectionManager, topic: string, records: Array<{ key: NativeKey; value: string }>): Promise<void> {
  const cfg = toLibrdkafkaConfig(cm.config, 'producer');
  const p = loadNativeBinding().createProducer({ ...cfg.global, dr_cb: true }, cfg.topic);
  await connectClient(p, 10_000, 'test');
  try {
    let reported = 0;
    p.on('delivery-report', (err) => {
      if (err) throw err;
      reported++;
    });
    p.setPollInterval(10);
    for (const r of records) p.produce(topic, 0, Buffer.from(r.value), r.key, null, 'x', undefined);
    await waitUntil(() => reported === records.length, 10_000, () => `delivered ${reported}`);
  } finally {
    await disconnectClient(p, 2000);
  }
}

describe('Dead-letter copies of binary keys against the real broker', function () {
  this.timeout(120_000);
  let cm: ConnectionManager;
  beforeEach(async () => {
    cm = new ConnectionManager(testConfig());
    await cm.initialize();
  });
  afterEach(async () => {
    await cm.close();
  });

  it('a binary key (0x00 0x01) and an empty key survive in the dead-letter message (key and dlq.original.key)', async () => {
    const topic = uniqueName('dlq-bin');
    const group = uniqueName('g');
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    await produceRaw(cm, topic, [
      { key: Buffer.from([0, 1]), value: 'binary' },
      { key: '', value: 'empty' },
      { key: null, value: 'null' },
    ]);
    const consumer = new Consumer(cm, {});
    consumer.registerHandler({
      topics: [topic],
      groupId: group,
      handle(m: ConsumedMessage) {
        throw new PermanentError(`no ${m.text()}`);
      },
    });
    await consumer.start();
    try {
      await waitUntil(() => consumer.stats()[0]?.deadLettered === 3, 60_000, () => `dead-lettered ${consumer.stats()[0]?.deadLettered}`);
    } finally {
      await consumer.stop();
    }
    const dlq = await readAll(`${topic}.dlq`, 3);
    const byValue = new Map(dlq.map((d) => [d.value!.toString(), d]));
    const original = (value: string) => {
      const d = byValue.get(value)!;
      const list = (d.headers ?? []).flatMap((h) => Object.entries(h)).map(([n, v]) => [n, v] as [string, Buffer]);
      const decoded = decodeDeadLetterHeaders(list);
      return { key: d.key, list, originalKey: decoded.find(([n]) => n === DLQ_HEADERS.key)?.[1] };
    };
    const bin = original('binary');
    assert.deepEqual(bin.key, Buffer.from([0, 1]), 'the dead-letter message key');
    assert.deepEqual(bin.originalKey, Buffer.from([0, 1]), 'dlq.original.key, decoded');
    assert.deepEqual(JSON.parse(bin.list.find(([n]) => n === DLQ_HEADERS.base64)![1].toString()), [DLQ_HEADERS.key]);
    const empty = original('empty');
    assert.deepEqual(empty.key, Buffer.alloc(0), 'an empty key stays an empty key (not null)');
    assert.deepEqual(empty.originalKey, Buffer.alloc(0));
    assert.equal(empty.list.find(([n]) => n === DLQ_HEADERS.base64), undefined, 'nothing base64 for a safe message');
    const none = original('null');
    assert.equal(none.key, null);
    assert.equal(none.originalKey, undefined);
  });
});
