// close() called from inside the report / batch callback, every mode (run it under ASan too).
import { loadAddon, BatchPacker } from './lib/spike.mjs';
import { BROKERS, createTopic, uniqueName } from './lib/admin.mjs';
const addon = loadAddon();
for (const mode of ['pipe', 'async', 'thread']) {
  const topic = uniqueName('spike-closein'); await createTopic(topic, 2);
  await new Promise((resolve) => {
    let calls = 0;
    const p = new addon.Producer({ 'bootstrap.servers': BROKERS, 'spike.wake': mode }, (ok) => { if (calls++ === 0) { const r = p.close(5000); setTimeout(resolve, 50); } });
    const b = new BatchPacker(100, 1 << 16); for (let i = 0; i < 100; i++) b.add(`k${i}`, Buffer.from('v')); p.produceBatch(topic, b.bytes, b.table, 100, 0);
  });
  await new Promise((resolve) => {
    const c = new addon.Consumer({ 'bootstrap.servers': BROKERS, 'group.id': uniqueName('g'), 'auto.offset.reset': 'earliest', 'spike.wake': mode, 'spike.batch': '10' }, () => { c.close(); setTimeout(resolve, 50); });
    c.subscribe([topic]);
  });
  console.log(mode, 'close-in-callback ok');
}
