// Describes the machine a bench ran on (cores, CPU model, Node, load average as a noise hint).
import { cpus, loadavg, release, totalmem } from 'node:os';

export function machineInfo() {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${process.platform} ${release()}`,
    memGb: Math.round(totalmem() / 2 ** 30),
    loadavgStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
