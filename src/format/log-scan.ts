/**
 * Walking a log: the one loop that recovery, index rebuilding and the worker pool share.
 *
 * `scanLog` reads batches from `start` in `buf` and stops at the first one that is torn
 * (its length runs past the end), impossible (bad length or magic), out of order (its base
 * offset is below the expected next offset) or corrupt (CRC mismatch, when verifying). The
 * log is valid up to `validEnd`; everything after it is a torn or corrupt tail that the
 * caller truncates. The scan never throws on bad data: it reports where it stopped and why.
 */
import { isTributaryError } from '../errors.js';
import { DeflatedBatch, MAGIC_OFFSET, MAGIC_V2, batchSizeAt } from './record-batch.js';

export type ScanStop = 'end' | 'torn' | 'invalid-length' | 'invalid-magic' | 'invalid-batch' | 'offset-order' | 'crc';

/** One entry per valid batch, as parallel typed arrays (cheap to transfer between threads). */
export interface ScanResult {
  /** Number of valid batches. */
  count: number;
  /** Position of each batch in the buffer. */
  positions: Float64Array;
  /** Each batch's base offset. */
  baseOffsets: Float64Array;
  /** Each batch's last offset. */
  lastOffsets: Float64Array;
  /** Each batch's max timestamp. */
  maxTimestamps: Float64Array;
  /** Each batch's size in bytes. */
  sizes: Float64Array;
  /** First byte after the last valid batch. */
  validEnd: number;
  /** Why the scan stopped at validEnd. */
  stop: ScanStop;
}

export interface ScanOptions {
  /** Verify every batch's CRC-32C (recovery always does). Default true. */
  verifyCrc?: boolean;
  /** Base offsets must be >= this and increase; default: no lower bound. */
  expectedNextOffset?: number;
  /** Stop scanning at this position (default: buffer length). */
  end?: number;
}

export function scanLog(buf: Buffer, start = 0, opts: ScanOptions = {}): ScanResult {
  const end = opts.end ?? buf.length;
  const verify = opts.verifyCrc ?? true;
  let cap = 64;
  let positions: Float64Array = new Float64Array(cap);
  let baseOffsets: Float64Array = new Float64Array(cap);
  let lastOffsets: Float64Array = new Float64Array(cap);
  let maxTimestamps: Float64Array = new Float64Array(cap);
  let sizes: Float64Array = new Float64Array(cap);
  let count = 0;
  let pos = start;
  let next = opts.expectedNextOffset ?? -Infinity;
  let stop: ScanStop = 'end';

  const grow = (a: Float64Array): Float64Array => {
    const b = new Float64Array(cap);
    b.set(a);
    return b;
  };

  while (pos < end) {
    const size = batchSizeAt(buf, pos, end);
    if (size < 0) {
      // Fewer than 12 bytes left, or an impossible length field.
      stop = end - pos < 12 ? 'torn' : 'invalid-length';
      break;
    }
    if (pos + size > end) {
      stop = 'torn';
      break;
    }
    if (buf[pos + MAGIC_OFFSET] !== MAGIC_V2) {
      stop = 'invalid-magic';
      break;
    }
    const batch = new DeflatedBatch(buf.subarray(pos, pos + size));
    let base: number;
    let last: number;
    let maxTs: number;
    try {
      batch.validate();
      base = batch.baseOffset;
      last = batch.lastOffset;
      maxTs = batch.maxTimestamp;
    } catch (err) {
      if (!isTributaryError(err)) throw err;
      stop = 'invalid-batch';
      break;
    }
    if (base < next) {
      stop = 'offset-order';
      break;
    }
    if (verify && batch.crc !== batch.computeCrc()) {
      stop = 'crc';
      break;
    }
    if (count === cap) {
      cap *= 2;
      positions = grow(positions);
      baseOffsets = grow(baseOffsets);
      lastOffsets = grow(lastOffsets);
      maxTimestamps = grow(maxTimestamps);
      sizes = grow(sizes);
    }
    positions[count] = pos;
    baseOffsets[count] = base;
    lastOffsets[count] = last;
    maxTimestamps[count] = maxTs;
    sizes[count] = size;
    count++;
    next = last + 1;
    pos += size;
  }
  return {
    count,
    positions: positions.subarray(0, count),
    baseOffsets: baseOffsets.subarray(0, count),
    lastOffsets: lastOffsets.subarray(0, count),
    maxTimestamps: maxTimestamps.subarray(0, count),
    sizes: sizes.subarray(0, count),
    validEnd: pos,
    stop,
  };
}
