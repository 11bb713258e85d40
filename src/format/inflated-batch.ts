/**
 * An inflated batch: a RecordBatch v2 with its records decoded (and decompressed), for
 * the places that need records rather than bytes (clients, compaction, tests). Storage
 * never needs one: it appends and serves DeflatedBatch views.
 *
 * decodeBatch always checks structure and CRC first ("never skip a CRC check on read"),
 * then decodes exactly `recordCount` records, which must fill the (inflated) records
 * section. Keys, values and header values are zero-copy views into the batch bytes (or
 * into the inflated buffer), so they live as long as those bytes and change with them.
 *
 * Record timestamps are absolute: baseTimestamp + timestampDelta for CreateTime batches;
 * for LogAppendTime batches every record carries the batch's maxTimestamp, the time the
 * log appended it (Kafka DefaultRecordBatch does the same).
 */
import { TributaryError } from '../errors.js';
import { inflatedBytesMax } from '../limits.js';
import { decompress } from './compression/index.js';
import type { CompressionName, DeflatedBatch } from './record-batch.js';
import { CompressionCodec, RECORDS_OFFSET, TimestampType } from './record-batch.js';
import type { RecordHeader } from './records.js';
import { decodeRecords } from './records.js';

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  /** null is a tombstone. */
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Header fields named as in BatchInput, so an inflated batch can be re-encoded. */
export interface InflatedBatch {
  baseOffset: number;
  partitionLeaderEpoch: number;
  crc: number;
  compression: CompressionName;
  timestampType: 0 | 1;
  transactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: DecodedRecord[];
}

const CODEC_NAMES = Object.keys(CompressionCodec) as CompressionName[];

/** Validates, CRC-checks and decodes `batch`. */
export function decodeBatch(batch: DeflatedBatch): InflatedBatch {
  batch.validate();
  batch.verifyCrc();
  const codecId = batch.compression;
  const compression = CODEC_NAMES[codecId];
  if (compression === undefined) {
    throw new TributaryError('UNSUPPORTED_COMPRESSION', `unknown compression codec id ${codecId}`, { codec: codecId });
  }
  const count = batch.recordCount;
  const data =
    codecId === CompressionCodec.none
      ? decodeRecords(batch.bytes, count, RECORDS_OFFSET)
      : decodeRecords(decompress(codecId, batch.recordsBytes, inflatedBytesMax), count);

  const baseOffset = batch.baseOffset;
  const baseTimestamp = batch.baseTimestamp;
  const maxTimestamp = batch.maxTimestamp;
  const timestampType = batch.timestampType;
  const lastOffsetDelta = batch.lastOffsetDelta;
  const records = new Array<DecodedRecord>(count);
  for (let i = 0; i < count; i++) {
    const r = data[i]!;
    if (r.offsetDelta < 0 || r.offsetDelta > lastOffsetDelta) {
      throw new TributaryError('INVALID_BATCH', `record ${i} has offsetDelta ${r.offsetDelta} outside [0, ${lastOffsetDelta}]`, { index: i });
    }
    const timestamp = timestampType === TimestampType.LogAppendTime ? maxTimestamp : baseTimestamp + r.timestampDelta;
    if (!Number.isSafeInteger(timestamp)) throw new TributaryError('INVALID_BATCH', `record ${i} timestamp is outside the safe integer range`, { index: i });
    records[i] = { offset: baseOffset + r.offsetDelta, timestamp, key: r.key, value: r.value, headers: r.headers };
  }
  return {
    baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    crc: batch.crc,
    compression,
    timestampType,
    transactional: batch.isTransactional,
    isControl: batch.isControl,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    records,
  };
}
