/**
 * A Tributary broker in its own process, as `tributary serve` runs it, so that the load
 * generator (in the benchmark process) never shares its event loop:
 *
 *   node [--cpu-prof --cpu-prof-dir D] dist/src/cli.js serve --host 127.0.0.1 --port 0
 *        --data-dir DIR --log-level info --stats-interval-ms N [--flush-messages N --flush-ms N]
 *
 * The broker binds a free port itself (port 0) and logs it; the hidden --stats-interval-ms
 * flag makes it log its event-loop delay (perf_hooks.monitorEventLoopDelay) every N ms, one
 * window per line, which `loopDelay()` attributes to a scenario's time span.
 */
import fs from 'node:fs';
import path from 'node:path';
import { median } from './stats.js';
import type { Child } from './processes.js';
import { startChild } from './processes.js';
import { repoRoot } from './scratch-dir.js';

export interface BrokerProcessOptions {
  dataDir: string;
  /** Window of each event-loop delay line, ms. */
  statsIntervalMs: number;
  /** Default flush.messages / flush.ms of new topics (unset: Tributary's defaults, flush.messages=1). */
  flushMessages?: number;
  flushMs?: number;
  /** Write a V8 CPU profile of the broker into this directory when it exits. */
  cpuProfDir?: string;
}

/** One window of the broker's event-loop delay (ms beyond the 10 ms sampling timer). */
export interface LoopWindow {
  windowStartMs: number;
  windowEndMs: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Event-loop delay over a scenario: p50 = median of the windows' p50, p99 = worst window's p99, max = max. */
export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  windows: number;
}

export function cliPath(): string {
  const p = path.join(repoRoot(), 'dist', 'src', 'cli.js');
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: build first (make build)`);
  return p;
}

interface LogLine {
  msg?: string;
  port?: number;
  eventLoopDelay?: LoopWindow;
}

export class BrokerProcess {
  private constructor(
    private readonly child: Child,
    readonly port: number,
    /** Filled as the broker logs them. */
    readonly windows: LoopWindow[],
  ) {}

  get pid(): number | undefined {
    return this.child.proc.pid;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(o: BrokerProcessOptions): Promise<BrokerProcess> {
    const nodeArgs = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
    const args = [...nodeArgs, cliPath(), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', o.dataDir, '--log-level', 'info', '--stats-interval-ms', String(o.statsIntervalMs)];
    if (o.flushMessages !== undefined) args.push('--flush-messages', String(o.flushMessages));
    if (o.flushMs !== undefined) args.push('--flush-ms', String(o.flushMs));
    const windows: LoopWindow[] = [];
    const parse = (line: string): LogLine | undefined => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return undefined;
      }
    };
    const { child, value: port } = await startChild(
      process.execPath,
      args,
      (line) => {
        const l = parse(line);
        return l?.msg === 'broker listening' && typeof l.port === 'number' ? l.port : undefined;
      },
      (line) => {
        const w = parse(line)?.eventLoopDelay;
        if (w) windows.push(w);
      },
    );
    return new BrokerProcess(child, port, windows);
  }

  /**
   * The event-loop delay over [startMs, endMs] (Date.now() clock): the windows lying inside
   * it, or, when the span is shorter than a window, those overlapping it.
   */
  loopDelay(startMs: number, endMs: number): LoopDelay | null {
    let ws = this.windows.filter((w) => w.windowStartMs >= startMs && w.windowEndMs <= endMs);
    if (ws.length === 0) ws = this.windows.filter((w) => w.windowEndMs > startMs && w.windowStartMs < endMs);
    if (ws.length === 0) return null;
    return { p50Ms: median(ws.map((w) => w.p50Ms)), p99Ms: Math.max(...ws.map((w) => w.p99Ms)), maxMs: Math.max(...ws.map((w) => w.maxMs)), windows: ws.length };
  }

  /** Waits until the broker logged a window ending after `ms` (Date.now() clock), at most ~2 windows. */
  async windowAfter(ms: number, intervalMs: number): Promise<void> {
    const deadline = Date.now() + 2 * intervalMs + 100;
    while (!this.windows.some((w) => w.windowEndMs >= ms) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /** SIGTERM: the broker shuts down cleanly (and writes its CPU profile, if asked). */
  stop(): Promise<void> {
    return this.child.stop();
  }
}
