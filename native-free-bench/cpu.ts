/**
 * CPU use of the two sides of a scenario, as a fraction of one core over its wall time:
 * this process (the load generator / peer client) from process.cpuUsage(), the server
 * process (broker or peer) from /proc/<pid>/stat (user + system ticks; Linux only, null
 * elsewhere). A side near 1.0 is saturated: on a single-threaded server that is the bound.
 */
import fs from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts in these ticks on every mainstream architecture. */
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) a process has used so far, or null if unreadable. */
export function processCpuS(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesized command name (which may contain spaces); utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

export interface CpuShare {
  /** This process, cores (1.0 = one core busy all the time). */
  clientCpu: number;
  /** The server process, cores; absent when unreadable. */
  serverCpu?: number;
}

/** Starts measuring; the returned function gives the shares since then. */
export function cpuMeter(serverPid: number | undefined): () => CpuShare {
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const server0 = processCpuS(serverPid);
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(self0);
    const out: CpuShare = { clientCpu: (self.user + self.system) / 1e6 / wallS };
    const server1 = processCpuS(serverPid);
    if (server0 !== null && server1 !== null) out.serverCpu = (server1 - server0) / wallS;
    return out;
  };
}
