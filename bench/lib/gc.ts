import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A full garbage collection between runs, so one client's garbage (a million settled promises)
 * is not collected on the next client's clock. `npm run bench` starts node without --expose-gc,
 * so the flag is switched on at run time and `gc` fetched from a fresh context.
 */
let gcFn: (() => void) | undefined;

export function collectGarbage(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}
