/**
 * The CPU-bound handler of `consumer-cpu`: about BENCH_CPU_ITERS rounds of an FNV-1a-style hash
 * over the message value (calibrated by the main thread to ~200 µs, handed over in the
 * environment, which worker threads copy at creation). Plain ESM so worker threads load it
 * without a TypeScript loader. Used in-process and through the pool, so both do the same work.
 */
const ITERS = Number(process.env.BENCH_CPU_ITERS ?? 100_000);

export function spin(value, iters = ITERS) {
  let h = 0x811c9dc5;
  const n = value.length;
  for (let k = 0; k < iters; k++) h = Math.imul(h ^ value[k % n], 16777619);
  return h >>> 0;
}

export let sink = 0;

export default function handle(message) {
  sink ^= spin(message.value);
}
