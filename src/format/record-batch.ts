/**
 * Kafka RecordBatch v2 ("magic 2"), the unit that is produced, stored and fetched.
 *
 * On-disk and on-wire layout, all integers big-endian (Kafka DefaultRecordBatch):
 *
 *   offset  size  field
 *        0     8  baseOffset            (stamped by the log on append)
 *        8     4  batchLength           (bytes that follow this field = total - 12)
 *       12     4  partitionLeaderEpoch  (stamped by the log on append)
 *       16     1  magic                 (= 2)
 *       17     4  crc                   (CRC-32C of bytes [21, end), unsigned)
 *       21     2  attributes            (bits 0-2 codec, 3 timestamp type, 4 transactional,
 *                                        5 control, 6 has delete horizon)
 *       23     4  lastOffsetDelta
 *       27     8  baseTimestamp
 *       35     8  maxTimestamp
 *       43     8  producerId
 *       51     2  producerEpoch
 *       53     4  baseSequence
 *       57     4  recordCount
 *       61     -  records (possibly compressed as one block)
 *
 * A `DeflatedBatch` is a view over those bytes exactly as stored: header fields are read in
 * place, nothing is decoded or copied. The fields before the CRC range (base offset, length,
 * leader epoch, magic, crc) can be stamped without recomputing the CRC; that is why the log
 * can assign offsets to a producer's batch in place.
 *
 * Offsets and timestamps are JavaScript numbers: int64 values outside ±2^53 are rejected as
 * INVALID_BATCH rather than silently rounded.
 */
import { TributaryError } from '../errors.js';
import { batchBytesMax, batchRecordsMax } from '../limits.js';
import { crc32c } from './crc32c.js';

// Field offsets, each defined from the one before it.
export const BASE_OFFSET_OFFSET = 0;
export const BASE_OFFSET_LENGTH = 8;
export const LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
export const LENGTH_LENGTH = 4;
export const PARTITION_LEADER_EPOCH_OFFSET = LENGTH_OFFSET + LENGTH_LENGTH;
export const PARTITION_LEADER_EPOCH_LENGTH = 4;
export const MAGIC_OFFSET = PARTITION_LEADER_EPOCH_OFFSET + PARTITION_LEADER_EPOCH_LENGTH;
export const MAGIC_LENGTH = 1;
export const CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
export const CRC_LENGTH = 4;
export const ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
export const ATTRIBUTES_LENGTH = 2;
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
export const LAST_OFFSET_DELTA_LENGTH = 4;
export const BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
export const BASE_TIMESTAMP_LENGTH = 8;
export const MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + BASE_TIMESTAMP_LENGTH;
export const MAX_TIMESTAMP_LENGTH = 8;
export const PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
export const PRODUCER_ID_LENGTH = 8;
export const PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_LENGTH;
export const PRODUCER_EPOCH_LENGTH = 2;
export const BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + PRODUCER_EPOCH_LENGTH;
export const BASE_SEQUENCE_LENGTH = 4;
export const RECORDS_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + BASE_SEQUENCE_LENGTH;
export const RECORDS_COUNT_LENGTH = 4;
export const RECORDS_OFFSET = RECORDS_COUNT_OFFSET + RECORDS_COUNT_LENGTH;
/** Size of the batch header; the smallest possible batch (no records). */
export const RECORD_BATCH_OVERHEAD = RECORDS_OFFSET;
/** Bytes before `batchLength` counts: base offset and the length field itself. */
export const LOG_OVERHEAD = LENGTH_OFFSET + LENGTH_LENGTH;

export const MAGIC_V2 = 2;

// Attribute bits.
export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

/** Kafka's compression codec ids (attributes bits 0-2). */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionCodec;
export type CompressionId = (typeof CompressionCodec)[CompressionName];

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;

/** "No producer" sentinel values of producerId / producerEpoch / baseSequence. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

function readInt64(buf: Buffer, at: number, field: string): number {
  const hi = buf.readInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  const v = hi * 0x1_0000_0000 + lo;
  if (!Number.isSafeInteger(v)) {
    throw new TributaryError('INVALID_BATCH', `${field} ${buf.readBigInt64BE(at)} is outside the safe integer range`, { field });
  }
  return v;
}

function writeInt64(buf: Buffer, at: number, v: number): void {
  buf.writeBigInt64BE(BigInt(v), at);
}

export interface ValidateOptions {
  /** Largest accepted total size (the topic's max.message.bytes). */
  maxBytes?: number;
  /**
   * A batch straight from a producer: offset deltas must be dense (lastOffsetDelta ==
   * recordCount - 1) and it must hold at least one record. Batches re-appended from a log
   * (compaction, replication) may have gaps and are checked with `producer: false`.
   */
  producer?: boolean;
}

/**
 * Size in bytes of the batch that starts at `pos`, judged from its length field alone, or -1
 * if fewer than LOG_OVERHEAD bytes remain or the length is impossible. Used to walk a log.
 */
export function batchSizeAt(buf: Buffer, pos: number, end = buf.length): number {
  if (end - pos < LOG_OVERHEAD) return -1;
  const len = buf.readInt32BE(pos + LENGTH_OFFSET);
  if (len < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD || len > batchBytesMax) return -1;
  return LOG_OVERHEAD + len;
}

/** A view over one stored RecordBatch v2. Never copies. */
export class DeflatedBatch {
  readonly bytes: Buffer;

  /** `bytes` must hold exactly one batch; use `DeflatedBatch.at` to carve one out of a log. */
  constructor(bytes: Buffer) {
    if (bytes.length < RECORD_BATCH_OVERHEAD) {
      throw new TributaryError('INVALID_BATCH', `batch of ${bytes.length} bytes is shorter than the ${RECORD_BATCH_OVERHEAD}-byte header`, {
        size: bytes.length,
      });
    }
    this.bytes = bytes;
  }

  /** The batch starting at `pos` in `buf` (a zero-copy slice), or null if incomplete or impossible. */
  static at(buf: Buffer, pos: number, end = buf.length): DeflatedBatch | null {
    const size = batchSizeAt(buf, pos, end);
    if (size < 0 || pos + size > end) return null;
    return new DeflatedBatch(buf.subarray(pos, pos + size));
  }

  /** Every whole batch in `buf`, in order; stops at the first incomplete one. */
  static *all(buf: Buffer): Generator<DeflatedBatch> {
    let pos = 0;
    for (;;) {
      const b = DeflatedBatch.at(buf, pos);
      if (!b) return;
      yield b;
      pos += b.sizeInBytes;
    }
  }

  get sizeInBytes(): number {
    return this.bytes.length;
  }
  get baseOffset(): number {
    return readInt64(this.bytes, BASE_OFFSET_OFFSET, 'baseOffset');
  }
  get batchLength(): number {
    return this.bytes.readInt32BE(LENGTH_OFFSET);
  }
  get partitionLeaderEpoch(): number {
    return this.bytes.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.bytes.readInt8(MAGIC_OFFSET);
  }
  get crc(): number {
    return this.bytes.readUInt32BE(CRC_OFFSET);
  }
  get attributes(): number {
    return this.bytes.readInt16BE(ATTRIBUTES_OFFSET);
  }
  get compression(): number {
    return this.attributes & COMPRESSION_CODEC_MASK;
  }
  get timestampType(): 0 | 1 {
    return this.attributes & TIMESTAMP_TYPE_MASK ? 1 : 0;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_FLAG_MASK) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_FLAG_MASK) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.bytes.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
  }
  get baseTimestamp(): number {
    return readInt64(this.bytes, BASE_TIMESTAMP_OFFSET, 'baseTimestamp');
  }
  get maxTimestamp(): number {
    return readInt64(this.bytes, MAX_TIMESTAMP_OFFSET, 'maxTimestamp');
  }
  get producerId(): number {
    return readInt64(this.bytes, PRODUCER_ID_OFFSET, 'producerId');
  }
  get producerEpoch(): number {
    return this.bytes.readInt16BE(PRODUCER_EPOCH_OFFSET);
  }
  get baseSequence(): number {
    return this.bytes.readInt32BE(BASE_SEQUENCE_OFFSET);
  }
  get recordCount(): number {
    return this.bytes.readInt32BE(RECORDS_COUNT_OFFSET);
  }
  /** The offset of the batch's last record. */
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  /** The offset the next batch in the log gets. */
  get nextOffset(): number {
    return this.baseOffset + this.lastOffsetDelta + 1;
  }
  /** The records section: compressed bytes when `compression !== 0`. */
  get recordsBytes(): Buffer {
    return this.bytes.subarray(RECORDS_OFFSET);
  }

  /** CRC-32C of the covered range, as it should be stored. */
  computeCrc(): number {
    return crc32c(this.bytes.subarray(ATTRIBUTES_OFFSET));
  }

  /** Throws CORRUPT_BATCH, naming both values, when the stored CRC is wrong. */
  verifyCrc(): void {
    const stored = this.crc;
    const computed = this.computeCrc();
    if (stored !== computed) {
      throw new TributaryError(
        'CORRUPT_BATCH',
        `record batch CRC mismatch: stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}`,
        { stored, computed, baseOffset: this.bytes.readBigInt64BE(0).toString() },
      );
    }
  }

  /**
   * Structural checks (no CRC): length field matches the buffer, magic 2, sane counts and
   * deltas, size within `maxBytes`. Throws INVALID_BATCH or BATCH_TOO_LARGE.
   */
  validate(opts: ValidateOptions = {}): void {
    const size = this.bytes.length;
    const maxBytes = opts.maxBytes ?? batchBytesMax;
    if (size > maxBytes) {
      throw new TributaryError('BATCH_TOO_LARGE', `record batch of ${size} bytes exceeds the limit of ${maxBytes}`, { size, maxBytes });
    }
    const fail = (msg: string, ctx: Record<string, unknown> = {}): never => {
      throw new TributaryError('INVALID_BATCH', msg, ctx);
    };
    if (this.batchLength !== size - LOG_OVERHEAD) fail(`batchLength ${this.batchLength} does not match the ${size - LOG_OVERHEAD} bytes present`);
    if (this.magic !== MAGIC_V2) fail(`unsupported record batch magic ${this.magic} (only 2 is supported)`, { magic: this.magic });
    const count = this.recordCount;
    const lastDelta = this.lastOffsetDelta;
    if (count < 0 || count > batchRecordsMax) fail(`record count ${count} is out of range`, { count });
    if (lastDelta < 0) fail(`lastOffsetDelta ${lastDelta} is negative`, { lastDelta });
    if (count > lastDelta + 1) fail(`record count ${count} exceeds lastOffsetDelta + 1 = ${lastDelta + 1}`, { count, lastDelta });
    if (opts.producer) {
      if (count === 0) fail('a produced record batch must hold at least one record');
      if (lastDelta !== count - 1) fail(`lastOffsetDelta ${lastDelta} != recordCount - 1 = ${count - 1}`, { count, lastDelta });
    }
    if (this.compression === CompressionCodec.none) {
      // Each record takes at least 7 bytes (length, attributes, 3 varints, 2 nullable lengths).
      if (count * 7 > size - RECORD_BATCH_OVERHEAD) fail(`record count ${count} cannot fit in ${size - RECORD_BATCH_OVERHEAD} bytes of records`);
    }
    // Range checks on int64 fields (throw INVALID_BATCH when unsafe).
    void this.baseOffset;
    void this.baseTimestamp;
    void this.maxTimestamp;
    void this.producerId;
  }

  /** Stamp the base offset in place (outside the CRC range). */
  setBaseOffset(offset: number): void {
    writeInt64(this.bytes, BASE_OFFSET_OFFSET, offset);
  }

  /** Stamp the partition leader epoch in place (outside the CRC range). */
  setPartitionLeaderEpoch(epoch: number): void {
    this.bytes.writeInt32BE(epoch, PARTITION_LEADER_EPOCH_OFFSET);
  }

  /**
   * Mark the batch as LogAppendTime with `timestamp` as its max timestamp, as Kafka does
   * for topics with message.timestamp.type=LogAppendTime. Both fields are inside the CRC
   * range, so the CRC is recomputed.
   */
  setLogAppendTime(timestamp: number): void {
    this.bytes.writeUInt16BE((this.attributes | TIMESTAMP_TYPE_MASK) & 0xffff, ATTRIBUTES_OFFSET);
    writeInt64(this.bytes, MAX_TIMESTAMP_OFFSET, timestamp);
    this.bytes.writeUInt32BE(this.computeCrc(), CRC_OFFSET);
  }
}
