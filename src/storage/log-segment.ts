/**
 * One segment of a partition log (Kafka's LogSegment): `<base>.log` with its `<base>.index`
 * and `<base>.timeindex`, base = the first offset the segment may hold, 20 digits.
 *
 * On-disk format: the .log is RecordBatch v2 batches back to back, exactly as produced,
 * with base offset and leader epoch stamped (format/record-batch.ts); nothing else, no
 * header or footer. The indexes are described in offset-index.ts and time-index.ts; they are
 * preallocated to segment.index.bytes while the segment is active and trimmed on roll/close.
 *
 * Crash behaviour: a segment trusts nothing it did not check. `recover` re-reads the log
 * with CRCs (scanLog), cuts it at the first torn or corrupt batch and rebuilds both indexes;
 * `loadTail` (for segments before the recovery point after a clean stop) checks the indexes
 * entry by entry and CRC-checks the batches after the last index entry, and reports whether
 * the segment must be recovered instead. Runtime truncation zeroes the discarded bytes
 * (never shrinks the mapped file); zeros never parse as a batch, so a later scan stops there.
 *
 * Concurrency: owned by one PartitionLog, which serialises appends and truncation; `read`,
 * `findBatch` and `batchesFromTimestamp` are synchronous and may run between them.
 */
import path from 'node:path';
import fs from 'node:fs';
import { TributaryError } from '../errors.js';
import { LAST_OFFSET_DELTA_OFFSET, MAX_TIMESTAMP_OFFSET, RECORD_BATCH_OVERHEAD, batchSizeAt } from '../format/record-batch.js';
import type { DeflatedBatch } from '../format/record-batch.js';
import type { ScanResult } from '../format/log-scan.js';
import { readChunkBytes } from '../limits.js';
import { IndexCorruption } from './abstract-index.js';
import type { IoBackend, LogFile } from './io-backend.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

/** `00000000000000000042` for 42: Kafka's 20-digit file names, which sort like their offsets. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** One batch as seen by a header walk. */
export interface BatchHeader {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export interface SegmentOptions {
  /** index.interval.bytes */
  indexIntervalBytes: number;
  /** segment.index.bytes: index preallocation while active. */
  indexBytes: number;
  /** Mapping capacity for the .log while active (segment.bytes). */
  capacity: number;
}

export class LogSegment {
  /** Logical size of the .log: bytes of valid batches. */
  get size(): number {
    return this.log.size;
  }
  /** The offset after the segment's last batch (baseOffset when empty). */
  nextOffset: number;
  /** Largest batch max-timestamp in the segment, -1 when empty. */
  maxTimestamp = -1;
  /** Last offset of the first batch that reached `maxTimestamp`. */
  offsetOfMaxTimestamp: number;
  /**
   * Wall-clock time the segment was created (file birth time when reopened): what segment.ms
   * counts from. Deliberately not the first batch's timestamp (Kafka's choice), so producer
   * clocks far in the past cannot force a roll per append.
   */
  readonly createdMs: number;
  /** Set when the files are being deleted; a late fdatasync on them is then moot. */
  deleted = false;
  private bytesSinceLastIndexEntry = 0;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    readonly log: LogFile,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    private opts: SegmentOptions,
    nowMs: number,
    createdNow: boolean,
    /** Appended to all three file names: '' for a live segment, '.cleaned' while the log cleaner builds one. */
    readonly fileSuffix = '',
  ) {
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
    this.createdMs = nowMs;
    if (!createdNow) {
      try {
        const born = fs.statSync(this.logPath).birthtimeMs;
        if (born > 0 && born <= nowMs) this.createdMs = born;
      } catch {
        // Keep the open time.
      }
    }
  }

  get logPath(): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, LOG_SUFFIX) + this.fileSuffix);
  }

  /**
   * Opens (or creates) the segment's files. Index files that are missing are created empty;
   * the caller then runs `loadTail` or `recover`.
   */
  static open(backend: IoBackend, dir: string, baseOffset: number, opts: SegmentOptions, create: boolean, nowMs: number, fileSuffix = ''): LogSegment {
    const logPath = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX) + fileSuffix);
    const log = backend.openLog(logPath, { create, capacity: 0 });
    const open = (suffix: string) => {
      const p = path.join(dir, segmentFileName(baseOffset, suffix) + fileSuffix);
      return backend.openIndex(p, { create: true });
    };
    const offsetFile = open(INDEX_SUFFIX);
    const timeFile = open(TIME_INDEX_SUFFIX);
    return new LogSegment(dir, baseOffset, log, new OffsetIndex(offsetFile, baseOffset), new TimeIndex(timeFile, baseOffset), opts, nowMs, create, fileSuffix);
  }

  setOptions(opts: SegmentOptions): void {
    this.opts = opts;
  }

  /** Prepares the segment to take appends: preallocated indexes, mapped capacity. */
  activate(): void {
    this.offsetIndex.preallocate(this.opts.indexBytes);
    this.timeIndex.preallocate(this.opts.indexBytes);
    this.log.reserve(Math.max(this.opts.capacity, this.size));
  }

  /**
   * The segment stops taking appends (roll or close): record the final max timestamp in the
   * time index, so it survives a clean restart, and trim both indexes to their entries.
   */
  deactivate(): void {
    if (this.maxTimestamp >= 0 && !this.timeIndex.isFull) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.offsetIndex.trim();
    this.timeIndex.trim();
  }

  /** True when one more index entry could not be stored. */
  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  // ---- append ----------------------------------------------------------------------------

  /**
   * Appends one stamped, validated batch at the end. Log bytes first, index entries after,
   * so an index never points at bytes that were not written. Throws STORAGE_IO (nothing
   * written) on failure.
   */
  append(batch: DeflatedBatch): void {
    const position = this.size;
    const baseOffset = batch.baseOffset;
    const lastOffset = batch.lastOffset;
    const maxTs = batch.maxTimestamp;
    this.log.append(batch.bytes);
    this.noteBatch(position, batch.sizeInBytes, baseOffset, lastOffset, maxTs);
  }

  /** Index bookkeeping for a batch now in the log (appended or found by a recovery scan). */
  private noteBatch(position: number, size: number, baseOffset: number, lastOffset: number, maxTs: number): void {
    if (maxTs > this.maxTimestamp) {
      this.maxTimestamp = maxTs;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.opts.indexIntervalBytes && !this.indexFull) {
      this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.nextOffset = lastOffset + 1;
  }

  // ---- open and recovery --------------------------------------------------------------------

  /**
   * Recovery: rebuilds the indexes from `scan` (a CRC-checked scan of the whole .log from
   * position 0) and cuts the file at `scan.validEnd`. Returns the bytes cut.
   */
  recover(scan: ScanResult): number {
    this.offsetIndex.preallocate(this.opts.indexBytes);
    this.timeIndex.preallocate(this.opts.indexBytes);
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.nextOffset = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    for (let i = 0; i < scan.count; i++) {
      this.noteBatch(scan.positions[i]!, scan.sizes[i]!, scan.baseOffsets[i]!, scan.lastOffsets[i]!, scan.maxTimestamps[i]!);
    }
    const cut = this.log.size - scan.validEnd;
    if (cut !== 0) this.log.truncateFile(scan.validEnd);
    return cut;
  }

  /**
   * Clean open: checks both indexes entry by entry against the file, then CRC-scans from
   * the last offset-index entry to the end (a bounded amount: about index.interval.bytes).
   * Returns false (and leaves the segment to `recover`) when anything does not add up.
   * Zeros after the last batch are what a runtime truncation leaves: they are cut here.
   */
  loadTail(offsetEnd: number, scanTail: (start: number, expectedNextOffset: number) => ScanResult): boolean {
    try {
      this.offsetIndex.load({ logBytes: this.log.size, offsetEnd });
      this.timeIndex.load({ logBytes: this.log.size, offsetEnd });
    } catch (err) {
      if (err instanceof IndexCorruption) return false;
      throw err;
    }
    const last = this.offsetIndex.lastEntry();
    const scan = scanTail(last.position, last.offset);
    if (scan.count > 0 && last.position !== 0 && scan.baseOffsets[0] !== last.offset) return false;
    if (scan.stop !== 'end' && !this.zerosFrom(scan.validEnd)) return false;
    const lastTime = this.timeIndex.lastEntry();
    this.maxTimestamp = lastTime.timestamp;
    this.offsetOfMaxTimestamp = lastTime.offset;
    this.nextOffset = last.offset;
    this.bytesSinceLastIndexEntry = 0;
    for (let i = 0; i < scan.count; i++) {
      const ts = scan.maxTimestamps[i]!;
      if (ts > this.maxTimestamp) {
        this.maxTimestamp = ts;
        this.offsetOfMaxTimestamp = scan.lastOffsets[i]!;
      }
      this.nextOffset = scan.lastOffsets[i]! + 1;
    }
    if (this.nextOffset > offsetEnd) return false;
    if (scan.validEnd < this.log.size) this.log.truncateFile(scan.validEnd);
    this.bytesSinceLastIndexEntry = this.size - last.position;
    return true;
  }

  /** True when every byte from `pos` to the end of the file is zero (what a runtime truncation leaves). */
  zerosFrom(pos: number): boolean {
    for (let p = pos; p < this.log.size; p += readChunkBytes) {
      const chunk = this.log.read(p, readChunkBytes);
      for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return false;
    }
    return true;
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** The batch header at `position`, or null past the end. */
  headerAt(position: number): BatchHeader | null {
    for (const h of this.walk(position)) return h;
    return null;
  }

  /**
   * Walks the stored batches from `position` (which must be a batch boundary) to `end`,
   * reading only headers. Stored batches were validated when written or recovered; a header
   * that no longer parses means the file changed under us and is reported as CORRUPT_BATCH.
   */
  *walk(position: number, end = this.size): Generator<BatchHeader> {
    let win: Buffer = Buffer.alloc(0);
    let winPos = position;
    let pos = position;
    while (pos < end) {
      if (pos + RECORD_BATCH_OVERHEAD > winPos + win.length) {
        win = this.log.read(pos, this.log.zeroCopy ? end - pos : Math.min(readChunkBytes, end - pos));
        winPos = pos;
      }
      const at = pos - winPos;
      const size = batchSizeAt(win, at, win.length);
      if (size < 0 || pos + size > end || at + RECORD_BATCH_OVERHEAD > win.length) {
        throw new TributaryError('CORRUPT_BATCH', `unreadable batch header at position ${pos} of ${this.logPath}`, { position: pos, path: this.logPath });
      }
      const baseOffset = Number(win.readBigInt64BE(at));
      yield {
        position: pos,
        size,
        baseOffset,
        lastOffset: baseOffset + win.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET),
        maxTimestamp: Number(win.readBigInt64BE(at + MAX_TIMESTAMP_OFFSET)),
      };
      pos += size;
    }
  }

  /** The first batch whose last offset is >= `offset`, or null if there is none here. */
  findBatch(offset: number): BatchHeader | null {
    if (offset >= this.nextOffset) return null;
    const start = this.offsetIndex.lookup(offset).position;
    for (const h of this.walk(start)) if (h.lastOffset >= offset) return h;
    return null;
  }

  /** Where the batch holding `offset` starts, or `size` if it is not in this segment. */
  positionOf(offset: number): number {
    return this.findBatch(offset)?.position ?? this.size;
  }

  /**
   * Whole batches from `position` (a batch boundary, below `end`) up to `end`, stopping
   * before the batch that would take the total past `maxBytes`; the first batch is returned
   * whatever its size. The caller tells whether it reached `end` from the length.
   */
  read(position: number, maxBytes: number, end = this.size): Buffer {
    let total = 0;
    for (const h of this.walk(position, end)) {
      if (total > 0 && total + h.size > maxBytes) break;
      total += h.size;
      if (total >= maxBytes) break;
    }
    return this.log.read(position, total);
  }

  /**
   * The batches that may hold a record with a timestamp >= `timestamp` at an offset >=
   * `fromOffset`, in order (Kafka's findOffsetByTimestamp): the walk starts at the later of
   * the time index's entry for `timestamp` (every batch before it has a smaller max
   * timestamp) and the offset index's entry for `fromOffset`. The caller checks each batch.
   */
  *batchesFromTimestamp(timestamp: number, fromOffset: number): Generator<BatchHeader> {
    if (this.maxTimestamp < timestamp || fromOffset >= this.nextOffset) return;
    const entry = this.timeIndex.lookup(timestamp);
    const start = Math.max(this.offsetIndex.lookup(entry.offset).position, this.offsetIndex.lookup(fromOffset).position);
    yield* this.walk(start);
  }

  // ---- truncation, flush, close ------------------------------------------------------------

  /**
   * Removes every batch whose last offset is >= `offset` (so a batch holding `offset` goes
   * whole) by zeroing its bytes; `nextOffset` becomes the offset after the last batch left
   * (the base offset when none is), which is what a reopen computes too. Returns where the
   * log ends after the truncation: the base of the batch that held `offset`, or `offset`
   * itself when no batch held it (compaction leaves gaps; Kafka's log end after truncation
   * is the target offset). The caller keeps that end across restarts when it lies past
   * `nextOffset` (partition-log.ts starts a segment there).
   */
  truncateTo(offset: number): number {
    const h = this.findBatch(offset);
    if (!h) return Math.max(this.nextOffset, offset);
    this.log.zeroFrom(h.position);
    this.offsetIndex.truncateTo(h.baseOffset);
    this.timeIndex.truncateTo(h.baseOffset);
    // What is left: the time index, then the batches after the last offset-index entry.
    const lastTime = this.timeIndex.lastEntry();
    this.maxTimestamp = lastTime.timestamp;
    this.offsetOfMaxTimestamp = lastTime.offset;
    const last = this.offsetIndex.lastEntry();
    this.nextOffset = this.baseOffset;
    for (const b of this.walk(last.position)) {
      if (b.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = b.maxTimestamp;
        this.offsetOfMaxTimestamp = b.lastOffset;
      }
      this.nextOffset = b.lastOffset + 1;
    }
    this.bytesSinceLastIndexEntry = this.size - last.position;
    return Math.min(h.baseOffset, offset);
  }

  /** fdatasync of the log, and of the indexes when `withIndexes` (before the recovery point passes it). */
  async sync(withIndexes: boolean): Promise<void> {
    try {
      await Promise.all([this.log.datasync(), ...(withIndexes ? [this.offsetIndex.sync(), this.timeIndex.sync()] : [])]);
    } catch (err) {
      if (this.deleted) return; // its files are gone; nothing of it needs to be durable
      throw err;
    }
  }

  close(): void {
    this.log.close();
    this.offsetIndex.close();
    this.timeIndex.close();
  }

  /** Closes and unlinks the three files. Slices handed out stay readable (an unlinked file lives on while mapped). */
  async delete(): Promise<void> {
    this.deleted = true;
    this.close();
    await Promise.all(
      [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].map((s) => fs.promises.rm(path.join(this.dir, segmentFileName(this.baseOffset, s) + this.fileSuffix), { force: true })),
    );
  }
}
