/**
 * End-to-end scenarios (issue #5): a Tributary broker in its own process on loopback
 * (broker-process.ts), driven by the load generator (src/perf's runProduce/runConsume/
 * runE2e) in this process, which does nothing else meanwhile; two processes, two event
 * loops, as a real client and broker would be. Each scenario is reported as a ratio of the
 * machine limit that bounds it (limits.ts, measured in the same run):
 *
 *   produce-1k-acks1    1 KiB records as fast as possible, acks=1
 *   produce-1k-acksall  the same with acks=-1
 *   produce-100b        100 B records as fast as possible (one producer), records/s
 *   consume-100b        then every one of those records consumed from the start, records/s
 *   fetch-1k            the produce-1k-acks1 topic (written seconds before, so in the page
 *                       cache) consumed from the start, MB/s
 *   latency-1k          1 KiB records at a fixed rate (50 MB/s in a full run), end-to-end
 *                       latency per record from its intended send time (no coordinated
 *                       omission: src/perf fixes the schedule in advance)
 *
 * All of these run with Tributary's default durability, flush.messages=1: a produce is
 * acknowledged once fdatasync covers it (group commit). On one broker acks=1 and acks=-1
 * wait for exactly the same thing (the leader is the whole ISR), so the first two rows
 * should agree; both are kept because the issue asks for both and a difference would be a bug.
 * A second broker with flush.messages never and flush.ms=1000 repeats the two max-rate
 * produce scenarios, to compare with peers that sync on a timer (peers.ts).
 *
 * While a scenario runs, the broker logs its event-loop delay once per statsIntervalMs
 * window; the report shows p50 (median window), p99 (worst window) and max per scenario.
 */
import type { PerfOptionsInput, PerfResult } from '../src/perf/index.js';
import { runConsume, runE2e, runProduce } from '../src/perf/index.js';
import { flushNeverValue } from '../src/limits.js';
import type { LoopDelay } from './broker-process.js';
import { cpuMeter } from './cpu.js';
import { BrokerProcess } from './broker-process.js';
import type { LimitsRun } from './limits.js';
import { INFLIGHT_BYTES, THROUGHPUT_BATCH_BYTES, THROUGHPUT_INFLIGHT } from './limits.js';
import type { Mode } from './options.js';
import type { Results } from './results.js';
import type { ScratchDir } from './scratch-dir.js';

export interface E2eSizes {
  /** Measured seconds of each max-rate produce scenario, after warmupS. */
  produceS: number;
  warmupS: number;
  /** The fixed-rate latency scenario: measured seconds, warmup, and rate in MB/s of record values. */
  latencyS: number;
  latencyWarmupS: number;
  latencyMbps: number;
  /** Window of the broker's event-loop delay lines. */
  statsIntervalMs: number;
}

export const E2E_SIZES: Record<Mode, E2eSizes> = {
  full: { produceS: 2, warmupS: 1, latencyS: 3, latencyWarmupS: 1, latencyMbps: 50, statsIntervalMs: 500 },
  quick: { produceS: 0.5, warmupS: 0.1, latencyS: 0.5, latencyWarmupS: 0.2, latencyMbps: 50, statsIntervalMs: 200 },
  tiny: { produceS: 0.2, warmupS: 0, latencyS: 0.2, latencyWarmupS: 0.05, latencyMbps: 1, statsIntervalMs: 100 },
};

export const RECORD_1K = 1024;
/**
 * batch.size of the fixed-rate scenario (Tributary and peers alike). With flush.messages=1
 * one producer moves at most its requests in flight per ~fdatasync round trip; 16 KiB batches top out
 * near the target rate on a small VM, and the latency of an overloaded system only says
 * how long the queue grew during the run. 64 KiB batches keep 50 MB/s within reach.
 */
export const LATENCY_BATCH_BYTES = 65_536;
/**
 * max.partition.fetch.bytes of the consume scenarios: 16 MiB rather than Kafka's 1 MiB default,
 * the consumer's counterpart of the throughput-tuned producer's 8 MiB in flight (one fetch is
 * in flight per connection, so each round trip should carry more; docs/performance.md has the
 * sweep: 4 MiB 513-671, 8 MiB 707-869, 16 MiB 922-1,019 MiB/s in one session).
 */
export const FETCH_PARTITION_MAX_BYTES = 16 * 1024 * 1024;
/** How long the fixed-rate scenario waits after the schedule for the last records (then counts them missing). */
export const DRAIN_MS = 5_000;
export const RECORD_100B = 100;

/** What the load generator is given besides the scenario's own settings (batch size and requests in flight are set per scenario; src/perf defaults otherwise). */
export const PERF_COMMON: Partial<PerfOptionsInput> = { partitions: 1, compression: 'none', clientId: 'tributary-bench' };

/** The two broker configurations. */
export const TRIBUTARY_CONFIGS = {
  default: { label: 'Tributary (flush.messages=1)', flags: '', flushMessages: undefined, flushMs: undefined },
  relaxed: { label: 'Tributary (flush.ms=1000)', flags: `--flush-messages ${flushNeverValue} --flush-ms 1000`, flushMessages: flushNeverValue, flushMs: 1000 },
} as const;

export interface E2eContext {
  mode: Mode;
  results: Results;
  scratch: ScratchDir;
  limits: LimitsRun;
  log: (msg: string) => void;
}

const MB_PER_MIB = 1.048576;

function loopMetrics(d: LoopDelay | null): Record<string, number> {
  return d ? { loopP50Ms: d.p50Ms, loopP99Ms: d.p99Ms, loopMaxMs: d.maxMs } : {};
}

function latencyMetrics(prefix: string, l: { p50Ms: number; p90Ms: number; p99Ms: number; p999Ms: number; maxMs: number } | null | undefined): Record<string, number> {
  if (!l) return {};
  return { [`${prefix}P50Ms`]: l.p50Ms, [`${prefix}P90Ms`]: l.p90Ms, [`${prefix}P99Ms`]: l.p99Ms, [`${prefix}P999Ms`]: l.p999Ms, [`${prefix}MaxMs`]: l.maxMs };
}

function checkErrors(name: string, r: PerfResult): void {
  const errors = { ...r.produce?.errors, ...r.consume?.errors };
  if (Object.keys(errors).length > 0) throw new Error(`${name}: load generator saw errors ${JSON.stringify(errors)}`);
}

/** Runs `f` against `broker`: its result, the broker's event-loop delay and both sides' CPU over the call. */
async function timed<T>(broker: BrokerProcess, intervalMs: number, f: () => Promise<T>): Promise<{ r: T; loop: Record<string, number> }> {
  const startMs = Date.now();
  const cpu = cpuMeter(broker.pid);
  const r = await f();
  const share = cpu();
  const endMs = Date.now();
  await broker.windowAfter(endMs, intervalMs);
  return { r, loop: { ...loopMetrics(broker.loopDelay(startMs, endMs)), ...share } };
}

/** One run of the Tributary scenarios (group 'e2e'). */
export async function benchE2e(ctx: E2eContext): Promise<void> {
  const sizes = E2E_SIZES[ctx.mode];
  const { results, limits } = ctx;
  const writeBound = Math.min(limits.fsyncWriteMbps, limits.tcpMbps);
  // With acks waiting for fdatasync, one producer moves at most its bytes in flight per fdatasync.
  const inflightBound = INFLIGHT_BYTES / 1e6 / (limits.syncP50Ms / 1000);
  const dir = ctx.scratch.sub('e2e-tributary');
  const broker = await BrokerProcess.start({ dataDir: dir, statsIntervalMs: sizes.statsIntervalMs });
  const base = { ...PERF_COMMON, bootstrap: broker.bootstrap };
  const run = <T>(f: () => Promise<T>): Promise<{ r: T; loop: Record<string, number> }> => timed(broker, sizes.statsIntervalMs, f);
  try {
    const produce = async (key: string, topic: string, recordSizeBytes: number, acks: 1 | -1): Promise<PerfResult> => {
      const { r, loop } = await run(() => runProduce({ ...base, topic, recordSizeBytes, acks, batchSizeBytes: THROUGHPUT_BATCH_BYTES, maxInflight: THROUGHPUT_INFLIGHT, durationS: sizes.produceS, warmupS: sizes.warmupS }));
      checkErrors(key, r);
      const p = r.produce!;
      const mbps = p.mibPerSec * MB_PER_MIB;
      results.record('e2e', key, { recordBytes: recordSizeBytes, acks, config: 'default' }, {
        mbps,
        payloadMbps: p.payloadMibPerSec * MB_PER_MIB,
        recordsPerSec: p.recordsPerSec,
        ratio: mbps / writeBound,
        inflightRatio: mbps / inflightBound,
        ...latencyMetrics('ack', p.latencyMs),
        ...loop,
      });
      ctx.log(`  ${key}: ${mbps.toFixed(1)} MB/s, ${Math.round(p.recordsPerSec)} records/s (${((100 * mbps) / writeBound).toFixed(0)}% of min(fdatasync write, loopback TCP))`);
      return r;
    };
    const big = await produce('produce-1k-acks1', 's1-1k-acks1', RECORD_1K, 1);
    await produce('produce-1k-acksall', 's2-1k-acksall', RECORD_1K, -1);
    const small = await produce('produce-100b', 's3-100b', RECORD_100B, -1);

    const consume = async (key: string, topic: string, recordBytes: number, expected: number): Promise<void> => {
      const { r, loop } = await run(() => runConsume({ ...base, topic, from: 'earliest', fetchPartitionMaxBytes: FETCH_PARTITION_MAX_BYTES }));
      checkErrors(key, r);
      const c = r.consume!;
      if (c.records < expected) throw new Error(`${key}: consumed ${c.records} of ${expected} records`);
      const mbps = c.mibPerSec * MB_PER_MIB;
      results.record('e2e', key, { recordBytes }, { mbps, recordsPerSec: c.recordsPerSec, ratio: mbps / limits.tcpMbps, ...loop });
      ctx.log(`  ${key}: ${mbps.toFixed(1)} MB/s, ${Math.round(c.recordsPerSec)} records/s (${((100 * mbps) / limits.tcpMbps).toFixed(0)}% of loopback TCP)`);
    };
    const produced100 = small.produce!.records + small.produce!.warmupRecords;
    await consume('consume-100b', 's3-100b', RECORD_100B, produced100);
    await consume('fetch-1k', 's1-1k-acks1', RECORD_1K, big.produce!.records + big.produce!.warmupRecords);

    const rate = Math.round((sizes.latencyMbps * 1e6) / RECORD_1K);
    const { r, loop } = await run(() => runE2e({ ...base, topic: 's5-latency', recordSizeBytes: RECORD_1K, acks: -1, rate, batchSizeBytes: LATENCY_BATCH_BYTES, maxInflight: THROUGHPUT_INFLIGHT, drainTimeoutMs: DRAIN_MS, durationS: sizes.latencyS, warmupS: sizes.latencyWarmupS }));
    checkErrors('latency-1k', r);
    const e = r.e2e!;
    const achievedMbps = r.produce!.payloadMibPerSec * MB_PER_MIB;
    results.record('e2e', 'latency-1k', { recordBytes: RECORD_1K, targetMbps: sizes.latencyMbps, rate }, {
      achievedMbps,
      rateRatio: r.produce!.recordsPerSec / rate,
      missing: e.missing,
      ...latencyMetrics('e2e', e.latencyMs),
      ...latencyMetrics('ack', r.produce!.latencyMs),
      p50OverIdleRtt: (e.latencyMs.p50Ms * 1000) / limits.idleRttP50Us,
      p99OverIdleRtt: (e.latencyMs.p99Ms * 1000) / limits.idleRttP99Us,
      ...loop,
    });
    ctx.log(`  latency-1k at ${sizes.latencyMbps} MB/s: p50 ${e.latencyMs.p50Ms} ms, p99 ${e.latencyMs.p99Ms} ms, p99.9 ${e.latencyMs.p999Ms} ms, max ${e.latencyMs.maxMs} ms${e.missing > 0 ? `, ${e.missing} missing` : ''}`);
  } finally {
    await broker.stop();
    ctx.scratch.sub('e2e-tributary');
  }

  // The relaxed configuration, for the comparison with peers that fsync on a timer.
  const cfg = TRIBUTARY_CONFIGS.relaxed;
  const relaxedDir = ctx.scratch.sub('e2e-tributary-relaxed');
  const relaxed = await BrokerProcess.start({ dataDir: relaxedDir, statsIntervalMs: sizes.statsIntervalMs, flushMessages: cfg.flushMessages, flushMs: cfg.flushMs });
  try {
    for (const [key, recordSizeBytes] of [
      ['produce-1k-relaxed', RECORD_1K],
      ['produce-100b-relaxed', RECORD_100B],
    ] as const) {
      const { r, loop } = await timed(relaxed, sizes.statsIntervalMs, () =>
        runProduce({ ...PERF_COMMON, bootstrap: relaxed.bootstrap, topic: key, recordSizeBytes, acks: -1, batchSizeBytes: THROUGHPUT_BATCH_BYTES, maxInflight: THROUGHPUT_INFLIGHT, durationS: sizes.produceS, warmupS: sizes.warmupS }),
      );
      checkErrors(key, r);
      const p = r.produce!;
      const mbps = p.mibPerSec * MB_PER_MIB;
      results.record('e2e', key, { recordBytes: recordSizeBytes, acks: -1, config: 'relaxed' }, { mbps, payloadMbps: p.payloadMibPerSec * MB_PER_MIB, recordsPerSec: p.recordsPerSec, ratio: mbps / writeBound, ...latencyMetrics('ack', p.latencyMs), ...loop });
      ctx.log(`  ${key}: ${mbps.toFixed(1)} MB/s, ${Math.round(p.recordsPerSec)} records/s`);
    }
  } finally {
    await relaxed.stop();
    ctx.scratch.sub('e2e-tributary-relaxed');
  }
}
