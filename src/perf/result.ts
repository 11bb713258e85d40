/**
 * What a run reports: `PerfResult`, written as is by --json (docs/perf.md "Output"), and
 * its text rendering. Throughput counts only the measured window (after --warmup). MiB are
 * 2^20 bytes (kafka-producer-perf-test's "MB").
 */
import type { HistogramImpl, LatencySummary } from './histogram.js';
import type { ApiVersionsUsed } from './cluster.js';
import type { PerfMode, PerfOptions } from './options.js';

export const PERF_RESULT_SCHEMA_VERSION = 1;

export interface ProduceReport {
  /** Records acknowledged (acks=0: written to the socket) in the measured window. */
  records: number;
  /** Their record-batch bytes as sent (after compression). */
  bytes: number;
  /** Their key + value bytes. */
  payloadBytes: number;
  batches: number;
  requests: number;
  recordsPerSec: number;
  mibPerSec: number;
  payloadMibPerSec: number;
  /** Per batch: acknowledgement - due time; null with acks=0 (no responses). */
  latencyMs: LatencySummary | null;
  /** Records sent during warmup (not in the figures above). */
  warmupRecords: number;
  /** Records lost to retriable errors, by Kafka error name (not retried). */
  errors: Record<string, number>;
  /** Measured window: warmup end to last acknowledgement. */
  durationS: number;
}

export interface ConsumeReport {
  records: number;
  /** Record-batch bytes received (as stored: compressed if produced compressed). */
  bytes: number;
  fetches: number;
  /** Fetches that returned no records (long polls that timed out, catching up). */
  emptyFetches: number;
  recordsPerSec: number;
  mibPerSec: number;
  /** Per Fetch request: response - send time (includes long-poll waits). */
  fetchLatencyMs: LatencySummary;
  warmupRecords: number;
  errors: Record<string, number>;
  /** Measured window: warmup end to the last response that carried records. */
  durationS: number;
}

export interface E2eReport {
  /** Per record: receipt by a consumer - intended send time. */
  latencyMs: LatencySummary;
  /** Records acknowledged by the broker but not received before the drain timeout. */
  missing: number;
  /** Records whose value held no plausible send time (not written by this run). */
  foreign: number;
}

export interface PerfResult {
  tool: 'tributary-perf';
  schemaVersion: typeof PERF_RESULT_SCHEMA_VERSION;
  mode: PerfMode;
  /** ISO-8601 time the run started. */
  startedAt: string;
  options: PerfOptions;
  target: {
    bootstrap: string;
    clusterId: string | null;
    topic: string;
    partitions: number;
    topicCreated: boolean;
    /** Versions negotiated with the bootstrap broker. */
    apiVersions: ApiVersionsUsed;
  };
  histogram: HistogramImpl;
  warmupS: number;
  /** Wall time from the end of warmup to the end of the run. */
  elapsedS: number;
  /** The run was stopped early (SIGINT, AbortSignal). */
  aborted: boolean;
  warnings: string[];
  produce: ProduceReport | null;
  consume: ConsumeReport | null;
  e2e: E2eReport | null;
}

const MIB = 1024 * 1024;

export function perSec(n: number, seconds: number): number {
  return seconds > 0 ? n / seconds : 0;
}

export function mib(bytes: number): number {
  return bytes / MIB;
}

function fmt(n: number, digits = 2): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function latencyLine(label: string, l: LatencySummary, unit: string): string {
  return `  ${label}: p50 ${fmt(l.p50Ms, 3)}  p90 ${fmt(l.p90Ms, 3)}  p99 ${fmt(l.p99Ms, 3)}  p99.9 ${fmt(l.p999Ms, 3)}  max ${fmt(l.maxMs, 3)} ms  (mean ${fmt(l.meanMs, 3)}, ${fmt(l.count, 0)} ${unit})`;
}

function errorsText(errors: Record<string, number>): string {
  const e = Object.entries(errors);
  return e.length === 0 ? '' : `  errors: ${e.map(([k, v]) => `${k} ${v}`).join(', ')}`;
}

/** The human-readable report printed to stdout. */
export function formatResult(r: PerfResult): string {
  const o = r.options;
  const lines: string[] = [];
  const rate = o.rate > 0 ? `${fmt(o.rate, 0)} rec/s` : 'max rate';
  const parts = r.target.partitions === 1 ? '1 partition' : `${r.target.partitions} partitions`;
  const producing = r.mode === 'consume' ? `from ${o.from}` : `${o.recordSizeBytes} B records, ${rate}, acks ${o.acks}, ${o.compression}`;
  lines.push(
    `tributary perf ${r.mode}: ${r.target.bootstrap} topic ${r.target.topic} (${parts}${r.target.topicCreated ? ', created' : ''}), ` +
      `${producing}, histograms ${r.histogram}${r.aborted ? ' [aborted]' : ''}`,
  );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.produce) {
    const p = r.produce;
    lines.push(
      `produce: ${fmt(p.records, 0)} records in ${fmt(p.durationS, 3)} s: ${fmt(p.recordsPerSec, 1)} rec/s, ${fmt(p.mibPerSec, 2)} MiB/s ` +
        `(payload ${fmt(p.payloadMibPerSec, 2)} MiB/s), ${fmt(p.batches, 0)} batches in ${fmt(p.requests, 0)} requests`,
    );
    if (p.latencyMs) lines.push(latencyLine('produce latency', p.latencyMs, 'batches'));
    else lines.push('  produce latency: n/a (acks=0: no responses)');
    const e = errorsText(p.errors);
    if (e) lines.push(e);
  }
  if (r.consume) {
    const c = r.consume;
    lines.push(`consume: ${fmt(c.records, 0)} records in ${fmt(c.durationS, 3)} s: ${fmt(c.recordsPerSec, 1)} rec/s, ${fmt(c.mibPerSec, 2)} MiB/s, ${fmt(c.fetches, 0)} fetches (${fmt(c.emptyFetches, 0)} empty)`);
    lines.push(latencyLine('fetch latency', c.fetchLatencyMs, 'fetches'));
    const e = errorsText(c.errors);
    if (e) lines.push(e);
  }
  if (r.e2e) {
    lines.push(latencyLine('end-to-end latency', r.e2e.latencyMs, 'records'));
    if (r.e2e.missing > 0 || r.e2e.foreign > 0) lines.push(`  missing ${fmt(r.e2e.missing, 0)} records, foreign ${fmt(r.e2e.foreign, 0)}`);
  }
  return lines.join('\n') + '\n';
}
