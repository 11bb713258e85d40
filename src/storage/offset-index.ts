/**
 * The sparse offset index of one segment (Kafka's OffsetIndex), file `<base>.index`.
 *
 * On-disk format: 8-byte entries, big-endian,
 *   relativeOffset int32   base offset of an indexed batch minus the segment's base offset
 *   position       int32   byte position of that batch in the segment's .log
 * One entry is added before a batch whenever more than index.interval.bytes were appended
 * since the previous entry, so the first batch (position 0) is never indexed and every valid
 * entry has relativeOffset > 0 and position > 0: an all-zero entry marks the end.
 *
 * Crash behaviour: no checksum. After an unclean shutdown the indexes of every segment from
 * the recovery point on are rebuilt from the log; any index that fails `load` is rebuilt too.
 * Concurrency: owned by one LogSegment; synchronous.
 */
import { AbstractIndex } from './abstract-index.js';
import type { IndexLimits } from './abstract-index.js';
import type { IndexFile } from './io-backend.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
const INT32_MAX = 2 ** 31 - 1;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends AbstractIndex {
  constructor(file: IndexFile, baseOffset: number) {
    super(file, baseOffset, OFFSET_INDEX_ENTRY_BYTES);
  }

  private relAt(i: number): number {
    return this.file.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
  }
  private posAt(i: number): number {
    return this.file.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.relAt(i), position: this.posAt(i) };
  }

  /** The last entry, or (baseOffset, 0) when there is none. */
  lastEntry(): OffsetPosition {
    return this.count === 0 ? { offset: this.baseOffset, position: 0 } : this.entry(this.count - 1);
  }

  protected entryValid(i: number, limits: IndexLimits): boolean {
    const rel = this.relAt(i);
    const pos = this.posAt(i);
    if (rel <= 0 || pos <= 0 || pos >= limits.logBytes || this.baseOffset + rel >= limits.offsetEnd) return false;
    return i === 0 || (rel > this.relAt(i - 1) && pos > this.posAt(i - 1));
  }

  /** Indexes the batch with base offset `offset` at `position`. */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    const last = this.lastEntry();
    // Assert right before writing: a wrong entry would misdirect every later read.
    if (rel <= 0 || rel > INT32_MAX || position <= 0 || position > INT32_MAX || (this.count > 0 && (offset <= last.offset || position <= last.position))) {
      throw new Error(`${this.path}: entry (${offset}, ${position}) does not follow (${last.offset}, ${last.position})`);
    }
    const e = Buffer.allocUnsafe(OFFSET_INDEX_ENTRY_BYTES);
    e.writeInt32BE(rel, 0);
    e.writeInt32BE(position, 4);
    this.appendEntry(e);
  }

  /** The entry with the largest offset <= `target`, or (baseOffset, 0): where a scan for `target` starts. */
  lookup(target: number): OffsetPosition {
    const i = this.search(target - this.baseOffset, (k) => this.relAt(k));
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i);
  }

  /** Removes entries for offsets >= `offset`. */
  truncateTo(offset: number): void {
    const i = this.search(offset - 1 - this.baseOffset, (k) => this.relAt(k));
    this.truncateEntries(i + 1);
  }
}
