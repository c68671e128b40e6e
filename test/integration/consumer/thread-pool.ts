import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The libuv pool size as libuv reads it: UV_THREADPOOL_SIZE, 4 when unset or invalid, clamped to 1..1024. */
function poolSize(): number {
  const n = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

/**
 * Occupies every thread of this process's libuv pool: each opens a FIFO for reading, which blocks
 * until a writer opens it. The pool serves its queue in order, so work queued after this call
 * starts only once release() ran. release() opens each FIFO read-write and non-blocking (on Linux
 * that never blocks and counts as a writer), which lets every blocked open() return, then closes
 * everything. Call it in a finally: until then every later pool user (fs, a consumer's close) waits.
 */
export function blockThreadPool(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gck-pool-'));
  const fifos = Array.from({ length: poolSize() }, (_, i) => join(dir, `f${i}`));
  for (const f of fifos) execFileSync('mkfifo', [f]);
  const readers = fifos.map((f) => open(f, 'r'));
  return async () => {
    const writers = fifos.map((f) => openSync(f, constants.O_RDWR | constants.O_NONBLOCK));
    try {
      for (const r of await Promise.all(readers)) await r.close();
    } finally {
      for (const w of writers) closeSync(w);
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
