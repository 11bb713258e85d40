/**
 * What the offset index and the time index share (Kafka's AbstractIndex): a file of
 * fixed-size big-endian entries, sorted, searched by binary search, preallocated to
 * segment.index.bytes while its segment is active and trimmed to its entries on roll/close.
 *
 * No checksum protects an index. Entries are only ever appended after the log bytes they
 * point at were written, an all-zero entry ends the list (a crashed, untrimmed file has a
 * zero tail), and `load` rejects any file whose entries are not strictly increasing or point
 * outside their segment; a rejected index is rebuilt from the log, never trusted. Dropping
 * entries is always safe (a lookup just scans further), trusting a wrong one never is.
 *
 * Concurrency: owned by one LogSegment; all methods are synchronous.
 */
import type { IndexFile } from './io-backend.js';

/** Why `load` refused a file. */
export class IndexCorruption extends Error {}

export abstract class AbstractIndex {
  /** Entries in use. */
  protected count = 0;

  constructor(
    protected readonly file: IndexFile,
    /** The segment's base offset; entries store offsets relative to it. */
    readonly baseOffset: number,
    protected readonly entryBytes: number,
  ) {}

  get path(): string {
    return this.file.path;
  }
  get entries(): number {
    return this.count;
  }
  get maxEntries(): number {
    return Math.floor(this.file.buf.length / this.entryBytes);
  }
  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }
  /** Bytes the entries occupy (the trimmed file length). */
  get sizeInBytes(): number {
    return this.count * this.entryBytes;
  }

  /** True when entry `i` is a valid successor of entry `i - 1` (or a valid first entry). */
  protected abstract entryValid(i: number, limits: IndexLimits): boolean;

  /**
   * Adopts the entries present in the file after checking every one of them; throws
   * IndexCorruption when the file cannot be trusted.
   */
  load(limits: IndexLimits): void {
    const buf = this.file.buf;
    if (buf.length % this.entryBytes !== 0) throw new IndexCorruption(`${this.path}: length ${buf.length} is not a multiple of ${this.entryBytes}`);
    const n = this.maxEntries;
    let i = 0;
    while (i < n && !this.isZero(i) && this.entryValid(i, limits)) i++;
    // Only zeros may follow the valid prefix: anything else is garbage, not a crash tail.
    for (let j = i; j < n; j++) {
      if (!this.isZero(j)) throw new IndexCorruption(`${this.path}: entry ${j} of ${n} is out of order or out of range`);
    }
    this.count = i;
  }

  private isZero(i: number): boolean {
    const buf = this.file.buf;
    const at = i * this.entryBytes;
    for (let k = 0; k < this.entryBytes; k++) if (buf[at + k] !== 0) return false;
    return true;
  }

  /** Largest entry index whose key is <= `key`, or -1. `keyAt` must be non-decreasing. */
  protected search(key: number, keyAt: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  protected appendEntry(entry: Buffer): void {
    if (this.isFull) throw new Error(`${this.path}: index is full (${this.count} entries)`);
    this.file.write(this.count * this.entryBytes, entry);
    this.count++;
  }

  /** Drops entries from `keep` on and zeroes them, so a crash cannot bring them back. */
  protected truncateEntries(keep: number): void {
    if (keep >= this.count) return;
    this.file.write(keep * this.entryBytes, Buffer.alloc((this.count - keep) * this.entryBytes));
    this.count = keep;
  }

  /** Drops every entry (before a rebuild). */
  reset(): void {
    this.truncateEntries(0);
  }

  /** Shrinks the file to its entries (the segment stops being active). */
  trim(): void {
    if (this.file.buf.length !== this.sizeInBytes) this.file.resize(this.sizeInBytes);
  }

  /** Grows the file to `bytes` so the active segment can append without remapping. */
  preallocate(bytes: number): void {
    const rounded = Math.max(this.sizeInBytes, bytes - (bytes % this.entryBytes));
    if (this.file.buf.length !== rounded) this.file.resize(rounded);
  }

  sync(): Promise<void> {
    return this.file.sync();
  }

  close(): void {
    this.file.close();
  }
}

/** What `load` checks entries against. */
export interface IndexLimits {
  /** Length of the segment's log file. */
  logBytes: number;
  /** Every offset in the segment is below this (next segment's base offset, or Infinity). */
  offsetEnd: number;
}
