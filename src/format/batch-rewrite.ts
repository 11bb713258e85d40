/**
 * The record pass a broker runs over a produced batch when the topic asks for more than the
 * batch header (Kafka's LogValidator, for magic 2): per-record rules, and recompression into
 * the topic's codec (compression.type other than `producer`).
 *
 *   1. Structure and CRC-32C are checked first: a rewritten batch gets a new CRC, which must
 *      never cover bytes that arrived corrupt.
 *   2. The records section is inflated (bounded by inflatedBytesMax) and every record decoded.
 *   3. Rules, per record, in Kafka's order: a compacted topic needs a key (INVALID_RECORD,
 *      "Compacted topic cannot accept message without key"); a CreateTime timestamp must lie
 *      within [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms]
 *      (INVALID_TIMESTAMP). Control batches carry no user records and skip the key rule.
 *      Every failing record is listed (KIP-467: ProduceResponse v8+ `record_errors`, each with
 *      its index in the batch and a message), and the whole batch is rejected: Kafka never
 *      appends part of a batch.
 *   4. Recompression, when the topic's codec differs from the batch's: the uncompressed records
 *      section is exactly the concatenation of the records, so it is compressed as is into the
 *      target codec. Every record keeps its bytes (attributes, timestamp and offset deltas, key,
 *      value, headers), and every header field is copied (base offset, leader epoch, last
 *      offset delta, timestamps, producer id/epoch, base sequence, record count, the
 *      timestamp-type, transactional and control bits); only the codec bits, the length and
 *      the CRC change. As in Kafka, an uncompressed control batch stays uncompressed.
 *
 * Pure and synchronous: the storage engine runs it on the worker pool for large batches and
 * in-thread for small ones (src/workers/pool.ts, `rewriteBatch`).
 */
import { TributaryError } from '../errors.js';
import { batchBytesMax, inflatedBytesMax, recordErrorsMax } from '../limits.js';
import { compress, decompress, isCodecSupported } from './compression/index.js';
import { crc32c } from './crc32c.js';
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_CODEC_MASK,
  CRC_OFFSET,
  CompressionCodec,
  DeflatedBatch,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORDS_OFFSET,
  TimestampType,
} from './record-batch.js';
import { decodeRecords } from './records.js';

/** Kafka's names for codec ids, for messages. */
const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
/** A record timestamp of -1: none given (Kafka RecordBatch.NO_TIMESTAMP), never range-checked. */
const NO_TIMESTAMP = -1;
/** Kafka's partition error message lists at most this many record errors (LogValidator.processRecordErrors). */
const MESSAGE_ERRORS_SHOWN = 3;

export interface RecordRules {
  /** Every record needs a key (the topic's cleanup.policy includes compact). */
  requireKeys: boolean;
  /** Accepted CreateTime timestamps, inclusive, in ms; null: no check (LogAppendTime topics, unbounded windows). */
  timestampRange: { min: number; max: number } | null;
  /** Codec id the stored batch must have; null keeps the producer's (compression.type=producer). */
  targetCodec: number | null;
  /** compression.<codec>.level for the target codec; undefined: the codec's default. */
  level?: number;
  /** The topic-partition, named in record error messages as Kafka names it ("orders-0"). */
  partition: string;
}

/** One rejected record (Kafka's RecordError; ProduceResponse `record_errors` entry). */
export interface RecordError {
  /** Index of the record in its batch. */
  batchIndex: number;
  message: string;
}

export interface RewriteResult {
  /** The batch to append: the input itself when nothing changed, else a new buffer. */
  bytes: Buffer;
  /** True when the records were recompressed into the target codec. */
  recompressed: boolean;
}

/** The codec a batch of `codec` is stored with under `rules` (an uncompressed control batch stays uncompressed). */
export function storedCodec(codec: number, isControl: boolean, rules: Pick<RecordRules, 'targetCodec'>): number {
  if (rules.targetCodec === null) return codec;
  if (codec === CompressionCodec.none && isControl) return codec;
  return rules.targetCodec;
}

/** Whether `batch` needs the record pass under `rules` at all; the header alone decides. */
export function needsRecordPass(batch: DeflatedBatch, rules: RecordRules): boolean {
  return rules.requireKeys || rules.timestampRange !== null || storedCodec(batch.compression, batch.isControl, rules) !== batch.compression;
}

/**
 * Checks `bytes` (one RecordBatch v2, CRC not yet verified) against `rules` and returns the
 * batch to store. Throws CORRUPT_BATCH, INVALID_BATCH (structure, or record errors in
 * `context.recordErrors`), INVALID_TIMESTAMP (with `context.recordErrors`),
 * UNSUPPORTED_COMPRESSION (a codec this build lacks, source or target), CORRUPT_COMPRESSED_DATA,
 * LIMIT_EXCEEDED (inflates past inflatedBytesMax) or BATCH_TOO_LARGE (recompressed past batchBytesMax).
 */
export function rewriteBatch(bytes: Buffer, rules: RecordRules): RewriteResult {
  const batch = new DeflatedBatch(bytes);
  batch.validate();
  batch.verifyCrc();
  const source = batch.compression;
  const target = storedCodec(source, batch.isControl, rules);
  if (target !== source && !isCodecSupported(target)) {
    const name = CODEC_NAMES[target] ?? String(target);
    throw new TributaryError('UNSUPPORTED_COMPRESSION', `topic ${rules.partition} stores ${name} batches (compression.type=${name}), a codec this build cannot compress`, { codec: target });
  }
  const raw = source === CompressionCodec.none ? batch.recordsBytes : decompress(source, batch.recordsBytes, inflatedBytesMax);
  checkRecords(batch, raw, rules);
  if (target === source) return { bytes, recompressed: false };

  const body = target === CompressionCodec.none ? raw : compress(target, raw, rules.level);
  const size = RECORDS_OFFSET + body.length;
  if (size > batchBytesMax) {
    throw new TributaryError('BATCH_TOO_LARGE', `record batch of ${size} bytes after recompression exceeds the limit of ${batchBytesMax}`, { size, maxBytes: batchBytesMax });
  }
  const out = Buffer.allocUnsafe(size);
  bytes.copy(out, 0, 0, RECORDS_OFFSET);
  body.copy(out, RECORDS_OFFSET);
  out.writeInt32BE(size - LOG_OVERHEAD, LENGTH_OFFSET);
  out.writeUInt16BE(((batch.attributes & ~COMPRESSION_CODEC_MASK) | target) & 0xffff, ATTRIBUTES_OFFSET);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return { bytes: out, recompressed: true };
}

/** Decodes every record of `raw` (the inflated records section) and throws if any breaks a rule. */
function checkRecords(batch: DeflatedBatch, raw: Buffer, rules: RecordRules): void {
  const records = decodeRecords(raw, batch.recordCount);
  const requireKeys = rules.requireKeys && !batch.isControl;
  const range = rules.timestampRange;
  if (!requireKeys && range === null) return;
  const logAppendTime = batch.timestampType === TimestampType.LogAppendTime;
  const baseTimestamp = batch.baseTimestamp;
  const maxTimestamp = batch.maxTimestamp;
  const errors: RecordError[] = [];
  let badTimestamp = false;
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let message: string | null = null;
    if (requireKeys && r.key === null) {
      message = `Compacted topic cannot accept message without key in topic partition ${rules.partition}.`;
    } else if (range !== null) {
      const ts = logAppendTime ? maxTimestamp : baseTimestamp + r.timestampDelta;
      if (ts !== NO_TIMESTAMP && (ts < range.min || ts > range.max)) {
        badTimestamp = true;
        message = `Timestamp ${ts} of message with offset ${r.offsetDelta} is out of range. The timestamp should be within [${range.min}, ${range.max}]`;
      }
    }
    if (message === null) continue;
    total++;
    // The list is bounded; records past the bound still fail, as part of the rejected batch.
    if (errors.length < recordErrorsMax) errors.push({ batchIndex: i, message });
  }
  if (total === 0) return;
  if (badTimestamp) {
    throw new TributaryError('INVALID_TIMESTAMP', 'One or more records have been rejected due to invalid timestamp', { recordErrors: errors, total });
  }
  const shown = errors
    .slice(0, MESSAGE_ERRORS_SHOWN)
    .map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
    .join(', ');
  throw new TributaryError('INVALID_BATCH', `One or more records have been rejected due to ${total} record errors in total, and only showing the first three errors at most: [${shown}]`, {
    recordErrors: errors,
    total,
  });
}
