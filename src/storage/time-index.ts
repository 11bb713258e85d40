/**
 * The sparse time index of one segment (Kafka's TimeIndex), file `<base>.timeindex`.
 *
 * On-disk format: 12-byte entries, big-endian,
 *   timestamp      int64   the largest batch max-timestamp seen in the segment so far
 *   relativeOffset int32   last offset of the batch that first reached that timestamp, minus base
 * Entries are appended together with offset-index entries, and once more on roll and close,
 * only when the timestamp grew, so timestamps strictly increase. An all-zero entry marks the
 * end. The last entry therefore holds the segment's largest timestamp once it is inactive.
 *
 * Crash behaviour and concurrency: as OffsetIndex (rebuilt, never trusted, when `load` fails).
 */
import { AbstractIndex } from './abstract-index.js';
import type { IndexLimits } from './abstract-index.js';
import type { IndexFile } from './io-backend.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends AbstractIndex {
  constructor(file: IndexFile, baseOffset: number) {
    super(file, baseOffset, TIME_INDEX_ENTRY_BYTES);
  }

  private tsAt(i: number): number {
    return Number(this.file.buf.readBigInt64BE(i * TIME_INDEX_ENTRY_BYTES));
  }
  private relAt(i: number): number {
    return this.file.buf.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.tsAt(i), offset: this.baseOffset + this.relAt(i) };
  }

  /** The last entry, or (-1, baseOffset) when there is none. */
  lastEntry(): TimestampOffset {
    return this.count === 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(this.count - 1);
  }

  protected entryValid(i: number, limits: IndexLimits): boolean {
    const ts = this.tsAt(i);
    const rel = this.relAt(i);
    if (!Number.isSafeInteger(ts) || rel < 0 || this.baseOffset + rel >= limits.offsetEnd) return false;
    return i === 0 || (ts > this.tsAt(i - 1) && rel >= this.relAt(i - 1));
  }

  /** Appends (timestamp, offset) if `timestamp` is larger than the last entry's. */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.lastEntry();
    if (timestamp <= last.timestamp) return;
    const rel = offset - this.baseOffset;
    if (rel < 0 || offset < last.offset || !Number.isSafeInteger(timestamp)) {
      throw new Error(`${this.path}: entry (${timestamp}, ${offset}) does not follow (${last.timestamp}, ${last.offset})`);
    }
    const e = Buffer.allocUnsafe(TIME_INDEX_ENTRY_BYTES);
    e.writeBigInt64BE(BigInt(timestamp), 0);
    e.writeInt32BE(rel, 8);
    this.appendEntry(e);
  }

  /** The entry with the largest timestamp <= `timestamp`, or (-1, baseOffset). */
  lookup(timestamp: number): TimestampOffset {
    const i = this.search(timestamp, (k) => this.tsAt(k));
    return i < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(i);
  }

  /** Removes entries whose offset is >= `offset`. */
  truncateTo(offset: number): void {
    let keep = this.count;
    while (keep > 0 && this.baseOffset + this.relAt(keep - 1) >= offset) keep--;
    this.truncateEntries(keep);
  }
}
