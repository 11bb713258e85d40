/**
 * Opening a partition directory (Kafka's LogLoader): which segments exist, which can be
 * trusted, and where the log really ends.
 *
 *  - Files: `<base>.log` defines a segment; an index without its log is an orphan and is
 *    removed; `*.tmp` leftovers are removed.
 *  - After a clean shutdown every segment gets `loadTail` (index sanity check + CRC scan of
 *    the bytes after the last index entry). After an unclean one, segments before the one
 *    holding the recovery point get the same treatment and that segment and every later one
 *    are CRC-scanned whole and have their indexes rebuilt. Any segment whose indexes or
 *    tail fail the checks is recovered the same way.
 *  - A recovered segment is cut exactly at the scan's `validEnd`; if that is a middle segment
 *    and what follows is not all zeros (a runtime truncation's remains), every later segment
 *    is deleted (they would follow a hole). A segment whose base offset is
 *    below the previous segment's end is treated the same way.
 *
 * Scans run on the worker pool when one is given (`StoragePool.scanSegment`), in-thread
 * with `scanLog` otherwise; the file backend scans in `recoveryChunkBytes` chunks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { storageIoError } from '../errors.js';
import { scanLog } from '../format/log-scan.js';
import type { ScanOptions, ScanResult } from '../format/log-scan.js';
import { batchSizeAt } from '../format/record-batch.js';
import { recoveryChunkBytes } from '../limits.js';
import type { Logger } from '../logger.js';
import type { RecordRules, RewriteResult } from '../format/batch-rewrite.js';
import type { CompactResult, CompactTask } from '../workers/tasks.js';
import type { IoBackend, LogFile } from './io-backend.js';
import { LogSegment } from './log-segment.js';
import type { SegmentOptions } from './log-segment.js';
import { recoverSwaps } from './segment-swap.js';

/** The worker pool as storage uses it (src/workers/pool.ts provides it). */
export interface StoragePool {
  /** CRC-checked scan of the log file at `logPath` from `start`; positions are file positions. */
  scanSegment(logPath: string, start: number, opts: ScanOptions): Promise<ScanResult>;
  /**
   * Checks the CRC of every batch in `buf`. Large buffers are transferred to a worker (the
   * caller's `buf` is then detached): use the returned `bytes` afterwards.
   */
  verifyBatchCrcs(buf: Buffer): Promise<{ bad: { stored: number; computed: number } | null; validEnd: number; bytes: Buffer }>;
  /** One log-compaction pass (src/workers/compaction.ts) on a worker; the log cleaner runs it in-thread without one. */
  compactSegments?(task: CompactTask): Promise<CompactResult>;
  /**
   * The record pass over a produced batch (format/batch-rewrite.ts: CRC, per-record rules,
   * recompression); append-validator.ts runs it in-thread without one. Large inputs are
   * transferred: use the returned `bytes`.
   */
  rewriteBatch?(bytes: Buffer, rules: RecordRules): Promise<RewriteResult>;
}

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

/** Concatenates scan pieces; positions in `b` are already absolute. */
function mergeScans(a: ScanResult, b: ScanResult): ScanResult {
  const cat = (x: Float64Array, y: Float64Array) => {
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    count: a.count + b.count,
    positions: cat(a.positions, b.positions),
    baseOffsets: cat(a.baseOffsets, b.baseOffsets),
    lastOffsets: cat(a.lastOffsets, b.lastOffsets),
    maxTimestamps: cat(a.maxTimestamps, b.maxTimestamps),
    sizes: cat(a.sizes, b.sizes),
    validEnd: b.validEnd,
    stop: b.stop,
  };
}

/**
 * In-thread CRC scan of `log` from `start`. The mmap backend scans the mapping in one go;
 * the file backend reads chunks and carries a batch that straddles a chunk into the next.
 */
export function scanLogFile(log: LogFile, start: number, opts: ScanOptions = {}): ScanResult {
  const end = log.size;
  let result: ScanResult | null = null;
  let pos = start;
  let next = opts.expectedNextOffset;
  let want = log.zeroCopy ? end - start : recoveryChunkBytes;
  for (;;) {
    const chunk = log.read(pos, Math.max(want, 0));
    const part = scanLog(chunk, 0, { verifyCrc: opts.verifyCrc ?? true, ...(next === undefined ? {} : { expectedNextOffset: next }) });
    for (let i = 0; i < part.count; i++) part.positions[i]! += pos;
    const abs: ScanResult = { ...part, validEnd: pos + part.validEnd };
    result = result ? mergeScans(result, abs) : abs;
    const chunkEnd = pos + chunk.length;
    if (part.stop !== 'torn' || chunkEnd >= end) return result;
    // A batch runs past this chunk: read again from its start, big enough to hold it.
    pos += part.validEnd;
    if (part.count > 0) next = part.lastOffsets[part.count - 1]! + 1;
    const size = batchSizeAt(chunk, part.validEnd, chunk.length);
    want = Math.max(recoveryChunkBytes, size);
  }
}

export interface LoadOptions {
  dir: string;
  backend: IoBackend;
  segment: SegmentOptions;
  cleanShutdown: boolean;
  recoveryPoint: number;
  logStartOffset: number;
  pool?: StoragePool;
  log: Logger;
  nowMs: number;
}

export interface LoadResult {
  segments: LogSegment[];
  /** True when any segment was scanned and rebuilt (the caller flushes before trusting it). */
  recovered: boolean;
}

function listBaseOffsets(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw storageIoError(`list ${dir}`, err, { path: dir });
  }
  const logs = new Set<string>();
  const indexes: string[] = [];
  for (const name of names) {
    if (name.endsWith('.tmp')) {
      fs.rmSync(path.join(dir, name), { force: true });
      continue;
    }
    const m = SEGMENT_FILE.exec(name);
    if (!m) continue;
    if (m[2] === 'log') logs.add(m[1]!);
    else indexes.push(name);
  }
  for (const name of indexes) {
    if (!logs.has(name.slice(0, 20))) fs.rmSync(path.join(dir, name), { force: true });
  }
  return [...logs].map(Number).sort((a, b) => a - b);
}

export async function loadSegments(opts: LoadOptions): Promise<LoadResult> {
  const { dir, backend, log } = opts;
  // Log-cleaner swaps a crash interrupted: finished or rolled back; their indexes are rebuilt.
  const swapped = await recoverSwaps(dir, log);
  const bases = listBaseOffsets(dir);
  const segments: LogSegment[] = [];
  let recovered = false;
  if (bases.length === 0) {
    return { segments: [LogSegment.open(backend, dir, opts.logStartOffset, opts.segment, true, opts.nowMs)], recovered: false };
  }
  for (const base of bases) segments.push(LogSegment.open(backend, dir, base, opts.segment, false, opts.nowMs));

  // The first segment to recover whole: the one holding the recovery point.
  let recoverFrom = 0;
  if (opts.cleanShutdown) recoverFrom = segments.length;
  else for (let i = 0; i < segments.length; i++) if (segments[i]!.baseOffset <= opts.recoveryPoint) recoverFrom = i;

  const scan = async (seg: LogSegment, start: number, expectedNextOffset: number): Promise<ScanResult> => {
    if (opts.pool) return opts.pool.scanSegment(seg.logPath, start, { verifyCrc: true, expectedNextOffset, end: seg.size });
    return scanLogFile(seg.log, start, { verifyCrc: true, expectedNextOffset });
  };

  let keep = segments.length;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const prevEnd = i === 0 ? seg.baseOffset : segments[i - 1]!.nextOffset;
    if (seg.baseOffset < prevEnd) {
      log.warn({ dir, segment: seg.baseOffset, previousEnd: prevEnd }, 'segment overlaps the one before it; deleting it and every later segment');
      keep = i;
      break;
    }
    const offsetEnd = i + 1 < segments.length ? segments[i + 1]!.baseOffset : Number.MAX_SAFE_INTEGER;
    const trusted = i < recoverFrom && !swapped.has(seg.baseOffset) && seg.loadTail(offsetEnd, (start, next) => scanLogFile(seg.log, start, { verifyCrc: true, expectedNextOffset: next }));
    if (trusted) continue;
    if (i < recoverFrom) log.warn({ dir, segment: seg.baseOffset }, 'segment index or tail failed its check; rebuilding from the log');
    const result = await scan(seg, 0, seg.baseOffset);
    // Zeros from where the batches stop to the end of the file are what a runtime truncation
    // left (partition-log.ts zeroes instead of shrinking a mapped file, and removes the later
    // segments durably before it zeroes): the segment ends there cleanly.
    const zeroTail = result.stop !== 'end' && seg.zerosFrom(result.validEnd);
    const cut = seg.recover(result);
    recovered = true;
    if (cut > 0 && zeroTail) log.info({ dir, segment: seg.baseOffset, validEnd: result.validEnd, cut }, 'cut the zeros a truncation left');
    else if (cut > 0) log.warn({ dir, segment: seg.baseOffset, validEnd: result.validEnd, cut, stop: result.stop }, 'truncated a torn or corrupt log tail');
    if (result.stop !== 'end' && !zeroTail && i + 1 < segments.length) {
      log.warn({ dir, segment: seg.baseOffset, stop: result.stop }, 'corruption inside a closed segment; deleting every later segment');
      keep = i + 1;
      break;
    }
  }
  if (keep < segments.length) {
    for (const seg of segments.splice(keep)) await seg.delete();
    recovered = true;
  }
  return { segments, recovered };
}
