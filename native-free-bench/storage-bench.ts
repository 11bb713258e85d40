/**
 * The storage engine end to end: append throughput for every (record size, batch size,
 * backend, flush policy) cell next to the raw-write baseline of the same cell, then
 * sequential reads of what was written, next to the raw-read baseline. One call = one run.
 *
 * Appends are awaited one at a time (a single producer with one batch in flight), which is
 * also what the synchronous baseline does; one extra row per shape keeps PIPELINE_DEPTH
 * appends in flight with flush.messages=1 to show what group commit buys. Within a run the order of baseline/mmap/file is
 * rotated per run so that none of them always runs first on a warm or cold disk.
 */
import type { ReadBaseline, WriteRate } from './baseline.js';
import { rawRead, rawWrite, timedPasses, writeRate } from './baseline.js';
import { BatchSlab, batchShape } from './data.js';
import type { BatchShape } from './data.js';
import type { EngineBackend } from './engine.js';
import { TOPIC, openEngine, readWholeLog } from './engine.js';
import type { FlushPolicy } from './flush-policy.js';
import { FLUSH_POLICIES, PIPELINED, PIPELINE_DEPTH, StopRule, batchesPerSync, topicConfig } from './flush-policy.js';
import type { Sizes } from './options.js';
import type { Results } from './results.js';
import type { ScratchDir } from './scratch-dir.js';

const READ_MAX_BYTES = 1 << 20;


export interface StorageContext {
  sizes: Sizes;
  results: Results;
  scratch: ScratchDir;
  backends: EngineBackend[];
  /** 0-based run number: rotates the order of the contenders. */
  run: number;
}

export interface ReadRate {
  /** read() calls alone: zero-copy slices with mmap, fresh copies with the file backend. */
  mbps: number;
  /** read() plus one copy of every returned byte into a reused buffer (what sending it costs at least). */
  copyMbps: number;
}

export interface EngineAppendOptions {
  /** Also measure sequential reads of the written log, each for at least this long. */
  readMsMin?: number;
  /** Appends in flight at once (default 1: each awaited before the next). */
  inflight?: number;
}

/** Appends the slab's batches, `inflight` at a time; optionally measures sequential reads of the result. */
export async function engineAppend(
  dir: string,
  backend: EngineBackend,
  policy: FlushPolicy,
  slab: BatchSlab,
  stop: StopRule,
  opts: EngineAppendOptions = {},
): Promise<{ write: WriteRate; read: ReadRate | null }> {
  const inflight = opts.inflight ?? 1;
  slab.refill();
  const engine = await openEngine(dir, backend, topicConfig(policy, slab.shape));
  try {
    let bytes = 0;
    let n = 0;
    const pending: Promise<unknown>[] = [];
    const t0 = performance.now();
    for (const b of slab.batches) {
      bytes += b.length;
      pending.push(engine.append(TOPIC, 0, b));
      n++;
      if (pending.length >= inflight) await pending.shift();
      if (stop.done(n, bytes, performance.now() - t0)) break;
    }
    await Promise.all(pending);
    const write = writeRate(bytes, n, n * slab.shape.recordsPerBatch, performance.now() - t0);
    let read: ReadRate | null = null;
    const readMsMin = opts.readMsMin;
    if (readMsMin !== undefined) {
      const got = readWholeLog(engine, READ_MAX_BYTES);
      if (got !== bytes) throw new Error(`${backend}: read back ${got} bytes of the ${bytes} appended`);
      const sink = Buffer.allocUnsafe(READ_MAX_BYTES);
      read = {
        mbps: timedPasses(() => readWholeLog(engine, READ_MAX_BYTES), readMsMin),
        copyMbps: timedPasses(() => readWholeLog(engine, READ_MAX_BYTES, sink), readMsMin),
      };
    }
    return { write, read };
  } finally {
    await engine.close();
  }
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function cellKey(who: string, policy: string, shape: BatchShape): string {
  return `${who}/${policy}/${shape.recordBytes}/${shape.batchBytes}`;
}

/** One run of the whole append/read matrix. */
export async function benchStorage(ctx: StorageContext, shapes?: BatchShape[]): Promise<void> {
  const { sizes, results, scratch, run } = ctx;
  const list = shapes ?? storageShapes(sizes);
  const readBase: ReadBaseline = rawRead(scratch.sub('raw-read'), sizes.readBaselineBytes, sizes.readMsMin);
  results.record('storage', 'read/raw', { who: 'raw' }, { readSyncMbps: readBase.readSyncMbps, memcpyMbps: readBase.memcpyMbps });

  for (const shape of list) {
    const params = { recordBytes: shape.recordBytes, batchBytes: shape.batchBytes, batchBytesActual: shape.templates[0]!.length, recordsPerBatch: shape.recordsPerBatch };
    const stops = FLUSH_POLICIES.map((p) => new StopRule(batchesPerSync(p, shape), sizes.appendBytesMax, sizes.appendMsMax));
    const slab = new BatchSlab(shape, Math.max(...stops.map((s) => s.slabBytes(shape.templates[0]!.length))));
    for (const [i, policy] of FLUSH_POLICIES.entries()) {
      const every = batchesPerSync(policy, shape);
      const stop = stops[i]!;
      const contenders: ('raw' | EngineBackend)[] = rotate(['raw', ...ctx.backends], run);
      const rates = new Map<string, WriteRate>();
      for (const who of contenders) {
        const dir = scratch.sub(`${who}-${policy}`);
        if (who === 'raw') {
          rates.set(who, rawWrite(dir, slab, every, stop));
          continue;
        }
        // Reads do not depend on the flush policy; measure them on the largest log.
        const { write, read } = await engineAppend(dir, who, policy, slab, stop, policy === 'os-only' ? { readMsMin: sizes.readMsMin } : {});
        rates.set(who, write);
        if (read !== null) {
          results.record('storage', `read/${who}/${shape.recordBytes}/${shape.batchBytes}`, { who, ...params }, {
            mbps: read.mbps,
            copyMbps: read.copyMbps,
            ratio: read.copyMbps / readBase.readSyncMbps,
          });
        }
        scratch.sub(`${who}-${policy}`); // empties it: the next cell starts on a clean directory
      }
      const raw = rates.get('raw')!;
      results.record('storage', cellKey('raw', policy, shape), { who: 'raw', policy, syncEvery: every ?? 0, ...params }, { mbps: raw.mbps, recordsPerSec: raw.recordsPerSec, mb: raw.bytes / 1e6 });
      for (const who of ctx.backends) {
        const r = rates.get(who)!;
        results.record('storage', cellKey(who, policy, shape), { who, policy, syncEvery: every ?? 0, ...params }, {
          mbps: r.mbps,
          recordsPerSec: r.recordsPerSec,
          mb: r.bytes / 1e6,
          ratio: r.mbps / raw.mbps,
        });
      }
      if (policy === 'every-append') {
        // Group commit: several producers' batches in flight share each fdatasync, with the
        // same guarantee (every acknowledged batch is on disk) as the raw every-write baseline.
        for (const who of ctx.backends) {
          const dir = scratch.sub(`${who}-pipelined`);
          const { write } = await engineAppend(dir, who, policy, slab, stop, { inflight: PIPELINE_DEPTH });
          scratch.sub(`${who}-pipelined`);
          results.record('storage', cellKey(who, PIPELINED, shape), { who, policy: PIPELINED, syncEvery: 1, ...params }, {
            mbps: write.mbps,
            recordsPerSec: write.recordsPerSec,
            mb: write.bytes / 1e6,
            ratio: write.mbps / raw.mbps,
          });
        }
      }
    }
  }
}

/** The (record size, batch size) shapes of the matrix, encoded once and shared by every run. */
export function storageShapes(sizes: Sizes): BatchShape[] {
  return sizes.recordBytes.flatMap((r) => sizes.batchBytes.map((b) => batchShape(r, b)));
}
