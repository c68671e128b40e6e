import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Occupies every thread of this process's libuv pool (UV_THREADPOOL_SIZE, default 4): each opens
 * a FIFO for reading, which blocks until a writer opens it. The pool serves its queue in order,
 * so work queued after this call starts only once release() ran. release() opens the writers
 * (non-blocking: a reader not yet inside open() is waited for, never blocked on) and cleans up.
 */
export async function blockThreadPool(): Promise<() => Promise<void>> {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const dir = mkdtempSync(join(tmpdir(), 'gck-pool-'));
  const fifos = Array.from({ length: size }, (_, i) => join(dir, `f${i}`));
  for (const f of fifos) execFileSync('mkfifo', [f]);
  const readers = fifos.map((f) => open(f, 'r'));
  await delay(50);
  return async () => {
    const writers: number[] = [];
    const deadline = Date.now() + 10_000;
    for (const f of fifos) {
      for (;;) {
        try {
          writers.push(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw e;
          await delay(5);
        }
      }
    }
    for (const r of await Promise.all(readers)) await r.close();
    for (const w of writers) closeSync(w);
    rmSync(dir, { recursive: true, force: true });
  };
}
