import os from 'node:os';

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly cpuMHz: number | undefined;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly arch: string;
  readonly osRelease: string;
  readonly hostname: string;
  /** 1/5/15-minute load averages when the run started: a busy machine explains noisy figures. */
  readonly loadAverageAtStart: readonly number[];
  readonly uvThreadpoolSize: number;
}

/** Cores, memory and CPU model (os.cpus()); the broker usually shares these cores. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const first = cpus[0];
  return {
    cores: cpus.length,
    cpuModel: first?.model.trim() ?? 'unknown',
    cpuMHz: first?.speed || undefined,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    osRelease: os.release(),
    hostname: os.hostname(),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  };
}
