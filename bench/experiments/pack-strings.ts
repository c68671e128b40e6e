// The JS packing cost of string keys and header values (BatchPacker.add alone, no Kafka): ns per
// message with a UUID key (36 chars), optionally a traceparent header (55 chars), 100 B values.
//   node --import tsx bench/experiments/pack-strings.ts [--root /path/to/a/copy] [h]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BatchPacker } from '../../src/native/batch-producer.js';

const at = process.argv.indexOf('--root');
const root = at > 0 ? pathToFileURL(resolve(process.argv[at + 1]!) + '/').href : new URL('../../', import.meta.url).href;
const { BatchPacker: Packer } = (await import(new URL('src/native/batch-producer.ts', root).href)) as { BatchPacker: typeof BatchPacker };
const withHeader = process.argv.includes('h');
const packer = new Packer(1000, 'message_id', 'gck-');
const keys = Array.from({ length: 1000 }, () => crypto.randomUUID());
const value = Buffer.alloc(100, 7);
const headers = Array.from({ length: 1000 }, (_, i) => [{ traceparent: `00-0af7651916cd43dd8448eb211c8031${String(i % 100).padStart(2, '0')}-b7ad6b7169203331-01` }]);
for (let r = 0; r < 5; r++) {
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < 2000; b++) {
    packer.reset();
    for (let i = 0; i < 1000; i++) packer.add(i, 'topic', null, keys[i]!, value, withHeader ? headers[i] : undefined, null);
  }
  if (r >= 2) console.log(withHeader ? 'uuid key + traceparent' : 'uuid key', (Number(process.hrtime.bigint() - t0) / 2e6).toFixed(1), 'ns/msg');
}
