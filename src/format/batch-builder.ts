/**
 * Building a RecordBatch v2 from records (the producer side; see record-batch.ts for the
 * layout). Offsets inside the batch are dense (record i gets offsetDelta i, as producers
 * write them); the log stamps the real base offset later with DeflatedBatch.setBaseOffset.
 *
 * Timestamps: a record without one gets the time of the call. baseTimestamp is the first
 * record's timestamp and maxTimestamp the largest, as Kafka's MemoryRecordsBuilder sets them;
 * each record stores its difference from baseTimestamp (which may be negative).
 *
 * Defaults follow the Java producer: no producer id/epoch/sequence (-1) and no partition
 * leader epoch (-1). Uncompressed records are written straight into the batch buffer; a
 * compressed batch encodes its records once, compresses them, then copies them in once.
 * The finished batch is checked (structure and CRC) before it is returned.
 */
import { TributaryError } from '../errors.js';
import { batchBytesMax, batchRecordsMax } from '../limits.js';
import { compress } from './compression/index.js';
import { crc32c } from './crc32c.js';
import type { CompressionName } from './record-batch.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  CompressionCodec,
  DeflatedBatch,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  TimestampType,
} from './record-batch.js';
import type { RecordData, RecordHeader } from './records.js';
import { encodeRecords, recordBodySize, writeRecord } from './records.js';
import { varintSize } from './varint.js';

/** Partition leader epoch of a batch no leader has stamped yet (Kafka NO_PARTITION_LEADER_EPOCH). */
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface RecordInput {
  key?: Buffer | null;
  /** null is a tombstone. */
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Milliseconds since the epoch; default: the time encodeBatch is called. */
  timestamp?: number;
}

export interface BatchInput {
  records: RecordInput[];
  /** Default 0: producers send 0 and the log assigns the real offset. */
  baseOffset?: number;
  /** Default 'none'. zstd needs a zstd backend (compression/zstd.ts): UNSUPPORTED_COMPRESSION without one. */
  compression?: CompressionName;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  /** 0 = CreateTime (default), 1 = LogAppendTime. */
  timestampType?: 0 | 1;
}

function invalid(message: string, context: Record<string, unknown> = {}): never {
  throw new TributaryError('INVALID_ARGUMENT', message, context);
}

function checkInt(v: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < min || v > max) invalid(`${field} ${v} is out of range [${min}, ${max}]`, { field, value: v });
  return v;
}

function writeInt64(buf: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / 0x1_0000_0000);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * 0x1_0000_0000, at + 4);
}

/** Encodes `input` as one RecordBatch v2 with its CRC-32C set. */
export function encodeBatch(input: BatchInput): Buffer {
  const inputs = input.records;
  const count = inputs.length;
  if (count === 0) invalid('a record batch needs at least one record');
  if (count > batchRecordsMax) invalid(`${count} records exceed the limit of ${batchRecordsMax} per batch`, { count });
  const codecName = input.compression ?? 'none';
  const codecId = CompressionCodec[codecName];
  if (codecId === undefined) invalid(`unknown compression ${String(codecName)}`);
  const baseOffset = checkInt(input.baseOffset ?? 0, 0, Number.MAX_SAFE_INTEGER, 'baseOffset');
  const producerId = checkInt(input.producerId ?? NO_PRODUCER_ID, -1, Number.MAX_SAFE_INTEGER, 'producerId');
  const producerEpoch = checkInt(input.producerEpoch ?? NO_PRODUCER_EPOCH, -1, 0x7fff, 'producerEpoch');
  const baseSequence = checkInt(input.baseSequence ?? NO_SEQUENCE, -1, 0x7fff_ffff, 'baseSequence');
  const leaderEpoch = checkInt(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, -1, 0x7fff_ffff, 'partitionLeaderEpoch');
  const timestampType = input.timestampType ?? TimestampType.CreateTime;
  if (timestampType !== 0 && timestampType !== 1) invalid(`timestampType ${String(timestampType)} is not 0 or 1`);

  const now = Date.now();
  const baseTimestamp = inputs[0]!.timestamp ?? now;
  let maxTimestamp = -Infinity;
  const records = new Array<RecordData>(count);
  for (let i = 0; i < count; i++) {
    const r = inputs[i]!;
    const ts = r.timestamp ?? now;
    if (!Number.isSafeInteger(ts)) invalid(`record ${i} timestamp ${ts} is not a safe integer`, { index: i });
    if (ts > maxTimestamp) maxTimestamp = ts;
    records[i] = { attributes: 0, timestampDelta: ts - baseTimestamp, offsetDelta: i, key: r.key ?? null, value: r.value, headers: r.headers ?? [] };
  }

  let buf: Buffer;
  if (codecId === CompressionCodec.none) {
    // Size every record once, then write them straight into the batch.
    const bodies = new Array<number>(count);
    let size = RECORDS_OFFSET;
    for (let i = 0; i < count; i++) {
      const body = recordBodySize(records[i]!);
      bodies[i] = body;
      size += varintSize(body) + body;
    }
    if (size > batchBytesMax) tooLarge(size);
    buf = Buffer.allocUnsafe(size);
    let pos = RECORDS_OFFSET;
    for (let i = 0; i < count; i++) pos = writeRecord(buf, pos, records[i]!, bodies[i]!);
  } else {
    const compressed = compress(codecId, encodeRecords(records));
    const size = RECORDS_OFFSET + compressed.length;
    if (size > batchBytesMax) tooLarge(size);
    buf = Buffer.allocUnsafe(size);
    compressed.copy(buf, RECORDS_OFFSET);
  }

  let attributes = codecId & COMPRESSION_CODEC_MASK;
  if (timestampType === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (input.transactional) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (input.isControl) attributes |= CONTROL_FLAG_MASK;

  writeInt64(buf, BASE_OFFSET_OFFSET, baseOffset);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, LENGTH_OFFSET);
  buf.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(MAGIC_V2, MAGIC_OFFSET);
  buf.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  buf.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(buf, BASE_TIMESTAMP_OFFSET, baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  writeInt64(buf, PRODUCER_ID_OFFSET, producerId);
  buf.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);

  // Assert the batch right before it leaves: other clients and our own log will reject it
  // if any of the above is wrong, and it is far cheaper to learn that here.
  new DeflatedBatch(buf).validate({ producer: true });
  return buf;
}

function tooLarge(size: number): never {
  throw new TributaryError('BATCH_TOO_LARGE', `record batch of ${size} bytes exceeds the limit of ${batchBytesMax}`, { size, maxBytes: batchBytesMax });
}
