/**
 * Latency samples kept in full (a run holds at most a few hundred thousand) and summarized
 * exactly, in the same shape the load generator reports (src/perf's LatencySummary), so the
 * report treats Tributary's and the peers' percentiles alike.
 */
import type { LatencySummary } from '../src/perf/index.js';

export class LatencySamples {
  private data = new Float64Array(1024);
  private n = 0;

  /** Adds one latency in milliseconds. */
  push(ms: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  summary(): LatencySummary {
    const n = this.n;
    if (n === 0) return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
    const s = this.data.slice(0, n).sort();
    // Nearest rank: the smallest value with at least p% of the samples at or below it.
    // (the epsilon keeps 99.9% of 1000 at rank 999 despite floating point)
    const at = (p: number): number => s[Math.min(n - 1, Math.max(0, Math.ceil((p * n) / 100 - 1e-9) - 1))]!;
    let sum = 0;
    for (const v of s) sum += v;
    return { count: n, minMs: s[0]!, meanMs: sum / n, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), p999Ms: at(99.9), maxMs: s[n - 1]! };
  }
}

/** The percentiles the report and the chart show, in order, with their labels. */
export const PERCENTILES = [
  { label: 'p50', key: 'p50Ms' },
  { label: 'p90', key: 'p90Ms' },
  { label: 'p99', key: 'p99Ms' },
  { label: 'p99.9', key: 'p999Ms' },
  { label: 'max', key: 'maxMs' },
] as const;
