/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager, for
 * non-transactional producers): for each producer id, its epoch and its last
 * `producerBatchesRetained` batches (first/last sequence, first/last offset, max timestamp).
 * `checkAppend` runs inside the partition's serialised append, before offsets are assigned,
 * and either accepts a batch, recognises it as a duplicate of a recent one (the caller then
 * writes nothing and answers with the original offsets) or throws PRODUCER_FENCED /
 * OUT_OF_ORDER_SEQUENCE / INVALID_BATCH. Rules (Kafka 2.5+, KIP-360):
 *
 *  - same epoch and (firstSeq, lastSeq) equal to a retained batch: duplicate;
 *  - epoch below the known one: PRODUCER_FENCED (Kafka INVALID_PRODUCER_EPOCH);
 *  - a new epoch must start at sequence 0; the same epoch must continue at lastSeq + 1,
 *    where Int32.MAX is followed by 0: otherwise OUT_OF_ORDER_SEQUENCE;
 *  - an unknown producer id is accepted at any sequence: its state may have been lost to
 *    expiry or retention, and Kafka stopped answering UNKNOWN_PRODUCER_ID for that in 2.5;
 *  - batches with producerId -1 are not tracked.
 *
 * On-disk format: `<offset, 20 digits>.snapshot` in the partition directory, the state of
 * every producer for the log up to (excluding) `offset`; all integers big-endian:
 *
 *   offset  size  field
 *        0     2  version (= 1)
 *        2     4  crc      CRC-32C of bytes [6, end), unsigned
 *        6     8  offset   the snapshot's offset, equal to the one in the file name
 *       14     4  count    number of producer entries
 *       18     -  entries: producerId int64, epoch int16, batchCount int16, then batchCount
 *                 batches (oldest first): firstSeq int32, lastSeq int32, firstOffset int64,
 *                 lastOffset int64, timestamp int64
 *
 * Unlike Kafka's snapshot (which keeps only each producer's last batch) every retained batch
 * is stored, so a retry of any of the last five batches is still a duplicate after a restart.
 *
 * Crash behaviour: snapshots are written atomically (temp file, fsync, rename, fsync dir) at
 * segment roll, when the log start offset moves, and on clean close; the newest
 * `producerSnapshotsRetained` are kept. On open (and after a truncation) the state is the
 * newest snapshot that passes its checks and lies in [logStartOffset, logEndOffset], plus a
 * replay of the headers of every batch after it; snapshots past the log end (their data was
 * lost or truncated) are deleted durably before anything is appended, and corrupt ones are
 * deleted too. With no usable snapshot the whole log is replayed. Producers whose last
 * batch's timestamp is older than producer.id.expiration.ms are then dropped.
 *
 * Concurrency: owned by one PartitionLog, which calls everything from inside its serialised
 * mutations. Snapshot file operations run on an internal queue in call order, so a late
 * write can never land after a deletion that was asked for later.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TributaryError } from '../errors.js';
import { crc32c } from '../format/crc32c.js';
import { DeflatedBatch, RECORD_BATCH_OVERHEAD } from '../format/record-batch.js';
import { producerBatchesRetained, producerSnapshotBytesMax, producerSnapshotsRetained } from '../limits.js';
import type { Logger } from '../logger.js';
import { fsyncDir, writeFileAtomic } from './durable-fs.js';
import type { LogSegment } from './log-segment.js';
import { segmentFileName } from './log-segment.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;

const INT32_MAX = 2 ** 31 - 1;

// Snapshot layout, each field defined from the one before it.
export const SNAPSHOT_VERSION = 1;
const VERSION_OFFSET = 0;
const VERSION_LENGTH = 2;
const CRC_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
const CRC_LENGTH = 4;
const SNAPSHOT_OFFSET_OFFSET = CRC_OFFSET + CRC_LENGTH;
const SNAPSHOT_OFFSET_LENGTH = 8;
const COUNT_OFFSET = SNAPSHOT_OFFSET_OFFSET + SNAPSHOT_OFFSET_LENGTH;
const COUNT_LENGTH = 4;
const SNAPSHOT_HEADER_BYTES = COUNT_OFFSET + COUNT_LENGTH;
// Entry, relative to its start.
const PRODUCER_ID_OFFSET = 0;
const PRODUCER_ID_LENGTH = 8;
const EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_LENGTH;
const EPOCH_LENGTH = 2;
const BATCH_COUNT_OFFSET = EPOCH_OFFSET + EPOCH_LENGTH;
const BATCH_COUNT_LENGTH = 2;
const ENTRY_HEADER_BYTES = BATCH_COUNT_OFFSET + BATCH_COUNT_LENGTH;
// Batch, relative to its start.
const FIRST_SEQ_OFFSET = 0;
const SEQ_LENGTH = 4;
const LAST_SEQ_OFFSET = FIRST_SEQ_OFFSET + SEQ_LENGTH;
const FIRST_OFFSET_OFFSET = LAST_SEQ_OFFSET + SEQ_LENGTH;
const OFFSET_LENGTH = 8;
const LAST_OFFSET_OFFSET = FIRST_OFFSET_OFFSET + OFFSET_LENGTH;
const TIMESTAMP_OFFSET = LAST_OFFSET_OFFSET + OFFSET_LENGTH;
const TIMESTAMP_LENGTH = 8;
const BATCH_BYTES = TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;

/** One appended batch of a producer, as remembered for duplicate detection. */
export interface ProducerBatch {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  /** The batch's max timestamp (after LogAppendTime stamping). */
  timestamp: number;
}

export interface ProducerEntry {
  producerId: number;
  epoch: number;
  /** Oldest first, at most producerBatchesRetained, never empty. */
  batches: ProducerBatch[];
}

/** The header fields a producer check needs; a DeflatedBatch has them. */
export interface ProducerBatchHeader {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(seq: number, increment: number): number {
  return seq > INT32_MAX - increment ? increment - (INT32_MAX - seq) - 1 : seq + increment;
}

/** Whether `next` directly follows `last` (Int32.MAX is followed by 0). */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

export function snapshotFileName(offset: number): string {
  return segmentFileName(offset, SNAPSHOT_SUFFIX);
}

// ---- snapshot codec --------------------------------------------------------------------------

export function encodeSnapshot(offset: number, producers: Iterable<ProducerEntry>): Buffer {
  const entries = [...producers];
  let size = SNAPSHOT_HEADER_BYTES;
  for (const e of entries) size += ENTRY_HEADER_BYTES + e.batches.length * BATCH_BYTES;
  const buf = Buffer.alloc(size);
  buf.writeInt16BE(SNAPSHOT_VERSION, VERSION_OFFSET);
  buf.writeBigInt64BE(BigInt(offset), SNAPSHOT_OFFSET_OFFSET);
  buf.writeInt32BE(entries.length, COUNT_OFFSET);
  let pos = SNAPSHOT_HEADER_BYTES;
  for (const e of entries) {
    if (e.batches.length < 1 || e.batches.length > producerBatchesRetained) throw new Error(`producer ${e.producerId} has ${e.batches.length} batches`);
    buf.writeBigInt64BE(BigInt(e.producerId), pos + PRODUCER_ID_OFFSET);
    buf.writeInt16BE(e.epoch, pos + EPOCH_OFFSET);
    buf.writeInt16BE(e.batches.length, pos + BATCH_COUNT_OFFSET);
    pos += ENTRY_HEADER_BYTES;
    for (const b of e.batches) {
      buf.writeInt32BE(b.firstSeq, pos + FIRST_SEQ_OFFSET);
      buf.writeInt32BE(b.lastSeq, pos + LAST_SEQ_OFFSET);
      buf.writeBigInt64BE(BigInt(b.firstOffset), pos + FIRST_OFFSET_OFFSET);
      buf.writeBigInt64BE(BigInt(b.lastOffset), pos + LAST_OFFSET_OFFSET);
      buf.writeBigInt64BE(BigInt(b.timestamp), pos + TIMESTAMP_OFFSET);
      pos += BATCH_BYTES;
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(SNAPSHOT_OFFSET_OFFSET)), CRC_OFFSET);
  return buf;
}

/** Decodes and checks a snapshot; throws Error (with the reason) when anything does not add up. */
export function decodeSnapshot(buf: Buffer, expectedOffset: number): Map<number, ProducerEntry> {
  const fail = (why: string): never => {
    throw new Error(why);
  };
  const int64 = (at: number, field: string): number => {
    const v = Number(buf.readBigInt64BE(at));
    if (!Number.isSafeInteger(v)) fail(`${field} is outside the safe integer range`);
    return v;
  };
  if (buf.length < SNAPSHOT_HEADER_BYTES) fail(`${buf.length} bytes is shorter than the header`);
  const version = buf.readInt16BE(VERSION_OFFSET);
  if (version !== SNAPSHOT_VERSION) fail(`unknown version ${version}`);
  const stored = buf.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(buf.subarray(SNAPSHOT_OFFSET_OFFSET));
  if (stored !== computed) fail(`CRC mismatch: stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}`);
  const offset = int64(SNAPSHOT_OFFSET_OFFSET, 'offset');
  if (offset !== expectedOffset) fail(`holds offset ${offset}, its name says ${expectedOffset}`);
  const count = buf.readInt32BE(COUNT_OFFSET);
  if (count < 0 || count * ENTRY_HEADER_BYTES > buf.length - SNAPSHOT_HEADER_BYTES) fail(`producer count ${count} does not fit`);
  const out = new Map<number, ProducerEntry>();
  let pos = SNAPSHOT_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (pos + ENTRY_HEADER_BYTES > buf.length) fail(`entry ${i} is cut short`);
    const producerId = int64(pos + PRODUCER_ID_OFFSET, 'producerId');
    const epoch = buf.readInt16BE(pos + EPOCH_OFFSET);
    const n = buf.readInt16BE(pos + BATCH_COUNT_OFFSET);
    if (producerId < 0 || epoch < 0 || out.has(producerId)) fail(`entry ${i}: bad or repeated producer ${producerId} epoch ${epoch}`);
    if (n < 1 || n > producerBatchesRetained) fail(`entry ${i}: batch count ${n}`);
    pos += ENTRY_HEADER_BYTES;
    if (pos + n * BATCH_BYTES > buf.length) fail(`entry ${i}: batches cut short`);
    const batches: ProducerBatch[] = [];
    let prevLast = -1;
    for (let j = 0; j < n; j++) {
      const b: ProducerBatch = {
        firstSeq: buf.readInt32BE(pos + FIRST_SEQ_OFFSET),
        lastSeq: buf.readInt32BE(pos + LAST_SEQ_OFFSET),
        firstOffset: int64(pos + FIRST_OFFSET_OFFSET, 'firstOffset'),
        lastOffset: int64(pos + LAST_OFFSET_OFFSET, 'lastOffset'),
        timestamp: int64(pos + TIMESTAMP_OFFSET, 'timestamp'),
      };
      if (b.firstSeq < 0 || b.lastSeq < 0 || b.firstOffset > b.lastOffset || b.firstOffset <= prevLast || b.lastOffset >= offset) {
        fail(`entry ${i} batch ${j}: impossible sequences or offsets`);
      }
      prevLast = b.lastOffset;
      batches.push(b);
      pos += BATCH_BYTES;
    }
    out.set(producerId, { producerId, epoch, batches });
  }
  if (pos !== buf.length) fail(`${buf.length - pos} bytes after the last entry`);
  return out;
}

// ---- replay source -------------------------------------------------------------------------

/** One stored batch as replay sees it. */
export interface StoredProducerBatch extends ProducerBatchHeader {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** Headers of every stored batch whose last offset is >= `from`, in offset order (only headers are read). */
export function* storedBatchesFrom(segments: readonly LogSegment[], from: number): Generator<StoredProducerBatch> {
  for (const seg of segments) {
    if (seg.nextOffset <= from) continue;
    const first = seg.findBatch(from);
    if (!first) continue;
    for (const h of seg.walk(first.position)) {
      const head = new DeflatedBatch(seg.log.read(h.position, RECORD_BATCH_OVERHEAD));
      yield {
        producerId: head.producerId,
        producerEpoch: head.producerEpoch,
        baseSequence: head.baseSequence,
        lastOffsetDelta: head.lastOffsetDelta,
        baseOffset: h.baseOffset,
        lastOffset: h.lastOffset,
        maxTimestamp: h.maxTimestamp,
      };
    }
  }
}

// ---- the manager ---------------------------------------------------------------------------

export interface ProducerStateOptions {
  dir: string;
  topic: string;
  partition: number;
  log: Logger;
  /** producer.id.expiration.ms */
  expirationMs: number;
}

export class ProducerStateManager {
  private producers = new Map<number, ProducerEntry>();
  private files: Promise<unknown> = Promise.resolve();
  /** Offsets of the snapshot files on disk (or queued to be), ascending. */
  private snapshots: number[] = [];

  constructor(private readonly opts: ProducerStateOptions) {}

  /** The producer's state, or undefined when it is unknown (tests, diagnostics). */
  entry(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  get producerCount(): number {
    return this.producers.size;
  }

  /** Offsets of the snapshot files, ascending. */
  get snapshotOffsets(): readonly number[] {
    return this.snapshots;
  }

  private context(b: ProducerBatchHeader): Record<string, unknown> {
    return { topic: this.opts.topic, partition: this.opts.partition, producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence };
  }

  /**
   * Checks a batch with producerId >= 0 from a producer before it is appended. Returns the
   * original batch when it is a duplicate, null when it may be appended; throws otherwise.
   */
  checkAppend(b: ProducerBatchHeader): ProducerBatch | null {
    const ctx = this.context(b);
    // Kafka LogValidator: an idempotent batch without a sequence is not a valid record batch.
    if (b.producerEpoch < 0 || b.baseSequence < 0) {
      throw new TributaryError('INVALID_BATCH', `batch of producer ${b.producerId} has epoch ${b.producerEpoch} and base sequence ${b.baseSequence}`, ctx);
    }
    const firstSeq = b.baseSequence;
    const lastSeq = incrementSequence(firstSeq, b.lastOffsetDelta);
    const entry = this.producers.get(b.producerId);
    if (!entry) return null; // unknown: any sequence (KIP-360)
    if (b.producerEpoch === entry.epoch) {
      const dup = entry.batches.find((x) => x.firstSeq === firstSeq && x.lastSeq === lastSeq);
      if (dup) return dup;
      const last = entry.batches[entry.batches.length - 1]!.lastSeq;
      if (!inSequence(last, firstSeq)) {
        throw new TributaryError('OUT_OF_ORDER_SEQUENCE', `producer ${b.producerId} epoch ${b.producerEpoch}: sequence ${firstSeq} does not follow ${last}`, { ...ctx, lastSequence: last });
      }
      return null;
    }
    if (b.producerEpoch < entry.epoch) {
      throw new TributaryError('PRODUCER_FENCED', `producer ${b.producerId}: epoch ${b.producerEpoch} is older than the current epoch ${entry.epoch}`, { ...ctx, currentEpoch: entry.epoch });
    }
    if (firstSeq !== 0) {
      throw new TributaryError('OUT_OF_ORDER_SEQUENCE', `producer ${b.producerId}: new epoch ${b.producerEpoch} must start at sequence 0, not ${firstSeq}`, { ...ctx, currentEpoch: entry.epoch });
    }
    return null;
  }

  /** Records a batch now in the log (appended after `checkAppend`, or replayed from the log). */
  update(b: ProducerBatchHeader, firstOffset: number, lastOffset: number, timestamp: number): void {
    if (b.producerId < 0) return;
    const meta: ProducerBatch = { firstSeq: b.baseSequence, lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta), firstOffset, lastOffset, timestamp };
    let entry = this.producers.get(b.producerId);
    if (!entry) {
      entry = { producerId: b.producerId, epoch: b.producerEpoch, batches: [] };
      this.producers.set(b.producerId, entry);
    } else if (entry.epoch !== b.producerEpoch) {
      // A new epoch starts a new sequence: the old batches can no longer be retried.
      entry.epoch = b.producerEpoch;
      entry.batches = [];
    }
    entry.batches.push(meta);
    if (entry.batches.length > producerBatchesRetained) entry.batches.shift();
  }

  /** Forgets producers whose last batch's timestamp is producer.id.expiration.ms or more before `now` (Kafka's rule). */
  removeExpired(now: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (now - e.batches[e.batches.length - 1]!.timestamp >= this.opts.expirationMs) {
        this.producers.delete(id);
        n++;
      }
    }
    if (n > 0) this.opts.log.debug({ topic: this.opts.topic, partition: this.opts.partition, expired: n }, 'expired idempotent producers');
    return n;
  }

  setExpirationMs(ms: number): void {
    this.opts.expirationMs = ms;
  }

  // ---- files -----------------------------------------------------------------------------------

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.files.then(fn);
    this.files = run.catch(() => undefined);
    return run;
  }

  private snapshotPath(offset: number): string {
    return path.join(this.opts.dir, snapshotFileName(offset));
  }

  /**
   * Captures the state now, as of log end `offset`, and writes it in the background (queued).
   * A failed write is logged, not thrown: the state can always be rebuilt from the log.
   */
  takeSnapshot(offset: number): Promise<void> {
    if (this.snapshots[this.snapshots.length - 1] === offset) return this.files.then(() => undefined);
    const bytes = encodeSnapshot(offset, this.producers.values());
    this.snapshots.push(offset);
    const doomed = this.snapshots.splice(0, Math.max(0, this.snapshots.length - producerSnapshotsRetained));
    return this.serial(async () => {
      try {
        await writeFileAtomic(this.snapshotPath(offset), bytes);
        // Losing these unlinks in a crash is harmless: older snapshots are only a fallback.
        for (const o of doomed) await fs.promises.rm(this.snapshotPath(o), { force: true });
      } catch (err) {
        this.opts.log.warn({ err, topic: this.opts.topic, partition: this.opts.partition, offset }, 'cannot write producer state snapshot');
      }
    });
  }

  /** Deletes snapshots matching `doomed`, durably (after every queued write). */
  private deleteSnapshots(doomed: (offset: number) => boolean): Promise<void> {
    const gone = this.snapshots.filter(doomed);
    if (gone.length === 0) return this.files.then(() => undefined);
    this.snapshots = this.snapshots.filter((o) => !doomed(o));
    return this.serial(async () => {
      for (const o of gone) await fs.promises.rm(this.snapshotPath(o), { force: true });
      await fsyncDir(this.opts.dir);
    });
  }

  /** Waits for queued snapshot writes. */
  drain(): Promise<void> {
    return this.files.then(() => undefined);
  }

  /**
   * The log start offset moved (retention or DeleteRecords): snapshots below it can no
   * longer be replayed from, so they go; a fresh one at `logEnd` keeps producers whose
   * batches were deleted (Kafka keeps their state until it expires, KIP-360).
   */
  async onLogStartOffsetChange(logStart: number, logEnd: number): Promise<void> {
    if (!this.snapshots.some((o) => o >= logStart)) await this.takeSnapshot(logEnd);
    await this.deleteSnapshots((o) => o < logStart);
  }

  /**
   * Rebuilds the state for a log holding [logStart, logEnd) in `segments`: the newest usable
   * snapshot plus a replay of the batches after it. Used on open and after truncation.
   */
  async load(segments: readonly LogSegment[], logStart: number, logEnd: number, now: number): Promise<void> {
    await this.drain();
    const { dir, log, topic, partition } = this.opts;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      throw new TributaryError('STORAGE_IO', `cannot list ${dir}`, { path: dir }, err);
    }
    const found: number[] = [];
    for (const name of names) {
      const m = SNAPSHOT_FILE.exec(name);
      if (m) found.push(Number(m[1]));
    }
    found.sort((a, b) => a - b);
    this.snapshots = found;
    // Past the end: their data was truncated or lost in a crash; they must never be used
    // once the log grows past them again.
    const outside = found.filter((o) => o > logEnd || o < logStart);
    if (outside.length > 0) log.info({ topic, partition, snapshots: outside, logStart, logEnd }, 'deleting producer snapshots outside the log');
    await this.deleteSnapshots((o) => o > logEnd || o < logStart);

    this.producers = new Map();
    let from = logStart;
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      const offset = this.snapshots[i]!;
      const loaded = this.readSnapshot(offset);
      if (loaded) {
        this.producers = loaded;
        from = offset;
        break;
      }
      await this.deleteSnapshots((o) => o === offset);
    }
    let replayed = 0;
    for (const b of storedBatchesFrom(segments, from)) {
      if (b.producerId < 0 || b.lastOffset >= logEnd) continue;
      this.update(b, b.baseOffset, b.lastOffset, b.maxTimestamp);
      replayed++;
    }
    const expired = this.removeExpired(now);
    log.debug({ topic, partition, snapshot: from, replayed, producers: this.producers.size, expired }, 'loaded producer state');
  }

  private readSnapshot(offset: number): Map<number, ProducerEntry> | null {
    const file = this.snapshotPath(offset);
    try {
      const size = fs.statSync(file).size;
      if (size > producerSnapshotBytesMax) throw new Error(`${size} bytes is over the ${producerSnapshotBytesMax}-byte limit`);
      return decodeSnapshot(fs.readFileSync(file), offset);
    } catch (err) {
      this.opts.log.warn({ err, path: file, topic: this.opts.topic, partition: this.opts.partition }, 'ignoring unusable producer state snapshot; rebuilding from the log');
      return null;
    }
  }
}
