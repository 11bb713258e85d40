/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) over microseconds, 3 significant
 * digits, 1 µs to 1 hour. Values outside that range are clamped into it (a latency below
 * 1 µs is recorded as 1 µs), so a recording never throws in the middle of a run.
 *
 * hdr-histogram-js has a WebAssembly build (about 5x faster to record into on Node 20) and a
 * pure-JS one. `initHistograms()` loads the WebAssembly build once and falls back to pure JS
 * if it fails; TRIBUTARY_PERF_HISTOGRAM=js forces pure JS. WebAssembly histograms live in
 * wasm memory that the garbage collector does not see, hence `destroy()`.
 */
import hdr from 'hdr-histogram-js';

/** Highest latency a histogram tracks: 1 hour. */
export const latencyUsMax = 3_600_000_000;
/** Significant decimal digits kept (0.1% relative error). */
const SIGNIFICANT_DIGITS = 3;

export type HistogramImpl = 'wasm' | 'js';
let impl: HistogramImpl | null = null;

/** Loads the WebAssembly build (once); resolves to the implementation histograms will use. */
export async function initHistograms(): Promise<HistogramImpl> {
  if (impl !== null) return impl;
  if (process.env.TRIBUTARY_PERF_HISTOGRAM === 'js') return (impl = 'js');
  try {
    await hdr.initWebAssembly();
    // Prove it works before trusting it with a run.
    const probe = hdr.build({ useWebAssembly: true, bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: latencyUsMax, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS });
    probe.recordValue(42);
    const ok = probe.totalCount === 1 && probe.maxValue >= 42;
    probe.destroy();
    impl = ok ? 'wasm' : 'js';
  } catch {
    impl = 'js';
  }
  return impl;
}

/** Latency percentiles in milliseconds (µs resolution), as reported and written to JSON. */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const ms = (us: number): number => Math.round(us) / 1000;

export class LatencyHistogram {
  private readonly h: hdr.Histogram;

  constructor() {
    this.h = hdr.build({
      useWebAssembly: impl === 'wasm',
      bitBucketSize: 64,
      lowestDiscernibleValue: 1,
      highestTrackableValue: latencyUsMax,
      numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
      autoResize: false,
    });
  }

  /** Records one latency in microseconds. */
  record(us: number): void {
    this.h.recordValue(us < 1 ? 1 : us > latencyUsMax ? latencyUsMax : Math.round(us));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Adds every value of `other` to this histogram. */
  add(other: LatencyHistogram): void {
    this.h.add(other.h);
  }

  valueAtPercentileMs(p: number): number {
    return this.h.totalCount === 0 ? 0 : ms(Math.min(this.h.maxValue, this.h.getValueAtPercentile(p)));
  }

  summary(): LatencySummary {
    const h = this.h;
    if (h.totalCount === 0) return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
    // A percentile is reported as the highest value of its bucket, which can lie a bucket's
    // width (0.1%) above the exact max; clamp so that min <= p50 <= ... <= max always holds.
    const min = h.minNonZeroValue;
    const max = h.maxValue;
    const at = (p: number): number => ms(Math.min(max, Math.max(min, h.getValueAtPercentile(p))));
    return { count: h.totalCount, minMs: ms(min), meanMs: ms(h.mean), p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), p999Ms: at(99.9), maxMs: ms(max) };
  }

  /** Frees WebAssembly memory; the histogram must not be used afterwards. */
  destroy(): void {
    this.h.destroy();
  }
}
