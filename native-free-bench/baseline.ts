/**
 * What this machine does without the engine, measured in the same run and the same
 * directory: sequential `fs.writeSync` of the very same batch buffers with fdatasync after
 * the same number of writes, and sequential reads of cached file data. The engine's numbers
 * are reported as ratios of these.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BatchSlab } from './data.js';
import type { StopRule } from './flush-policy.js';

export interface WriteRate {
  bytes: number;
  batches: number;
  records: number;
  ms: number;
  mbps: number;
  recordsPerSec: number;
}

export function writeRate(bytes: number, batches: number, records: number, ms: number): WriteRate {
  const s = ms / 1000;
  return { bytes, batches, records, ms, mbps: bytes / 1e6 / s, recordsPerSec: records / s };
}

/** Writes the slab's batches to a new file in `dir`, fdatasync after every `syncEvery` writes (never when null). */
export function rawWrite(dir: string, slab: BatchSlab, syncEvery: number | null, stop: StopRule): WriteRate {
  const file = path.join(dir, 'raw-write.bin');
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let n = 0;
  let ms = 0;
  try {
    const t0 = performance.now();
    for (const b of slab.batches) {
      fs.writeSync(fd, b);
      bytes += b.length;
      n++;
      if (syncEvery !== null && n % syncEvery === 0) fs.fdatasyncSync(fd);
      if (stop.done(n, bytes, performance.now() - t0)) break;
    }
    ms = performance.now() - t0;
  } finally {
    fs.closeSync(fd);
    // Unsynced pages of a deleted file are dropped, not written back behind the next cell.
    fs.rmSync(file, { force: true });
  }
  return writeRate(bytes, n, n * slab.shape.recordsPerBatch, ms);
}

export interface ReadBaseline {
  /** readSync of a page-cached file, 1 MiB at a time into one reused buffer. */
  readSyncMbps: number;
  /** Buffer.copy of 1 MiB chunks between two in-memory buffers: the memcpy ceiling. */
  memcpyMbps: number;
}

const CHUNK = 1 << 20;

/** Repeats `pass` (after one untimed warm-up pass) until `msMin` has elapsed; returns MB/s. */
export function timedPasses(pass: () => number, msMin: number): number {
  pass();
  let bytes = 0;
  const t0 = performance.now();
  let ms = 0;
  do {
    bytes += pass();
    ms = performance.now() - t0;
  } while (ms < msMin);
  return bytes / 1e6 / (ms / 1000);
}

export function rawRead(dir: string, bytes: number, msMin: number): ReadBaseline {
  const data = Buffer.allocUnsafe(bytes);
  data.fill('{"ts":"2024-01-01T00:00:00.000Z","level":"info"}\n');
  const file = path.join(dir, 'raw-read.bin');
  fs.writeFileSync(file, data);
  const chunk = Buffer.allocUnsafe(CHUNK);
  const fd = fs.openSync(file, 'r');
  try {
    const readSyncMbps = timedPasses(() => {
      let total = 0;
      for (let pos = 0; pos < bytes; ) {
        const n = fs.readSync(fd, chunk, 0, CHUNK, pos);
        if (n <= 0) throw new Error(`short read at ${pos} of ${bytes}`);
        pos += n;
        total += n;
      }
      return total;
    }, msMin);
    const memcpyMbps = timedPasses(() => {
      let total = 0;
      for (let pos = 0; pos < bytes; pos += CHUNK) total += data.copy(chunk, 0, pos, Math.min(bytes, pos + CHUNK));
      return total;
    }, msMin);
    return { readSyncMbps, memcpyMbps };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}
