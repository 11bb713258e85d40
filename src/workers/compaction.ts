/**
 * The heavy half of log compaction (Kafka's Cleaner.doClean): build a key -> latest offset
 * map over the dirty segments, then rewrite each segment keeping, per key, only the record
 * with the latest offset. Runs inside worker.ts when the storage engine has a pool, and on
 * the calling thread otherwise; it reads and writes files by path and touches no storage
 * state, so the event loop never waits on it. storage/log-cleaner.ts plans the pass and
 * swaps the results in.
 *
 * Rules (docs/storage.md "Compaction"):
 *  - A record is dropped when the map holds a later offset for its key, or when it has no
 *    key (Kafka's cleaner drops those too; appends to compacted topics reject them).
 *  - A tombstone (null value) is kept until its batch's delete horizon has passed. The
 *    horizon is Kafka 3.x's: the first time a batch with a tombstone is rewritten, attribute
 *    bit 0x40 is set and baseTimestamp becomes now + delete.retention.ms; record timestamp
 *    deltas are shifted so every record keeps its timestamp.
 *  - A rewritten batch keeps its base offset, lastOffsetDelta (so its next offset), leader
 *    epoch, producer id/epoch/base sequence, timestamp type and codec; surviving records
 *    keep their offset deltas and attributes. maxTimestamp is recomputed from the survivors
 *    for CreateTime batches (as Kafka's builder does) and kept for LogAppendTime ones. A
 *    batch left without records disappears. Control batches, and batches whose codec this
 *    process cannot decode (zstd when no zstd backend loaded), are kept verbatim and
 *    contribute no keys.
 *  - A segment in which nothing changes is not written. A changed one is written whole to
 *    its `cleanedPath` and fsync'ed; the caller builds its indexes from the returned table.
 *
 * Every batch read is CRC-checked; every batch written is validated and CRC-stamped right
 * before it is written. A segment that does not parse to exactly its size throws
 * CORRUPT_BATCH (it changed under us, or is damaged): the pass is abandoned.
 */
import fs from 'node:fs';
import { TributaryError, isTributaryError, storageIoError } from '../errors.js';
import { decompress, compress } from '../format/compression/index.js';
import { crc32c } from '../format/crc32c.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  CRC_OFFSET,
  CompressionCodec,
  DELETE_HORIZON_FLAG_MASK,
  DeflatedBatch,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  TimestampType,
} from '../format/record-batch.js';
import type { RecordData } from '../format/records.js';
import { decodeRecords, encodeRecords } from '../format/records.js';
import { inflatedBytesMax } from '../limits.js';
import type { CleanedSegment, CompactResult, CompactTask } from './tasks.js';

/** Bytes gathered before one write of a cleaned segment. */
const WRITE_CHUNK_BYTES = 1 << 20;

/** The records of a batch, CRC-checked and inflated; null for batches kept verbatim (control, undecodable codec). */
function recordsOf(batch: DeflatedBatch): RecordData[] | null {
  batch.validate();
  batch.verifyCrc();
  if (batch.isControl) return null;
  const codec = batch.compression;
  try {
    if (codec === CompressionCodec.none) return decodeRecords(batch.bytes, batch.recordCount, RECORDS_OFFSET);
    return decodeRecords(decompress(codec, batch.recordsBytes, inflatedBytesMax), batch.recordCount);
  } catch (err) {
    if (isTributaryError(err, 'UNSUPPORTED_COMPRESSION')) return null;
    throw err;
  }
}

function readSegment(path: string, size: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw storageIoError(`open ${path}`, err, { path });
  }
  try {
    const buf = Buffer.allocUnsafeSlow(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, buf, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    if (done !== size) throw new TributaryError('CORRUPT_BATCH', `segment ${path} has ${done} bytes, expected ${size}`, { path, size, read: done });
    return buf;
  } catch (err) {
    if (isTributaryError(err)) throw err;
    throw storageIoError(`read ${path}`, err, { path });
  } finally {
    fs.closeSync(fd);
  }
}

/** Every batch of a segment's bytes; throws CORRUPT_BATCH unless they fill it exactly. */
function* batchesOf(buf: Buffer, path: string): Generator<DeflatedBatch> {
  let pos = 0;
  while (pos < buf.length) {
    const b = DeflatedBatch.at(buf, pos);
    if (!b) throw new TributaryError('CORRUPT_BATCH', `unreadable batch at position ${pos} of ${path}`, { path, position: pos });
    yield b;
    pos += b.sizeInBytes;
  }
}

const keyOf = (key: Buffer): string => key.toString('latin1');

/**
 * Re-encodes `batch` with only `keep` (a subset of its records, in order), the delete
 * horizon `horizon` (-1: none), same codec and header fields. Validated before returning.
 */
export function rewriteBatch(batch: DeflatedBatch, keep: RecordData[], horizon: number): Buffer {
  const oldBase = batch.baseTimestamp;
  const newBase = horizon >= 0 ? horizon : oldBase;
  let maxTs = -Infinity;
  const records = keep.map((r) => {
    const ts = oldBase + r.timestampDelta;
    if (ts > maxTs) maxTs = ts;
    return newBase === oldBase ? r : { ...r, timestampDelta: ts - newBase };
  });
  const plain = encodeRecords(records);
  const codec = batch.compression;
  const body = codec === CompressionCodec.none ? plain : compress(codec, plain);
  const out = Buffer.allocUnsafe(RECORDS_OFFSET + body.length);
  batch.bytes.copy(out, 0, 0, RECORDS_OFFSET);
  body.copy(out, RECORDS_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, LENGTH_OFFSET);
  const attributes = horizon >= 0 ? batch.attributes | DELETE_HORIZON_FLAG_MASK : batch.attributes;
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeBigInt64BE(BigInt(newBase), BASE_TIMESTAMP_OFFSET);
  if (batch.timestampType === TimestampType.CreateTime) out.writeBigInt64BE(BigInt(maxTs), MAX_TIMESTAMP_OFFSET);
  out.writeInt32BE(records.length, RECORDS_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  // Assert right before it is written: structure, and that it still decodes to what we kept.
  const check = new DeflatedBatch(out);
  check.validate();
  if (check.lastOffset !== batch.lastOffset || check.baseOffset !== batch.baseOffset) {
    throw new TributaryError('INVALID_BATCH', 'a rewritten batch changed its offsets', { baseOffset: batch.baseOffset });
  }
  return out;
}

/** The batch's delete horizon (Kafka 3.x: attribute bit 0x40, held in baseTimestamp), or -1. */
function deleteHorizonOf(batch: DeflatedBatch): number {
  return batch.attributes & DELETE_HORIZON_FLAG_MASK ? batch.baseTimestamp : -1;
}

export function compactSegments(task: CompactTask): CompactResult {
  const { segments, nowMs } = task;
  // Phase 1: key -> latest offset over the dirty section (Kafka's OffsetMap, exact keys).
  const map = new Map<string, number>();
  let end = segments.length;
  for (let i = task.firstDirty; i < segments.length; i++) {
    const seg = segments[i]!;
    const buf = readSegment(seg.path, seg.size);
    for (const batch of batchesOf(buf, seg.path)) {
      const records = recordsOf(batch);
      if (!records) continue;
      const base = batch.baseOffset;
      for (const r of records) if (r.key !== null) map.set(keyOf(r.key), base + r.offsetDelta);
    }
    if (map.size > task.keysMax && i + 1 < segments.length) {
      end = i + 1;
      break;
    }
  }

  // Phase 2: rewrite [0, end).
  const result: CompactResult = { end, segments: [], keys: map.size, recordsRead: 0, recordsRemoved: 0, tombstonesRemoved: 0, nextDeleteHorizonMs: -1 };
  const newHorizon = Math.min(nowMs + task.deleteRetentionMs, Number.MAX_SAFE_INTEGER);
  const noteHorizon = (h: number) => {
    if (result.nextDeleteHorizonMs < 0 || h < result.nextDeleteHorizonMs) result.nextDeleteHorizonMs = h;
  };
  for (let i = 0; i < end; i++) {
    const seg = segments[i]!;
    const buf = readSegment(seg.path, seg.size);
    const out: Buffer[] = [];
    const table: CleanedSegment = { index: i, cleaned: false, sizeBefore: seg.size, sizeAfter: 0, positions: [], sizes: [], baseOffsets: [], lastOffsets: [], maxTimestamps: [] };
    for (const batch of batchesOf(buf, seg.path)) {
      const records = recordsOf(batch);
      let bytes: Buffer | null = batch.bytes;
      if (records) {
        const base = batch.baseOffset;
        let horizon = deleteHorizonOf(batch);
        const keep: RecordData[] = [];
        let tombstones = 0;
        for (const r of records) {
          const offset = base + r.offsetDelta;
          if (r.key === null || (map.get(keyOf(r.key)) ?? -1) > offset) continue;
          if (r.value === null) {
            if (horizon >= 0 && nowMs >= horizon) {
              result.tombstonesRemoved++;
              continue;
            }
            tombstones++;
          }
          keep.push(r);
        }
        result.recordsRead += records.length;
        result.recordsRemoved += records.length - keep.length;
        const markHorizon = tombstones > 0 && horizon < 0;
        if (markHorizon) horizon = newHorizon;
        if (tombstones > 0) noteHorizon(horizon);
        if (keep.length === 0) bytes = null;
        else if (keep.length < records.length || markHorizon) bytes = rewriteBatch(batch, keep, horizon);
        if (bytes !== batch.bytes) table.cleaned = true;
      }
      if (!bytes) continue;
      const b = bytes === batch.bytes ? batch : new DeflatedBatch(bytes);
      table.positions.push(table.sizeAfter);
      table.sizes.push(bytes.length);
      table.baseOffsets.push(b.baseOffset);
      table.lastOffsets.push(b.lastOffset);
      table.maxTimestamps.push(b.maxTimestamp);
      table.sizeAfter += bytes.length;
      out.push(bytes);
    }
    if (table.cleaned) writeSegment(seg.cleanedPath, out);
    else table.positions = table.sizes = table.baseOffsets = table.lastOffsets = table.maxTimestamps = [];
    result.segments.push(table);
  }
  return result;
}

/** Writes `parts` to a new file at `path` and fsyncs it. */
function writeSegment(path: string, parts: Buffer[]): void {
  let fd: number;
  try {
    fd = fs.openSync(path, 'w', 0o644);
  } catch (err) {
    throw storageIoError(`create ${path}`, err, { path });
  }
  try {
    let pos = 0;
    for (let i = 0; i < parts.length; ) {
      let j = i;
      let bytes = 0;
      while (j < parts.length && (j === i || bytes + parts[j]!.length <= WRITE_CHUNK_BYTES)) bytes += parts[j++]!.length;
      const chunk = j - i === 1 ? parts[i]! : Buffer.concat(parts.slice(i, j), bytes);
      let done = 0;
      while (done < chunk.length) done += fs.writeSync(fd, chunk, done, chunk.length - done, pos + done);
      pos += chunk.length;
      i = j;
    }
    fs.fsyncSync(fd);
  } catch (err) {
    throw storageIoError(`write ${path}`, err, { path });
  } finally {
    fs.closeSync(fd);
  }
}
