/**
 * The produce-time rule of compacted topics: every record needs a key (Kafka's LogValidator
 * answers INVALID_RECORD with "Compacted topic cannot accept message without key"). The
 * records are decoded to check, compressed ones inflated in-thread (bounded by the topic's
 * max.message.bytes on the way in and inflatedBytesMax on the way out), as Kafka's broker
 * also decompresses batches for compacted topics. A codec this process cannot inflate (zstd
 * when no zstd backend loaded, format/compression/zstd.ts) cannot be checked and is rejected
 * with UNSUPPORTED_COMPRESSION.
 */
import { TributaryError } from '../errors.js';
import { decompress } from '../format/compression/index.js';
import { CompressionCodec, RECORDS_OFFSET } from '../format/record-batch.js';
import type { DeflatedBatch } from '../format/record-batch.js';
import { decodeRecords } from '../format/records.js';
import { inflatedBytesMax } from '../limits.js';

/** Throws INVALID_BATCH when a record of `batch` (CRC already checked) has a null key. */
export function requireRecordKeys(batch: DeflatedBatch): void {
  if (batch.isControl) return;
  const codec = batch.compression;
  const records =
    codec === CompressionCodec.none
      ? decodeRecords(batch.bytes, batch.recordCount, RECORDS_OFFSET)
      : decodeRecords(decompress(codec, batch.recordsBytes, inflatedBytesMax), batch.recordCount);
  const i = records.findIndex((r) => r.key === null);
  if (i >= 0) {
    throw new TributaryError('INVALID_BATCH', `compacted topic cannot accept a record without a key (record ${i} of the batch)`, { index: i });
  }
}
