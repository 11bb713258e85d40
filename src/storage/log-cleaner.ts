/**
 * Log compaction (Kafka's LogCleaner, LogCleanerManager and Cleaner): for partitions whose
 * cleanup.policy includes `compact`, keeps only the latest record of each key in the closed
 * segments, and tombstones until delete.retention.ms after they were first cleaned.
 *
 * A pass over one partition (`cleanLog`), planned here on the event loop from segment
 * metadata alone:
 *  - The cleanable range is the closed segments from the one holding the log start offset
 *    up to (not including) the first that holds offsets at or above the high watermark, or
 *    whose largest timestamp is newer than now - min.compaction.lag.ms. The active segment is
 *    never cleaned.
 *  - The cleaner checkpoint (first dirty offset) splits it into a clean section, already
 *    deduplicated, and a dirty one. The pass runs when dirty / (clean + dirty) bytes is
 *    above min.cleanable.dirty.ratio (strictly, as Kafka), when the first dirty segment's
 *    first batch is older than max.compaction.lag.ms, or when `force`. Otherwise, when a
 *    delete horizon of a tombstone in the clean section has passed, a tombstone-only pass
 *    rewrites just the clean section (no key map), leaving the checkpoint where it is.
 *  - The heavy part — reading the segments, building the key map over the dirty section and
 *    writing `<base>.log.cleaned` copies of the segments that change — runs on the worker
 *    pool when there is one (src/workers/compaction.ts), in-thread otherwise.
 *  - Each cleaned segment gets its indexes built here (LogSegment.recover over the batch
 *    table the worker returned), synced, and is swapped in oldest first through
 *    PartitionLog.replaceSegment (segment-swap.ts for the file protocol). Oldest first
 *    matters: a tombstone is dropped only in a segment swapped after every older segment of
 *    the same pass, so no crash can leave an older value of its key without the tombstone.
 *  - The checkpoint moves to the end of the cleaned range only once every swap of the pass
 *    is done; a crash mid-pass repeats the pass, which is idempotent.
 *
 * On-disk format: `<dataDir>/cleaner-offset-checkpoint`, Kafka's offset-checkpoint text
 * format (offset-checkpoint.ts), one first-dirty offset per compacted partition, written
 * atomically. A missing entry means "everything from the log start is dirty".
 *
 * Crash behaviour: `.cleaned` files are garbage until their swap commits; see
 * segment-swap.ts for what recovery does with each swap state. Offsets never change: every
 * surviving record keeps its offset, and a segment keeps its base offset (the log start and
 * end offsets do not move).
 *
 * Concurrency: at most one pass per partition at a time (a second request waits for the
 * first and then runs its own); appends and reads continue during a pass; swaps are
 * serialised with appends, truncation and retention by the partition's mutation chain, and
 * a segment that was truncated or deleted meanwhile aborts the pass.
 */
import path from 'node:path';
import { TributaryError, isTributaryError } from '../errors.js';
import type { ScanResult } from '../format/log-scan.js';
import { cleanerKeysMax, flushNeverValue } from '../limits.js';
import type { Logger } from '../logger.js';
import { compactSegments } from '../workers/compaction.js';
import type { CleanedSegment, CompactResult, CompactTask } from '../workers/tasks.js';
import type { IoBackend } from './io-backend.js';
import { scanLogFile } from './log-loader.js';
import type { StoragePool } from './log-loader.js';
import { LogSegment } from './log-segment.js';
import { OffsetCheckpoint, partitionKey } from './offset-checkpoint.js';
import type { PartitionOffsets } from './offset-checkpoint.js';
import type { PartitionLog } from './partition-log.js';
import { CLEANED_SUFFIX, commitSwap, finishSwap, removeCleaned } from './segment-swap.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

export interface LogCleanerOptions {
  dataDir: string;
  backend: IoBackend;
  log: Logger;
  clock: () => number;
  pool?: StoragePool;
  /** Distinct keys one pass maps (default limits.cleanerKeysMax). */
  keysMax?: number;
}

export interface CleanOptions {
  /** Clean whatever is cleanable, whatever the dirty ratio and lags say about whether to. */
  force?: boolean;
}

/** What one pass over one partition did. */
export interface CleanResult {
  topic: string;
  partition: number;
  /** 'full': dirty section mapped and everything cleanable rewritten; 'tombstones': expired tombstones dropped from the clean section. */
  kind: 'full' | 'tombstones';
  /** First dirty offset before the pass, and the checkpoint after it. */
  firstDirtyOffset: number;
  cleanedUpToOffset: number;
  segmentsRead: number;
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
}

/** The part of a plan the heavy task needs, plus what the swap needs. */
interface Plan {
  kind: 'full' | 'tombstones';
  segments: LogSegment[];
  sizes: number[];
  firstDirty: number;
  firstDirtyOffset: number;
  /** Checkpoint after the pass when all of `segments` are handled. */
  endOffset: number;
}

export class LogCleaner {
  private readonly checkpoint: OffsetCheckpoint;
  private readonly firstDirty: PartitionOffsets;
  /** Earliest delete horizon of a tombstone in each partition's clean section; absent = unknown (look once). */
  private readonly horizons = new Map<string, number>();
  /** Truncations seen per partition: a pass that overlaps one leaves the checkpoint alone. */
  private readonly truncations = new Map<string, number>();
  /** The pass running per partition; a new request chains after it. */
  private readonly running = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(private readonly opts: LogCleanerOptions) {
    this.checkpoint = new OffsetCheckpoint(path.join(opts.dataDir, CLEANER_CHECKPOINT_FILE), opts.log);
    this.firstDirty = this.checkpoint.read();
  }

  /** The checkpointed first dirty offset of a partition, if any (tests, tools). */
  firstDirtyOffset(topic: string, partition: number): number | undefined {
    return this.firstDirty.get(partitionKey(topic, partition));
  }

  /**
   * The log is being truncated to `offset` (Kafka's maybeTruncateCheckpoint): the first dirty
   * offset comes down to it, durably, so records appended after the truncation are cleaned
   * like any dirty ones; a pass running meanwhile does not move the checkpoint.
   */
  async truncateCheckpoint(topic: string, partition: number, offset: number): Promise<void> {
    const key = partitionKey(topic, partition);
    this.truncations.set(key, (this.truncations.get(key) ?? 0) + 1);
    const current = this.firstDirty.get(key);
    if (current === undefined || current <= offset) return;
    this.firstDirty.set(key, offset);
    await this.checkpoint.write(this.firstDirty);
  }

  /** Drops a deleted partition's state and checkpoint entry. */
  async forget(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    this.horizons.delete(key);
    if (this.firstDirty.delete(key)) await this.checkpoint.write(this.firstDirty);
  }

  /** One pass over `plog` if it needs one (or `force`); resolves with what it did, or null. */
  cleanLog(plog: PartitionLog, opts: CleanOptions = {}): Promise<CleanResult | null> {
    const key = partitionKey(plog.topic, plog.partition);
    const prev = this.running.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => (this.closed ? null : this.pass(plog, key, opts)));
    const settled = run.catch(() => undefined);
    this.running.set(key, settled);
    void settled.then(() => {
      if (this.running.get(key) === settled) this.running.delete(key);
    });
    return run;
  }

  /** Waits for running passes; later requests do nothing. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()]);
  }

  // ---- planning ----------------------------------------------------------------------------

  private plan(plog: PartitionLog, key: string, now: number, force: boolean): Plan | null {
    const cfg = plog.logConfig;
    if (!cfg.compact) return null;
    const closed = plog.closedSegments();
    const lso = plog.logStartOffset;
    const hw = plog.highWatermark;
    const activeBase = plog.segmentBaseOffsets[closed.length]!;
    const nextBase = (i: number): number => closed[i + 1]?.baseOffset ?? activeBase;

    // Segments wholly below the log start are retention's to delete.
    let first = 0;
    while (first < closed.length && nextBase(first) <= lso) first++;
    let end = first;
    while (end < closed.length) {
      const s = closed[end]!;
      if (s.nextOffset > hw) break;
      if (cfg.minCompactionLagMs > 0 && largestTimestamp(s) > now - cfg.minCompactionLagMs) break;
      end++;
    }
    if (end === first) return null;

    let checkpoint = this.firstDirty.get(key) ?? lso;
    if (checkpoint < lso || checkpoint > plog.logEndOffset) checkpoint = lso;
    let dirty = first;
    while (dirty < end && nextBase(dirty) <= checkpoint) dirty++;
    let cleanBytes = 0;
    let dirtyBytes = 0;
    for (let i = first; i < end; i++) {
      if (i < dirty) cleanBytes += closed[i]!.size;
      else dirtyBytes += closed[i]!.size;
    }
    const total = cleanBytes + dirtyBytes;
    const ratio = total > 0 ? dirtyBytes / total : 0;
    const firstDirtyTs = dirty < end ? closed[dirty]!.headerAt(0)?.maxTimestamp : undefined;
    const overdue = cfg.maxCompactionLagMs < flushNeverValue && firstDirtyTs !== undefined && firstDirtyTs >= 0 && now - firstDirtyTs > cfg.maxCompactionLagMs;
    const range = (from: number, to: number, kind: Plan['kind'], firstDirty: number): Plan => {
      const segments = closed.slice(from, to);
      return { kind, segments, sizes: segments.map((s) => s.size), firstDirty, firstDirtyOffset: checkpoint, endOffset: kind === 'full' ? nextBase(to - 1) : checkpoint };
    };
    if (force || (dirty < end && (ratio > cfg.minCleanableDirtyRatio || (overdue && dirtyBytes > 0)))) return range(first, end, 'full', dirty - first);
    if (dirty > first && (this.horizons.get(key) ?? 0) <= now) return range(first, dirty, 'tombstones', dirty - first);
    return null;
  }

  // ---- one pass ------------------------------------------------------------------------------

  private async pass(plog: PartitionLog, key: string, opts: CleanOptions): Promise<CleanResult | null> {
    const now = this.opts.clock();
    const truncations = this.truncations.get(key) ?? 0;
    const plan = this.plan(plog, key, now, opts.force ?? false);
    if (!plan) return null;
    const cfg = plog.logConfig;
    const task: CompactTask = {
      segments: plan.segments.map((s, i) => ({ path: s.logPath, baseOffset: s.baseOffset, size: plan.sizes[i]!, cleanedPath: s.logPath + CLEANED_SUFFIX })),
      firstDirty: plan.firstDirty,
      nowMs: now,
      deleteRetentionMs: cfg.deleteRetentionMs,
      keysMax: this.opts.keysMax ?? cleanerKeysMax,
    };
    const compact = this.opts.pool?.compactSegments?.bind(this.opts.pool);
    let result: CompactResult;
    try {
      result = compact ? await compact(task) : compactSegments(task);
    } catch (err) {
      await Promise.all(plan.segments.map((s) => removeCleaned(plog.dir, s.baseOffset)));
      throw err;
    }
    const cleaned = result.segments.filter((s) => s.cleaned);
    let swapped = 0;
    try {
      for (const c of cleaned) {
        const ok = await this.swap(plog, plan.segments[c.index]!, plan.sizes[c.index]!, c);
        if (!ok) break;
        swapped++;
      }
    } finally {
      // Whatever was not swapped in (aborted, failed) is garbage now.
      await Promise.all(cleaned.slice(swapped).map((c) => removeCleaned(plog.dir, plan.segments[c.index]!.baseOffset)));
    }
    if (swapped < cleaned.length || (this.truncations.get(key) ?? 0) !== truncations) {
      this.opts.log.info({ topic: plog.topic, partition: plog.partition }, 'log changed during cleaning; pass abandoned, it will be retried');
      return null;
    }
    const endOffset = result.end < plan.segments.length ? plan.segments[result.end]!.baseOffset : plan.endOffset;
    if (plan.kind === 'full') {
      this.firstDirty.set(key, endOffset);
      await this.checkpoint.write(this.firstDirty);
    }
    this.horizons.set(key, result.nextDeleteHorizonMs < 0 ? Infinity : result.nextDeleteHorizonMs);
    const out: CleanResult = {
      topic: plog.topic,
      partition: plog.partition,
      kind: plan.kind,
      firstDirtyOffset: plan.firstDirtyOffset,
      cleanedUpToOffset: plan.kind === 'full' ? endOffset : plan.firstDirtyOffset,
      segmentsRead: result.end,
      segmentsRewritten: cleaned.length,
      bytesBefore: result.segments.reduce((n, s) => n + s.sizeBefore, 0),
      bytesAfter: result.segments.reduce((n, s) => n + (s.cleaned ? s.sizeAfter : s.sizeBefore), 0),
      recordsRemoved: result.recordsRemoved,
      tombstonesRemoved: result.tombstonesRemoved,
    };
    this.opts.log.info({ ...out, keys: result.keys }, 'cleaned log');
    return out;
  }

  /** Builds the cleaned segment's indexes, then swaps it in for `old`. False when the log changed meanwhile. */
  private async swap(plog: PartitionLog, old: LogSegment, size: number, c: CleanedSegment): Promise<boolean> {
    const { backend } = this.opts;
    const base = old.baseOffset;
    const cfg = plog.logConfig;
    const segOpts = { indexIntervalBytes: cfg.indexIntervalBytes, indexBytes: cfg.segmentIndexBytes, capacity: 0 };
    const now = this.opts.clock();
    const tmp = LogSegment.open(backend, plog.dir, base, segOpts, false, now, CLEANED_SUFFIX);
    try {
      if (tmp.size !== c.sizeAfter) {
        throw new TributaryError('CORRUPT_BATCH', `cleaned segment ${tmp.logPath} has ${tmp.size} bytes, the cleaner wrote ${c.sizeAfter}`, { path: tmp.logPath });
      }
      tmp.recover(tableAsScan(c));
      tmp.deactivate();
      await tmp.sync(true);
    } finally {
      tmp.close();
    }
    return plog.replaceSegment(old, size, async () => {
      await commitSwap(plog.dir, base);
      try {
        await finishSwap(plog.dir, base);
        const fresh = LogSegment.open(backend, plog.dir, base, segOpts, false, now);
        const offsetEnd = old.nextOffset;
        const tail = (start: number, next: number): ScanResult => scanLogFile(fresh.log, start, { verifyCrc: true, expectedNextOffset: next });
        if (!fresh.loadTail(offsetEnd, tail)) fresh.recover(scanLogFile(fresh.log, 0, { verifyCrc: true, expectedNextOffset: base }));
        return fresh;
      } catch (err) {
        const te = isTributaryError(err) ? err : new TributaryError('STORAGE_IO', `installing cleaned segment ${base} failed`, {}, err);
        throw new TributaryError(te.code, te.message, { ...te.context, committed: true }, err);
      }
    });
  }
}

/** Kafka's segment.largestTimestamp, as retention uses it: max timestamp, else file mtime. */
function largestTimestamp(seg: LogSegment): number {
  return seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.createdMs;
}

function tableAsScan(c: CleanedSegment): ScanResult {
  return {
    count: c.positions.length,
    positions: Float64Array.from(c.positions),
    baseOffsets: Float64Array.from(c.baseOffsets),
    lastOffsets: Float64Array.from(c.lastOffsets),
    maxTimestamps: Float64Array.from(c.maxTimestamps),
    sizes: Float64Array.from(c.sizes),
    validEnd: c.sizeAfter,
    stop: 'end',
  };
}
