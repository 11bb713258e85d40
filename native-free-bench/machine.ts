/** What the numbers were measured on: printed at the top of every report. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs the OS reports. */
  cores: number;
  memoryBytes: number;
  node: string;
  kernel: string;
  platform: string;
  /** Filesystem type and device of the benchmark's data directory, e.g. "ext4 /dev/vda". */
  filesystem: string;
  /** 1/5/15-minute load averages when the run started: a busy machine shows up here. */
  loadAverage: number[];
}

function cpuModel(): string {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: fall back to what Node reports
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function filesystemOf(dir: string): string {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', dir], { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
  } catch {
    return 'unknown';
  }
}

export function machineInfo(dataDir: string): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    node: process.version,
    kernel: os.release(),
    platform: `${os.platform()} ${os.arch()}`,
    filesystem: filesystemOf(dataDir),
    loadAverage: os.loadavg(),
  };
}
