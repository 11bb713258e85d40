/**
 * What crosses the worker boundary: task messages, result shapes and the error envelope.
 * Shared by pool.ts (calling side) and worker.ts (worker side), so both agree by type.
 *
 * Errors cross as data, not as Error objects: structured cloning keeps only an Error's
 * message and stack, so a TributaryError's class, `code` and `context` would be lost. The
 * worker catches TributaryErrors and returns `{ error: { code, message, context } }`; the
 * pool rebuilds a TributaryError with the same code. Anything else (a bug) is rethrown and
 * reaches the caller as a plain Error from piscina.
 */
import type { ErrorCode } from '../errors.js';
import type { RecordRules } from '../format/batch-rewrite.js';

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; context: Record<string, unknown> };
}

export interface CodecTask {
  codec: number;
  bytes: Uint8Array;
  /** Decompression only: the inflated-size limit. */
  maxBytes?: number;
}

export interface CrcTask {
  bytes: Uint8Array;
}

/** The outcome of checking every batch's CRC-32C in a buffer. */
export interface CrcCheckResult {
  /** Batches whose CRC matched, all before `bad` (or all of them). */
  batches: number;
  /** The first batch whose stored CRC is wrong, with both values; null if none. */
  bad: { index: number; position: number; stored: number; computed: number } | null;
  /**
   * First byte not covered by a whole, CRC-checked batch: equals the buffer length when
   * every batch is whole and good; less when the buffer ends in a partial batch, holds an
   * impossible length field, or a CRC is bad.
   */
  validEnd: number;
}

/** The CRC result plus the checked bytes, handed back to the caller after the transfer. */
export interface CrcTaskResult extends CrcCheckResult {
  bytes: Uint8Array;
}

/** One produced batch for the record pass (format/batch-rewrite.ts): rules and, maybe, recompression. */
export interface RewriteTask {
  bytes: Uint8Array;
  rules: RecordRules;
}

/** The batch to append (the input handed back when unchanged, else the recompressed copy). */
export interface RewriteTaskResult {
  bytes: Uint8Array;
  recompressed: boolean;
}

export interface ScanTask {
  path: string;
  startPos: number;
  verifyCrc?: boolean;
  expectedNextOffset?: number;
  /** File position to stop at (default: end of file). */
  end?: number;
}

/**
 * A ScanResult packed into one Float64Array so it moves back in a single transfer:
 *   [0] count  [1] validEnd  [2] stop reason index (SCAN_STOPS)
 *   then `count` entries each of positions, baseOffsets, lastOffsets, maxTimestamps, sizes.
 * Float64 holds every offset and position exactly (they are safe integers).
 */
export const SCAN_HEADER_LENGTH = 3;
export const SCAN_COLUMNS = 5;
export const SCAN_STOPS = ['end', 'torn', 'invalid-length', 'invalid-magic', 'invalid-batch', 'offset-order', 'crc'] as const;

/** One segment a compaction pass reads (and may rewrite). Paths are absolute. */
export interface CompactSegmentInput {
  /** The live `<base>.log`. */
  path: string;
  baseOffset: number;
  /** Logical size: bytes of whole batches (the file may be longer, zero-filled, after a truncation). */
  size: number;
  /** Where a rewritten copy goes (`<base>.log.cleaned`). */
  cleanedPath: string;
}

/**
 * One compaction pass over a partition's closed segments (src/workers/compaction.ts):
 * `segments` run from the log start to the cleanable end; those from `firstDirty` on are
 * the dirty section the key map is built over.
 */
export interface CompactTask {
  segments: CompactSegmentInput[];
  firstDirty: number;
  /** The cleaner's clock: tombstones whose delete horizon is <= this are dropped. */
  nowMs: number;
  /** delete.retention.ms: the horizon a tombstone's batch gets when first cleaned is now + this. */
  deleteRetentionMs: number;
  /** Stop mapping after the segment that takes the map past this many keys. */
  keysMax: number;
}

/** The batch table of a rewritten segment file (the columns of a ScanResult, as plain arrays). */
export interface CleanedSegment {
  /** Index into the task's segments. */
  index: number;
  /** False when nothing in it was removed or marked: no file was written. */
  cleaned: boolean;
  sizeBefore: number;
  sizeAfter: number;
  positions: number[];
  sizes: number[];
  baseOffsets: number[];
  lastOffsets: number[];
  maxTimestamps: number[];
}

export interface CompactResult {
  /** Segments [0, end) were handled (end < segments.length when the key map filled up). */
  end: number;
  segments: CleanedSegment[];
  keys: number;
  recordsRead: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  /** Earliest delete horizon among tombstones still in segments [0, end), or -1 when none is left. */
  nextDeleteHorizonMs: number;
}
