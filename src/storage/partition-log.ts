/**
 * One partition's log (Kafka's UnifiedLog): a directory `<dataDir>/<topic>-<partition>/` of
 * segments (log-segment.ts), the last of which is active and takes appends.
 *
 * Offsets: logStartOffset <= highWatermark <= logEndOffset. `append` stamps each batch with
 * the next offset in place and writes it to the page cache synchronously, in call order.
 * The high watermark is what readers see: with a syncing policy (flush.messages=1 or
 * flush.ms=0) it is the end of what fdatasync has covered, so a consumer never reads a
 * record that a crash could still take back; with the other policies it is the log end.
 *
 * Durability (group commit): fdatasync runs on the libuv pool, at most one at a time per
 * partition, and covers every write made before it started; waiters whose writes it covers
 * resolve together, and one more fdatasync starts if anyone is still waiting. A rolled
 * segment is synced with its indexes before the recovery point moves past it.
 *
 * Idempotent producers: a batch with producerId >= 0 is checked against the partition's
 * producer state (producer-state.ts) inside the serialised append, before it gets offsets; a
 * duplicate of a recent batch is not written and resolves with the original offsets. The
 * state is snapshotted at roll, on log start moves and on close, and rebuilt on open and
 * after truncation from the newest usable snapshot plus a replay of the batches after it.
 *
 * Crash behaviour: see log-loader.ts. Runtime truncation zeroes the discarded bytes and
 * fsyncs them (and the directory, for deleted segments) before it resolves, so neither a
 * process crash nor a power cut brings truncated batches back.
 *
 * Concurrency: `append`, `truncateTo`, `deleteRecordsBefore`, `enforceRetention` and
 * `close` are serialised in call order (a batch whose CRC is checked on the worker pool
 * waits its turn, later ones queue behind it). `read`, `offsetForTimestamp` and the getters
 * are synchronous/read-only and safe at any time; reads return zero-copy slices with the
 * mmap backend, which stay valid (if truncated later, they read zeros, never SIGBUS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { TributaryError, isTributaryError } from '../errors.js';
import { decodeBatch } from '../format/inflated-batch.js';
import { DeflatedBatch } from '../format/record-batch.js';
import { producerIdExpirationMsDefault, workerCrcBytesMin } from '../limits.js';
import type { Logger } from '../logger.js';
import { fsyncDir } from './durable-fs.js';
import type { IoBackend } from './io-backend.js';
import { loadSegments } from './log-loader.js';
import type { StoragePool } from './log-loader.js';
import { validateForAppend } from './append-validator.js';
import { LogSegment } from './log-segment.js';
import type { SegmentOptions } from './log-segment.js';
import { findMaxTimestamp } from './max-timestamp.js';
import { ProducerStateManager } from './producer-state.js';
import type { LogConfig } from './topic-config.js';

const INT32_MAX = 2 ** 31 - 1;
/** Largest setTimeout delay; a flush.ms above it means "never on a timer". */
const TIMER_MS_MAX = 2 ** 31 - 1;

export interface AppendOptions {
  /** Partition leader epoch stamped into the batch (default 0). */
  leaderEpoch?: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The LogAppendTime stamped into the batch, or -1 when the topic uses CreateTime. */
  logAppendTime: number;
  logStartOffset: number;
  /** True when the batch repeated one of its idempotent producer's recent batches: nothing was written, the offsets are the original's. */
  duplicate?: boolean;
}

export interface ReadResult {
  /** Each buffer holds one or more whole batches, contiguous in the log, in offset order. */
  batches: Buffer[];
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
}

export interface TimestampLookup {
  offset: number;
  timestamp: number;
}

export interface PartitionLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  backend: IoBackend;
  log: Logger;
  clock: () => number;
  cleanShutdown: boolean;
  recoveryPoint: number;
  logStartOffset: number;
  pool?: StoragePool;
  /** Called whenever the high watermark or end offset changes (grows, or shrinks on truncation). */
  onEndOffsetChange?: (highWatermark: number, logEndOffset: number) => void;
  /** Called (and awaited) inside `truncateTo` before anything is removed, with the offset truncated to. */
  onTruncate?: (offset: number) => Promise<void>;
  /** Persists the log start offset checkpoint; awaited before a moved start offset is reported. */
  onLogStartOffsetChange?: () => Promise<void>;
  /** producer.id.expiration.ms (default limits.producerIdExpirationMsDefault). */
  producerIdExpirationMs?: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function segmentOptions(c: LogConfig): SegmentOptions {
  return { indexIntervalBytes: c.indexIntervalBytes, indexBytes: c.segmentIndexBytes, capacity: c.segmentBytes };
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  private config: LogConfig;
  private readonly segments: LogSegment[];
  private readonly opts: PartitionLogOptions;

  private leo: number;
  private lso: number;
  /** End offset covered by the last completed fdatasync. */
  private durableEnd: number;
  /** Offsets below this are on disk with their indexes (checkpointed for recovery). */
  private recoveryPointOffset: number;

  // Serialisation of mutations.
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;

  // Group commit.
  private writeSeq = 0;
  private syncing: Promise<void> | null = null;
  private waiters: Waiter[] = [];
  private dirty = new Set<LogSegment>();
  private rolled = new Set<LogSegment>();
  private dirDirty = false;
  private lastSyncStartOffset: number;
  private truncations = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Number of sync rounds started (observability and tests). */
  syncRounds = 0;

  private closed = false;
  private failure: TributaryError | null = null;
  /** Idempotent-producer state (producer-state.ts). */
  readonly producers: ProducerStateManager;

  private constructor(opts: PartitionLogOptions, segments: LogSegment[]) {
    this.opts = opts;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = opts.dir;
    this.config = opts.config;
    this.segments = segments;
    this.leo = this.active.nextOffset;
    this.lso = Math.max(opts.logStartOffset, segments[0]!.baseOffset);
    this.durableEnd = this.leo;
    this.recoveryPointOffset = this.leo;
    this.lastSyncStartOffset = this.leo;
    this.producers = new ProducerStateManager({
      dir: opts.dir,
      topic: opts.topic,
      partition: opts.partition,
      log: opts.log,
      expirationMs: opts.producerIdExpirationMs ?? producerIdExpirationMsDefault,
    });
  }

  /** Opens (creating if needed) and recovers the partition directory. */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const created = !fs.existsSync(opts.dir);
    try {
      fs.mkdirSync(opts.dir, { recursive: true });
    } catch (err) {
      throw new TributaryError('STORAGE_IO', `cannot create ${opts.dir}`, { path: opts.dir }, err);
    }
    if (created) await fsyncDir(path.dirname(opts.dir));
    const segOpts = segmentOptions(opts.config);
    const loaded = await loadSegments({
      dir: opts.dir,
      backend: opts.backend,
      segment: segOpts,
      cleanShutdown: opts.cleanShutdown,
      recoveryPoint: opts.recoveryPoint,
      logStartOffset: opts.logStartOffset,
      log: opts.log,
      nowMs: opts.clock(),
      ...(opts.pool ? { pool: opts.pool } : {}),
    });
    let segments = loaded.segments;
    const end = segments[segments.length - 1]!.nextOffset;
    if (opts.logStartOffset > end) {
      // Everything up to the start offset was deleted, and the tail after it was lost too:
      // start over, empty, at the log start offset (Kafka does the same).
      opts.log.warn({ dir: opts.dir, logStartOffset: opts.logStartOffset, logEndOffset: end }, 'log start offset beyond the recovered end; starting an empty log there');
      for (const s of segments) await s.delete();
      segments = [LogSegment.open(opts.backend, opts.dir, opts.logStartOffset, segOpts, true, opts.clock())];
    }
    for (let i = 0; i < segments.length - 1; i++) segments[i]!.deactivate();
    segments[segments.length - 1]!.activate();
    const plog = new PartitionLog(opts, segments);
    if (loaded.recovered || created) {
      // Rebuilt indexes and cut tails become the new truth only once they are on disk.
      await Promise.all([...segments.map((s) => s.sync(true)), fsyncDir(opts.dir)]);
    }
    await plog.producers.load(plog.segments, plog.lso, plog.leo, opts.clock());
    plog.scheduleFlushTimer();
    return plog;
  }

  // ---- getters -----------------------------------------------------------------------------

  get logStartOffset(): number {
    return this.lso;
  }
  get logEndOffset(): number {
    return this.leo;
  }
  /** What readers may see: the durable end with a syncing policy, else the log end. */
  get highWatermark(): number {
    return this.syncsEveryAppend ? Math.min(this.durableEnd, this.leo) : this.leo;
  }
  get recoveryPoint(): number {
    return this.recoveryPointOffset;
  }
  /** Total bytes of all segments. */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }
  get logConfig(): LogConfig {
    return this.config;
  }
  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }
  private get syncsEveryAppend(): boolean {
    return this.config.flushMessages === 1 || this.config.flushMs === 0;
  }

  updateConfig(config: LogConfig): void {
    const before = this.highWatermark;
    this.config = config;
    const opts = segmentOptions(config);
    for (const s of this.segments) s.setOptions(opts);
    this.scheduleFlushTimer();
    if (this.highWatermark !== before) this.notify();
  }

  // ---- append ------------------------------------------------------------------------------

  /**
   * Validates `bytes` (one RecordBatch v2 from a producer), stamps its base offset, leader
   * epoch and (for LogAppendTime topics) timestamp in place, and appends it. Resolves once
   * the batch is as durable as the topic's flush policy promises. A batch the topic asks more
   * of (keys on a compacted topic, a timestamp window, another codec) passes through
   * append-validator.ts first, in call order like every append.
   */
  append(bytes: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    let batch: DeflatedBatch;
    try {
      this.checkWritable();
      batch = new DeflatedBatch(bytes);
      batch.validate({ producer: true, maxBytes: this.config.maxMessageBytes });
    } catch (err) {
      return Promise.reject(err);
    }
    const pool = this.opts.pool;
    // What the topic's config asks beyond the header (keys, timestamps, recompression; CRC included).
    const checked = validateForAppend(batch, this.config, this.topic, this.partition, this.opts.clock, pool);
    if (checked) {
      checked.catch(() => undefined); // observed below, in order
      return this.enqueue(async () => this.applyAppend(await checked, opts)).then((w) => this.durable(w));
    }
    const crc = pool && bytes.length >= workerCrcBytesMin ? pool.verifyBatchCrcs(bytes) : null;
    if (crc === null && this.queued === 0) {
      // Nothing queued ahead: apply now, in this tick.
      try {
        batch.verifyCrc();
        return this.durable(this.applyAppend(batch, opts));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    crc?.catch(() => undefined); // observed below, in order
    return this.enqueue(async () => {
      if (crc) {
        // The bytes went to a worker and came back: `bytes` is detached, use what returned.
        const r = await crc;
        if (r.bad || r.validEnd !== r.bytes.length) {
          throw new TributaryError('CORRUPT_BATCH', `record batch CRC mismatch (checked on the worker pool)`, {
            stored: r.bad?.stored,
            computed: r.bad?.computed,
          });
        }
        batch = new DeflatedBatch(r.bytes);
      } else {
        batch.verifyCrc();
      }
      return this.applyAppend(batch, opts);
    }).then((w) => this.durable(w));
  }

  private enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    this.queued++;
    const run = this.chain.then(fn).finally(() => {
      this.queued--;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private checkWritable(): void {
    if (this.failure) throw new TributaryError('STORAGE_IO', `partition ${this.topic}-${this.partition} is offline after an I/O error: ${this.failure.message}`, { topic: this.topic, partition: this.partition }, this.failure);
    if (this.closed) throw new TributaryError('CLOSED', `partition ${this.topic}-${this.partition} is closed`, { topic: this.topic, partition: this.partition });
  }

  private applyAppend(batch: DeflatedBatch, opts: AppendOptions): { seq: number; result: AppendResult } {
    this.checkWritable();
    const producerId = batch.producerId;
    if (producerId >= 0) {
      const dup = this.producers.checkAppend(batch);
      if (dup) {
        const logAppendTime = this.config.timestampType === 'LogAppendTime' ? dup.timestamp : -1;
        return { seq: this.writeSeq, result: { baseOffset: dup.firstOffset, lastOffset: dup.lastOffset, logAppendTime, logStartOffset: this.lso, duplicate: true } };
      }
    }
    const now = this.opts.clock();
    this.maybeRoll(batch, now);
    const baseOffset = this.leo;
    batch.setBaseOffset(baseOffset);
    batch.setPartitionLeaderEpoch(opts.leaderEpoch ?? 0);
    let logAppendTime = -1;
    if (this.config.timestampType === 'LogAppendTime') {
      batch.setLogAppendTime(now);
      logAppendTime = now;
    }
    const seg = this.active;
    try {
      seg.append(batch);
    } catch (err) {
      if (isTributaryError(err, 'STORAGE_IO') && err.context.rollbackFailed) this.fail(err);
      throw err;
    }
    this.leo = batch.nextOffset;
    if (producerId >= 0) this.producers.update(batch, baseOffset, batch.lastOffset, batch.maxTimestamp);
    this.dirty.add(seg);
    const seq = ++this.writeSeq;
    if (!this.syncsEveryAppend) this.notify();
    return { seq, result: { baseOffset, lastOffset: batch.lastOffset, logAppendTime, logStartOffset: this.lso } };
  }

  /** Resolves when the write `w` is as durable as the policy promises. */
  private async durable(w: { seq: number; result: AppendResult }): Promise<AppendResult> {
    if (w.result.duplicate) {
      // The original may still wait for its fdatasync: the retry is acknowledged no sooner.
      if (this.highWatermark <= w.result.lastOffset) await this.waitDurable(w.seq);
      return w.result;
    }
    if (this.syncsEveryAppend || this.leo - this.lastSyncStartOffset >= this.config.flushMessages) {
      await this.waitDurable(w.seq);
    }
    return w.result;
  }

  private maybeRoll(batch: DeflatedBatch, now: number): void {
    const seg = this.active;
    if (seg.size === 0) return;
    const rollBase = seg.createdMs;
    const full = seg.size + batch.sizeInBytes > this.config.segmentBytes;
    const old = now - rollBase > this.config.segmentMs;
    const offsetsOverflow = this.leo + batch.lastOffsetDelta - seg.baseOffset > INT32_MAX;
    if (full || old || seg.indexFull || offsetsOverflow) this.roll();
  }

  /** Starts a new active segment at the log end; the old one is synced with its indexes in the background. */
  private roll(): void {
    const old = this.active;
    old.deactivate();
    const seg = LogSegment.open(this.opts.backend, this.dir, this.leo, segmentOptions(this.config), true, this.opts.clock());
    seg.activate();
    this.segments.push(seg);
    this.rolled.add(old);
    this.dirDirty = true;
    this.opts.log.debug({ topic: this.topic, partition: this.partition, baseOffset: this.leo }, 'rolled segment');
    // Bounds the replay after a restart to the segments since the last roll (written in the background).
    void this.producers.takeSnapshot(this.leo);
    // Move the recovery point past the old segment even when no policy asks for a flush.
    this.waitDurable(this.writeSeq).catch(() => undefined);
  }

  // ---- group commit ----------------------------------------------------------------------

  /** Resolves once an fdatasync that started after write `seq` has completed. */
  private waitDurable(seq: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      if (!this.syncing) this.startSync();
    });
  }

  private startSync(): void {
    const seq = this.writeSeq;
    const endOffset = this.leo;
    const truncations = this.truncations;
    const rolled = [...this.rolled];
    const segs = new Set([...this.dirty, ...rolled]);
    const dir = this.dirDirty;
    this.dirty.clear();
    this.rolled.clear();
    this.dirDirty = false;
    this.lastSyncStartOffset = endOffset;
    this.syncRounds++;
    const work = Promise.all([...[...segs].map((s) => s.sync(rolled.includes(s))), ...(dir ? [fsyncDir(this.dir)] : [])]);
    this.syncing = work.then(
      () => {
        if (truncations === this.truncations) {
          const before = this.highWatermark;
          this.durableEnd = Math.max(this.durableEnd, endOffset);
          // The active segment's indexes are not synced: recovery always rebuilds the segment holding the recovery point.
          this.recoveryPointOffset = Math.max(this.recoveryPointOffset, endOffset);
          if (this.highWatermark !== before) this.notify();
        }
        const done = this.waiters.filter((w) => w.seq <= seq);
        this.waiters = this.waiters.filter((w) => w.seq > seq);
        for (const w of done) w.resolve();
        this.syncing = null;
        if (this.waiters.length > 0) this.startSync();
      },
      (err: unknown) => {
        this.syncing = null;
        // After a failed fdatasync the page cache may have dropped the data: nothing more is acknowledged.
        this.fail(isTributaryError(err) ? err : new TributaryError('STORAGE_IO', 'fdatasync failed', {}, err));
      },
    );
  }

  private fail(err: TributaryError): void {
    if (!this.failure) {
      this.failure = err;
      this.opts.log.error({ err, topic: this.topic, partition: this.partition }, 'partition log is offline after an I/O error');
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
  }

  /** Makes everything written so far durable. */
  flush(): Promise<void> {
    if (this.writeSeq === 0 && this.dirty.size === 0 && this.rolled.size === 0 && !this.dirDirty) return Promise.resolve();
    return this.waitDurable(this.writeSeq);
  }

  private scheduleFlushTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    const ms = this.config.flushMs;
    if (ms <= 0 || ms > TIMER_MS_MAX || this.closed) return;
    this.flushTimer = setInterval(() => {
      if (this.dirty.size > 0 && !this.syncing && !this.failure) this.waitDurable(this.writeSeq).catch(() => undefined);
    }, ms);
    this.flushTimer.unref();
  }

  private notify(): void {
    this.opts.onEndOffsetChange?.(this.highWatermark, this.leo);
  }

  // ---- reads -------------------------------------------------------------------------------

  /** Index of the segment that would hold `offset`: the last with baseOffset <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private checkReadable(): void {
    if (this.closed) throw new TributaryError('CLOSED', `partition ${this.topic}-${this.partition} is closed`, { topic: this.topic, partition: this.partition });
  }

  /**
   * Batches from the one holding `offset`, up to `maxBytes` in total but always at least one
   * whole batch, never past the high watermark. OFFSET_OUT_OF_RANGE outside [start, end].
   *
   * The result is one contiguous run of the log: a reader continues from the offset after
   * the last batch returned, so a read may only move into the next segment after it has
   * returned everything of this one up to its end. (Stopping inside a segment because the
   * budget ran out and then taking the next segment's first batch made consumers skip the
   * rest of the segment: issue 9.)
   */
  read(offset: number, maxBytes: number): ReadResult {
    this.checkReadable();
    if (!Number.isSafeInteger(offset) || offset < this.lso || offset > this.leo) {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${this.lso}, ${this.leo}] of ${this.topic}-${this.partition}`, {
        offset,
        logStartOffset: this.lso,
        logEndOffset: this.leo,
      });
    }
    const hw = this.highWatermark;
    const batches: Buffer[] = [];
    let remaining = Math.max(0, maxBytes);
    for (let i = this.segmentIndexFor(offset); i < this.segments.length && offset < hw && (remaining > 0 || batches.length === 0); i++) {
      const seg = this.segments[i]!;
      if (seg.baseOffset >= hw) break;
      const first = batches.length === 0;
      // Before anything was returned, a segment without a batch at or after `offset` (its
      // tail compacted away, or empty) is passed over: the next one holds the next offsets.
      const start = first ? seg.findBatch(offset) : seg.headerAt(0);
      if (!start) continue;
      if (!first && start.size > remaining) break;
      const end = hw < seg.nextOffset ? seg.positionOf(hw) : seg.size;
      if (start.position >= end) break;
      const buf = seg.read(start.position, remaining, end);
      batches.push(buf);
      remaining -= buf.length;
      // Stopped short of the segment's readable end: the budget is spent, whatever remains.
      if (start.position + buf.length < end) break;
    }
    return { batches, logStartOffset: this.lso, logEndOffset: this.leo, highWatermark: hw };
  }

  /**
   * Kafka's ListOffsets by timestamp: the first offset at or after the log start whose record
   * timestamp is >= `timestamp` (below the high watermark), with that record's timestamp;
   * null when there is none. A batch whose max timestamp qualifies may still hold no such
   * record at or after the log start; the search then goes on to the next batch, in the same
   * segment or a later one.
   */
  offsetForTimestamp(timestamp: number): TimestampLookup | null {
    this.checkReadable();
    const hw = this.highWatermark;
    for (let i = this.segmentIndexFor(this.lso); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      if (seg.baseOffset >= hw) break;
      for (const h of seg.batchesFromTimestamp(timestamp, this.lso)) {
        if (h.baseOffset >= hw) return null;
        if (h.lastOffset < this.lso || h.maxTimestamp < timestamp) continue;
        const found = this.recordAtTimestamp(new DeflatedBatch(seg.log.read(h.position, h.size)), timestamp, hw);
        if (found) return found;
      }
    }
    return null;
  }

  /**
   * The first record of `batch` in [log start, `hw`) with a timestamp >= `timestamp`, or null.
   * decodeBatch checks the CRC and inflates compressed batches (in-thread: ListOffsets by
   * time is rare and touches few batches).
   */
  private recordAtTimestamp(batch: DeflatedBatch, timestamp: number, hw: number): TimestampLookup | null {
    for (const r of decodeBatch(batch).records) {
      if (r.offset >= this.lso && r.offset < hw && r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
    }
    return null;
  }

  /**
   * Kafka's ListOffsets MAX_TIMESTAMP (-3, KIP-734): the record with the largest timestamp at
   * or after the log start offset, the first of them on ties; null when none has one. Not
   * bounded by the high watermark (see max-timestamp.ts).
   */
  maxTimestampLookup(): TimestampLookup | null {
    this.checkReadable();
    return findMaxTimestamp(this.segments.slice(this.segmentIndexFor(this.lso)), this.lso);
  }

  // ---- truncation and deletion -----------------------------------------------------------

  /**
   * Removes every batch whose last offset is >= `offset` (a batch holding `offset` goes
   * whole), durably, and resolves with the new log end offset: `offset`, or the base offset
   * of the batch that held it. Truncating below the log
   * start offset empties the log and restarts it at `offset`.
   */
  truncateTo(offset: number): Promise<number> {
    if (!Number.isSafeInteger(offset) || offset < 0) return Promise.reject(new TributaryError('INVALID_ARGUMENT', `cannot truncate to offset ${offset}`, { offset }));
    return this.enqueue(async () => {
      this.checkWritable();
      if (offset >= this.leo) return this.leo;
      if (this.syncing) await this.syncing;
      this.truncations++;
      // The cleaner's first dirty offset comes down first: records appended after the
      // truncation must not count as already cleaned.
      await this.opts.onTruncate?.(offset);
      const doomed: LogSegment[] = [];
      while (this.segments.length > 1 && this.active.baseOffset >= offset) doomed.push(this.segments.pop()!);
      const restart = offset <= this.active.baseOffset && offset < this.lso;
      if (restart) doomed.push(this.segments.pop()!);
      // Later segments go first, durably, and only then is the tail of the remaining one
      // zeroed: a crash in between leaves that segment whole, never a zeroed tail followed by
      // segments the truncation removed (recovery treats zeros to the end of a middle
      // segment as what a truncation left, log-loader.ts).
      for (const d of doomed) {
        this.dirty.delete(d);
        this.rolled.delete(d);
        await d.delete();
      }
      if (doomed.length > 0) await fsyncDir(this.dir);
      let seg: LogSegment;
      if (restart) {
        // Below the start of the log: empty it and restart at `offset` (after the unlinks,
        // which may have removed files of this very name).
        seg = LogSegment.open(this.opts.backend, this.dir, offset, segmentOptions(this.config), true, this.opts.clock());
        this.segments.push(seg);
        this.lso = offset;
      } else {
        seg = this.active;
        const end = seg.truncateTo(offset);
        if (end > seg.nextOffset) {
          // The log ends in a gap compaction left: an empty segment based there keeps that
          // end across a restart (a reopen takes the end from the last segment's batches).
          seg.deactivate();
          this.rolled.add(seg);
          seg = LogSegment.open(this.opts.backend, this.dir, end, segmentOptions(this.config), true, this.opts.clock());
          this.segments.push(seg);
        }
      }
      seg.activate();
      this.leo = seg.nextOffset;
      this.durableEnd = Math.min(this.durableEnd, this.leo);
      this.recoveryPointOffset = Math.min(this.recoveryPointOffset, this.leo);
      this.lastSyncStartOffset = Math.min(this.lastSyncStartOffset, this.leo);
      if (this.lso > this.leo) this.lso = this.leo;
      this.dirty.add(seg);
      this.dirDirty = true;
      // The zeros and the unlinks must be on disk before anything may be appended after them.
      await this.waitDurable(this.writeSeq);
      // Forget the truncated batches' producer state (snapshots past the new end go too).
      await this.producers.load(this.segments, this.lso, this.leo, this.opts.clock());
      this.notify();
      return this.leo;
    });
  }

  /**
   * Moves the log start offset to `offset` (Kafka DeleteRecords; -1 means the high
   * watermark), persists it, and deletes the segments wholly below it. Resolves with the new
   * log start offset. OFFSET_OUT_OF_RANGE above the high watermark.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.enqueue(async () => {
      this.checkWritable();
      const target = offset === -1 ? this.highWatermark : offset;
      if (!Number.isSafeInteger(target) || target < 0 || target > this.highWatermark) {
        throw new TributaryError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: high watermark is ${this.highWatermark}`, { offset, highWatermark: this.highWatermark });
      }
      if (target > this.lso) {
        this.lso = target;
        await this.opts.onLogStartOffsetChange?.();
        await this.producers.onLogStartOffsetChange(this.lso, this.leo);
      }
      await this.deleteOldSegments(() => null);
      return this.lso;
    });
  }

  /**
   * Deletes closed segments, oldest first, while the log start offset has passed them or
   * retention.ms / retention.bytes say so (Kafka's rules). Never the active segment.
   * Resolves with the number of segments deleted.
   */
  enforceRetention(now = this.opts.clock()): Promise<number> {
    return this.enqueue(async () => {
      if (this.closed || this.failure) return 0;
      // A compact-only policy keeps records until the cleaner supersedes them: no time or size retention.
      const { retentionMs, retentionBytes } = this.config.deleteRetention ? this.config : { retentionMs: -1, retentionBytes: -1 };
      this.producers.removeExpired(now);
      let excess = retentionBytes >= 0 ? this.size - retentionBytes : -1;
      return this.deleteOldSegments((seg) => {
        if (retentionMs >= 0 && now - this.largestTimestamp(seg) > retentionMs) return 'time';
        if (retentionBytes >= 0 && excess - seg.size >= 0) {
          excess -= seg.size;
          return 'bytes';
        }
        return null;
      });
    });
  }

  /** Kafka's segment.largestTimestamp: the max timestamp, or the file's mtime when there is none. */
  private largestTimestamp(seg: LogSegment): number {
    if (seg.maxTimestamp >= 0) return seg.maxTimestamp;
    try {
      return fs.statSync(seg.logPath).mtimeMs;
    } catch {
      return this.opts.clock();
    }
  }

  private async deleteOldSegments(reason: (seg: LogSegment) => string | null): Promise<number> {
    const doomed: LogSegment[] = [];
    while (this.segments.length > 1) {
      const seg = this.segments[0]!;
      const next = this.segments[1]!;
      const why = next.baseOffset <= this.lso ? 'start' : reason(seg);
      if (why === null) break;
      this.opts.log.info({ topic: this.topic, partition: this.partition, segment: seg.baseOffset, reason: why }, 'deleting segment');
      doomed.push(this.segments.shift()!);
    }
    if (doomed.length === 0) return 0;
    const newStart = Math.max(this.lso, this.segments[0]!.baseOffset);
    if (newStart !== this.lso) {
      this.lso = newStart;
      await this.opts.onLogStartOffsetChange?.();
      await this.producers.onLogStartOffsetChange(this.lso, this.leo);
    }
    for (const seg of doomed) {
      this.dirty.delete(seg);
      this.rolled.delete(seg);
      await seg.delete();
    }
    return doomed.length;
  }

  // ---- log cleaner (log-cleaner.ts) ---------------------------------------------------------

  /** The closed segments, oldest first (a snapshot for the log cleaner; never the active one). */
  closedSegments(): LogSegment[] {
    return this.segments.slice(0, -1);
  }

  /**
   * Swaps in a cleaned copy of closed segment `old`, in the mutation chain: when `old` is
   * still a closed segment of this log with `size` bytes, runs `install` (which renames the
   * cleaned files over it and opens them) and puts its result in `old`'s place. Resolves
   * false, without calling `install`, when the log changed under the cleaner (truncation,
   * retention, close). Readers keep whatever they already hold of `old`.
   */
  replaceSegment(old: LogSegment, size: number, install: () => Promise<LogSegment>): Promise<boolean> {
    return this.enqueue(async () => {
      if (this.closed || this.failure) return false;
      if (this.syncing) await this.syncing;
      const i = this.segments.indexOf(old);
      if (i < 0 || i === this.segments.length - 1 || old.size !== size) return false;
      let fresh: LogSegment;
      try {
        fresh = await install();
      } catch (err) {
        // Past the swap's commit point the files are the new segment: this log's view of them is stale.
        if (isTributaryError(err) && err.context.committed) this.fail(err);
        throw err;
      }
      this.segments[i] = fresh;
      this.dirty.delete(old);
      this.rolled.delete(old);
      old.deleted = true;
      old.close();
      return true;
    });
  }

  // ---- close -------------------------------------------------------------------------------

  /** Waits for queued work, flushes everything (indexes trimmed and synced) and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    if (this.syncing) await this.syncing;
    if (!this.failure) {
      this.active.deactivate();
      this.rolled.add(this.active);
      await this.waitDurable(this.writeSeq).catch(() => undefined);
      if (!this.failure) this.recoveryPointOffset = this.leo;
      // After the log is durable, so the snapshot never covers data a crash could take back.
      if (!this.failure) await this.producers.takeSnapshot(this.leo);
    }
    await this.producers.drain();
    for (const s of this.segments) s.close();
    // A log that failed must not count as cleanly shut down.
    if (this.failure) throw this.failure;
  }

  /** Closes without flushing (the topic is being deleted). */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.syncing) await this.syncing.catch(() => undefined);
    await this.producers.drain();
    for (const s of this.segments) {
      s.deleted = true;
      s.close();
    }
  }
}
