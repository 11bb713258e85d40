/**
 * The peers' side of the end-to-end scenarios: one load driver for every peer system, so
 * Redis Streams and NATS JetStream are driven exactly alike and as Tributary's load
 * generator drives Tributary (src/perf: batches of up to 256 KiB of records, 8 requests in
 * flight, one reader with one read in flight).
 *
 *  - produceMax: closed loop, as fast as acknowledgements allow, for a fixed time;
 *  - consumeAll: reads a stream from its start until every record was seen;
 *  - fixedRate: a schedule fixed in advance (record k is due at start + k/rate) with a
 *    concurrent reader; latency = time read - time due, so a system that falls behind shows
 *    it as latency instead of slowing the schedule (no coordinated omission). The due time
 *    travels in the first 8 bytes of each value (float64 ms, this process's clock).
 */
import type { LatencySummary } from '../../src/perf/index.js';
import { recordValue, prng } from '../data.js';
import { LatencySamples } from '../latency.js';
import { THROUGHPUT_BATCH_BYTES, THROUGHPUT_INFLIGHT } from '../limits.js';

/** One stream of a peer system, as the driver sees it. */
export interface PeerStream {
  /** Appends the values in one request (pipeline); resolves once all are acknowledged. */
  append(values: Buffer[]): Promise<void>;
  /** Reads from the start of the stream, calling `onValue` per record, until stopped. */
  read(onValue: (value: Buffer) => void): PeerReader;
  close(): Promise<void>;
}

export interface PeerReader {
  stop(): void;
  /** Settles once the reader stopped (rejects on a read error). */
  done: Promise<void>;
}

export interface PeerSystem {
  /** E.g. "Redis Streams (appendfsync always)". */
  readonly label: string;
  /** The server's process id (for its CPU use). */
  readonly pid: number | undefined;
  /** A new, empty stream for records of `recordBytes`. */
  openStream(name: string, recordBytes: number): Promise<PeerStream>;
  stop(): Promise<void>;
}

/** Driver settings: the same batch size and requests in flight as Tributary's throughput scenarios. */
export const BATCH_BYTES = THROUGHPUT_BATCH_BYTES;
export const INFLIGHT = THROUGHPUT_INFLIGHT;
/** Distinct values cycled through (log lines like the rest of the harness writes). */
const POOL_VALUES = 64;
/** fixedRate: how long to wait after the last due time for the reader to catch up. */
export const drainMsMax = 10_000;

export interface RateResult {
  records: number;
  bytes: number;
  ms: number;
  mbps: number;
  recordsPerSec: number;
}

function rate(records: number, bytes: number, ms: number): RateResult {
  const s = ms / 1000;
  return { records, bytes, ms, mbps: bytes / 1e6 / s, recordsPerSec: records / s };
}

export function valuePool(recordBytes: number, seed = 7): Buffer[] {
  const rand = prng(seed);
  return Array.from({ length: POOL_VALUES }, (_, i) => recordValue(recordBytes, rand, Date.UTC(2024, 0, 1) + i));
}

export function batchRecords(recordBytes: number): number {
  return Math.max(1, Math.floor(BATCH_BYTES / recordBytes));
}

/** Appends batches of pooled values, INFLIGHT at a time, for warmupMs + ms; counts records acknowledged after the warmup. */
export async function produceMax(stream: PeerStream, recordBytes: number, warmupMs: number, ms: number): Promise<RateResult & { totalRecords: number }> {
  const pool = valuePool(recordBytes);
  const n = batchRecords(recordBytes);
  let next = 0;
  const batch = (): Buffer[] => Array.from({ length: n }, () => pool[next++ % pool.length]!);
  let totalRecords = 0;
  let records = 0;
  let lastAck = 0;
  const t0 = performance.now();
  const measureFrom = t0 + warmupMs;
  const lane = async (): Promise<void> => {
    while (performance.now() - t0 < warmupMs + ms) {
      await stream.append(batch());
      totalRecords += n;
      lastAck = performance.now();
      if (lastAck >= measureFrom) records += n;
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, lane));
  return { ...rate(records, records * recordBytes, lastAck - measureFrom), totalRecords };
}

/** Reads `stream` from its start until `expected` records arrived. */
export async function consumeAll(stream: PeerStream, expected: number): Promise<RateResult> {
  let records = 0;
  let bytes = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => (resolveAll = r));
  const t0 = performance.now();
  let tEnd = t0;
  const reader = stream.read((v) => {
    records++;
    bytes += v.length;
    if (records === expected) {
      tEnd = performance.now();
      resolveAll();
    }
  });
  await Promise.race([all, reader.done.then(() => Promise.reject(new Error(`reader stopped after ${records} of ${expected} records`)))]);
  reader.stop();
  await reader.done.catch(() => {});
  return rate(records, bytes, tEnd - t0);
}

export interface FixedRateResult {
  latency: LatencySummary;
  /** Records produced in the measured window, and the rate achieved over it. */
  records: number;
  recordsPerSec: number;
  /** Scheduled records not read (not sent, or not acknowledged, or not read) by drainMs after the schedule ended. */
  missing: number;
}

/** Produces `rate` records/s for warmupMs + durationMs while reading them back; latency of the measured window. */
export async function fixedRate(stream: PeerStream, recordBytes: number, recordsPerSec: number, durationMs: number, warmupMs: number, batchBytes = BATCH_BYTES, drainMs = drainMsMax): Promise<FixedRateResult> {
  const pool = valuePool(recordBytes);
  const perBatch = Math.max(1, Math.floor(batchBytes / recordBytes));
  const total = Math.round((recordsPerSec * (warmupMs + durationMs)) / 1000);
  const samples = new LatencySamples();
  let read = 0;
  let acked = 0;
  let lastRead = 0;
  const start = performance.now() + 20;
  const measureFrom = start + warmupMs;
  const reader = stream.read((v) => {
    const due = v.readDoubleLE(0);
    const now = performance.now();
    if (due >= measureFrom) samples.push(now - due);
    read++;
    lastRead = now;
  });
  let k = 0;
  let inflight = 0;
  const queue: Buffer[][] = [];
  let failed: unknown = null;
  let wake: () => void = () => {};
  const send = (): void => {
    while (inflight < INFLIGHT && queue.length > 0) {
      const b = queue.shift()!;
      inflight++;
      stream.append(b).then(
        () => {
          inflight--;
          acked += b.length;
          send();
          wake();
        },
        (err: unknown) => {
          failed = err;
          wake();
        },
      );
    }
  };
  while (k < total && failed === null) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) * recordsPerSec) / 1000) + 1);
    while (k < due) {
      const batch: Buffer[] = [];
      for (; k < due && batch.length < perBatch; k++) {
        const v = Buffer.allocUnsafe(recordBytes);
        pool[k % pool.length]!.copy(v);
        v.writeDoubleLE(start + (k * 1000) / recordsPerSec, 0);
        batch.push(v);
      }
      queue.push(batch);
    }
    send();
    // Wake at the next due time (timers are ~1 ms coarse; records due meanwhile go out together).
    const nextDue = start + (k * 1000) / recordsPerSec;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, Math.max(0, nextDue - performance.now()));
    });
  }
  // A system that fell behind would keep the run going for as long as its backlog lasts:
  // stop sending drainMs after the schedule ended; what was not read by then is missing.
  const deadline = start + warmupMs + durationMs + drainMs;
  while ((inflight > 0 || queue.length > 0) && failed === null && performance.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 5)));
  queue.length = 0;
  if (failed !== null) {
    reader.stop();
    throw failed;
  }
  while (read < acked && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  reader.stop();
  await reader.done.catch(() => {});
  const measured = total - Math.round((recordsPerSec * warmupMs) / 1000);
  const window = Math.max(1, lastRead - measureFrom);
  return { latency: samples.summary(), records: measured, recordsPerSec: (Math.min(measured, Math.max(0, read - (total - measured))) / window) * 1000, missing: Math.max(0, total - read) };
}
