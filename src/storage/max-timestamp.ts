/**
 * Kafka's ListOffsets MAX_TIMESTAMP (timestamp -3, ListOffsets v7+, KIP-734) over a
 * partition's segments: the record with the largest timestamp, and that timestamp.
 *
 * Kafka's way (UnifiedLog.fetchOffsetByTimestamp): take the segment whose max timestamp is
 * the largest, the earliest segment on ties (each segment keeps maxTimestamp and
 * offsetOfMaxTimestamp, the last offset of the first batch that reached it), then in the
 * first batch of that segment whose max timestamp equals it, the first record carrying it
 * (every record of a LogAppendTime batch carries the batch's time, so that is its first
 * record).
 *
 * One difference: Kafka looks at whole segments, so after a DeleteRecords it can answer an
 * offset below the log start offset, which a consumer then cannot fetch. Here the segment
 * holding the log start offset counts only its batches from there on, the one batch
 * straddling it record by record.
 *
 * The answer is not bounded by the high watermark: the caller applies Kafka's rule (an
 * answer at or above the last fetchable offset means "none"). Cost: the headers of at most
 * one segment (the one holding the log start offset, when it starts below it) and at most
 * two inflated batches, in-thread: a rare admin query. Read-only; safe whenever reads are.
 */
import { decodeBatch } from '../format/inflated-batch.js';
import { DeflatedBatch } from '../format/record-batch.js';
import type { BatchHeader, LogSegment } from './log-segment.js';

export interface MaxTimestampResult {
  offset: number;
  timestamp: number;
}

/**
 * The record with the largest timestamp (>= 0) at or after `logStartOffset` in `segments`
 * (oldest first, the first one holding `logStartOffset`); null when none has a timestamp.
 */
export function findMaxTimestamp(segments: readonly LogSegment[], logStartOffset: number): MaxTimestampResult | null {
  let best: { seg: LogSegment; timestamp: number; batch: BatchHeader | null } | null = null;
  for (const seg of segments) {
    if (seg.nextOffset <= logStartOffset) continue;
    const head = seg.baseOffset < logStartOffset ? maxBatchFrom(seg, logStartOffset) : { timestamp: seg.maxTimestamp, batch: null };
    if (head === null || head.timestamp < 0) continue;
    if (best === null || head.timestamp > best.timestamp) best = { seg, ...head };
  }
  if (best === null) return null;
  const { seg, timestamp } = best;
  let h = best.batch;
  if (h === null) {
    h = seg.findBatch(seg.offsetOfMaxTimestamp);
    if (h === null || h.maxTimestamp !== timestamp) h = firstBatchWithMaxTimestamp(seg, timestamp);
    if (h === null) return null; // the segment's bookkeeping disagrees with its batches
  }
  return maxRecordIn(readBatch(seg, h), logStartOffset);
}

/**
 * The largest max timestamp among `seg`'s batches holding offsets >= `from` and the first
 * batch reaching it; the batch straddling `from` counts only its records from `from` on.
 */
function maxBatchFrom(seg: LogSegment, from: number): { timestamp: number; batch: BatchHeader } | null {
  const first = seg.findBatch(from);
  if (first === null) return null;
  let best: { timestamp: number; batch: BatchHeader } | null = null;
  for (const h of seg.walk(first.position)) {
    const ts = h.baseOffset < from ? (maxRecordIn(readBatch(seg, h), from)?.timestamp ?? -1) : h.maxTimestamp;
    if (best === null || ts > best.timestamp) best = { timestamp: ts, batch: h };
  }
  return best;
}

function firstBatchWithMaxTimestamp(seg: LogSegment, timestamp: number): BatchHeader | null {
  for (const b of seg.walk(0)) if (b.maxTimestamp === timestamp) return b;
  return null;
}

function readBatch(seg: LogSegment, h: BatchHeader): DeflatedBatch {
  return new DeflatedBatch(seg.log.read(h.position, h.size));
}

/**
 * The record at or after `from` with the largest timestamp in `batch`, the first on ties
 * (decodeBatch checks the CRC and inflates a compressed batch). Null when none has one >= 0.
 */
function maxRecordIn(batch: DeflatedBatch, from: number): MaxTimestampResult | null {
  let best: MaxTimestampResult | null = null;
  for (const r of decodeBatch(batch).records) {
    if (r.offset >= from && (best === null || r.timestamp > best.timestamp)) best = { offset: r.offset, timestamp: r.timestamp };
  }
  return best !== null && best.timestamp >= 0 ? best : null;
}
