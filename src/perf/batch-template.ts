/**
 * Pre-encoded RecordBatch v2 buffers for the load generator, so that producing a batch costs
 * a few bytes per record and one CRC instead of a full encode.
 *
 * Every batch one accumulator sends has the same shape: up to `maxRecords` records, all
 * with a value of `valueBytes` and a key of `keyBytes` digits (or a null key), no headers.
 * So the bytes of record i are the same in every batch except three fields: its
 * timestampDelta, the first 8 bytes of its value (the intended send time, see producer.ts)
 * and its key digits. A template buffer is encoded once with encodeBatch (every
 * timestampDelta 0, so each takes one varint byte); afterwards the producer writes only
 * those fields in place (`setTimestampDelta`, and at `valueAt` and `keyAt`), and `finish` sets the
 * header fields that depend on the record count and timestamps and the CRC. A batch of
 * m < maxRecords records is the template's first m records: record i's offsetDelta is i
 * and its bytes end at `recordEnd[i]` whatever follows.
 *
 * A timestampDelta is one varint byte for 0..63 ms (zigzag). A batch whose records span
 * more than that (a low --rate with a long --linger-ms) cannot be finished in place and is
 * encoded with encodeBatch from views of the template's own record bytes
 * (`encodeFrom`), as is every compressed batch. Both paths give the same bytes as
 * encodeBatch of the same records; test/perf/batch-template.test.ts checks that.
 *
 * Buffers are reused: `take` hands out a copy of the template (from a free list when one is
 * there), and the producer gives it back with `release` once its request is answered, when
 * the socket has long finished with it.
 */
import type { CompressionName, RecordInput } from '../format/index.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  crc32c,
  encodeBatch,
  varintSize,
} from '../format/index.js';

/** Largest timestampDelta (ms) whose zigzag varint is one byte. */
export const TEMPLATE_TIMESTAMP_DELTA_MAX = 63;

export class BatchTemplate {
  /** Position of record i's one-byte timestampDelta (written through `setTimestampDelta`). */
  private readonly timestampDeltaAt: Int32Array;
  /** Position of record i's key digits (meaningless without keys). */
  readonly keyAt: Int32Array;
  /** Position of record i's value. */
  readonly valueAt: Int32Array;
  /** Position just after record i. */
  readonly recordEnd: Int32Array;
  private readonly pristine: Buffer;
  private readonly free: Buffer[] = [];

  constructor(
    readonly maxRecords: number,
    readonly valueBytes: number,
    readonly keyBytes: number,
    payload: Buffer,
  ) {
    if (payload.length < maxRecords * valueBytes) throw new RangeError(`payload of ${payload.length} bytes is short of ${maxRecords} values of ${valueBytes}`);
    const records: RecordInput[] = [];
    for (let i = 0; i < maxRecords; i++) {
      records.push({ key: keyBytes > 0 ? Buffer.alloc(keyBytes, 0x30) : null, value: payload.subarray(i * valueBytes, (i + 1) * valueBytes), timestamp: 0 });
    }
    this.pristine = encodeBatch({ records });
    this.timestampDeltaAt = new Int32Array(maxRecords);
    this.keyAt = new Int32Array(maxRecords);
    this.valueAt = new Int32Array(maxRecords);
    this.recordEnd = new Int32Array(maxRecords);
    // Record layout (format/records.ts): length varint, attributes, timestampDelta (1 byte
    // here), offsetDelta varint, key length + key (or -1), value length + value, header count.
    const keyField = keyBytes > 0 ? varintSize(keyBytes) + keyBytes : 1;
    let pos = RECORDS_OFFSET;
    for (let i = 0; i < maxRecords; i++) {
      const body = 1 + 1 + varintSize(i) + keyField + varintSize(valueBytes) + valueBytes + 1;
      const ts = pos + varintSize(body) + 1;
      this.timestampDeltaAt[i] = ts;
      this.keyAt[i] = ts + 1 + varintSize(i) + (keyBytes > 0 ? varintSize(keyBytes) : 0);
      this.valueAt[i] = ts + 1 + varintSize(i) + keyField + varintSize(valueBytes);
      pos += varintSize(body) + body;
      this.recordEnd[i] = pos;
    }
    if (pos !== this.pristine.length) throw new Error(`template layout (${pos} bytes) disagrees with encodeBatch (${this.pristine.length})`);
  }

  /**
   * Writes record `i`'s timestampDelta (its timestamp - the batch's base, ms) in place, as the
   * one-byte zigzag varint the template holds. Returns false, writing nothing, when the delta
   * does not fit one byte (then the batch must go through `encodeFrom`).
   */
  setTimestampDelta(buf: Buffer, i: number, deltaMs: number): boolean {
    if (!(deltaMs >= 0 && deltaMs <= TEMPLATE_TIMESTAMP_DELTA_MAX)) return false;
    buf[this.timestampDeltaAt[i]!] = deltaMs * 2;
    return true;
  }

  /** A buffer holding the template's bytes, to fill record by record. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.from(this.pristine);
  }

  /** Gives back a buffer from `take` once nothing reads it any more. */
  release(buf: Buffer): void {
    this.free.push(buf);
  }

  /**
   * Sets the header fields that depend on the first `count` records, then the CRC; returns
   * the batch (a view of `buf`). Every record's timestampDelta must have been set with
   * `setTimestampDelta` (relative to `baseTimestamp`) and returned true.
   */
  finish(buf: Buffer, count: number, baseTimestamp: number, maxTimestamp: number): Buffer {
    const end = this.recordEnd[count - 1]!;
    buf.writeInt32BE(end - LOG_OVERHEAD, LENGTH_OFFSET);
    buf.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET);
    buf.writeBigInt64BE(BigInt(baseTimestamp), BASE_TIMESTAMP_OFFSET);
    buf.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP_OFFSET);
    buf.writeInt32BE(count, RECORDS_COUNT_OFFSET);
    buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES_OFFSET, end)), CRC_OFFSET);
    return buf.subarray(0, end);
  }

  /**
   * The first `count` records of `buf` with the given timestamps, encoded by encodeBatch into
   * a new buffer (`buf` can be released at once).
   */
  encodeFrom(buf: Buffer, count: number, timestamps: Float64Array, compression: CompressionName): Buffer {
    const records = new Array<RecordInput>(count);
    const k = this.keyBytes;
    for (let i = 0; i < count; i++) {
      const v = this.valueAt[i]!;
      records[i] = { key: k > 0 ? buf.subarray(this.keyAt[i]!, this.keyAt[i]! + k) : null, value: buf.subarray(v, v + this.valueBytes), timestamp: timestamps[i]! };
    }
    return encodeBatch({ records, compression });
  }
}
