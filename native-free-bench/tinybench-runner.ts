/**
 * A thin layer over tinybench: each task names the bytes (and records) one call processes,
 * and very short calls are repeated inside one sample so timer resolution does not dominate.
 * The result of each task is the median of its per-sample throughput (tinybench's p50).
 */
import { Bench } from 'tinybench';
import type { Sizes } from './options.js';

export interface PrimitiveTask {
  name: string;
  /** Bytes one call of `fn` processes (the throughput's numerator). */
  bytes: number;
  /** Records one call processes, when that is meaningful. */
  records?: number;
  /** Calls per sample; by default enough for ~256 KiB of work. */
  repeats?: number;
  fn: () => unknown;
}

export interface TaskRate {
  opsPerSec: number;
  mbps: number;
  recordsPerSec?: number;
  samples: number;
}

/** Calls per sample: enough that one sample covers ~256 KiB of work. */
function repeatsFor(bytes: number): number {
  return Math.max(1, Math.floor((256 * 1024) / Math.max(1, bytes)));
}

/** Keeps results alive so the JIT cannot drop the work. */
export let sink: unknown = null;

export async function runTasks(tasks: readonly PrimitiveTask[], sizes: Sizes): Promise<Map<string, TaskRate>> {
  const bench = new Bench({ time: sizes.taskMs, warmupTime: sizes.warmupMs, iterations: 3, warmupIterations: 1 });
  const repeats = new Map<string, number>();
  for (const t of tasks) {
    const k = t.repeats ?? repeatsFor(t.bytes);
    repeats.set(t.name, k);
    bench.add(t.name, () => {
      let r: unknown;
      for (let i = 0; i < k; i++) r = t.fn();
      sink = r;
    });
  }
  await bench.run();
  const out = new Map<string, TaskRate>();
  for (const t of tasks) {
    const res = bench.getTask(t.name)!.result;
    if (res.state === 'errored') throw new Error(`benchmark task ${t.name} failed: ${res.error.message}`, { cause: res.error });
    if (res.state !== 'completed') throw new Error(`benchmark task ${t.name} did not complete (${res.state})`);
    const opsPerSec = res.throughput.p50 * repeats.get(t.name)!;
    out.set(t.name, {
      opsPerSec,
      mbps: (opsPerSec * t.bytes) / 1e6,
      ...(t.records !== undefined ? { recordsPerSec: opsPerSec * t.records } : {}),
      samples: res.latency.df + 1,
    });
  }
  return out;
}
