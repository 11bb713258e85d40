/**
 * The worker-thread side of the pool (pool.ts). Each export is one task, selected by
 * piscina's `name` run option. Inputs arrive transferred (their ArrayBuffers moved, not
 * copied); results go back the same way through `movable`.
 *
 * Importing src/format initialises the codecs (a top-level await in lz4-frame.ts), so the
 * first task on a fresh thread waits for that once.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isTributaryError, storageIoError } from '../errors.js';
import { rewriteBatch as rewriteBatchInThread } from '../format/batch-rewrite.js';
import { compress as compressBytes, decompress as decompressBytes } from '../format/compression/index.js';
import { scanLog } from '../format/log-scan.js';
import { checkBatchCrcs } from './crc-check.js';
import { compactSegments as compactSegmentsInThread } from './compaction.js';
import { movable, ownArrayBuffer } from './pool.js';
import type { CodecTask, CompactTask, CrcTask, CrcTaskResult, ErrorEnvelope, RewriteTask, RewriteTaskResult, ScanTask } from './tasks.js';
import { SCAN_COLUMNS, SCAN_HEADER_LENGTH, SCAN_STOPS } from './tasks.js';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function envelope(err: unknown): ErrorEnvelope {
  if (!isTributaryError(err)) throw err;
  return { error: { code: err.code, message: err.message, context: { ...err.context } } };
}

export function compress(task: CodecTask): unknown {
  try {
    return movable(ownArrayBuffer(compressBytes(task.codec, task.bytes)));
  } catch (err) {
    return envelope(err);
  }
}

export function decompress(task: CodecTask): unknown {
  try {
    return movable(ownArrayBuffer(decompressBytes(task.codec, task.bytes, task.maxBytes)));
  } catch (err) {
    return envelope(err);
  }
}

export function verifyBatchCrcs(task: CrcTask): unknown {
  const result: CrcTaskResult = { ...checkBatchCrcs(asBuffer(task.bytes)), bytes: task.bytes };
  // Hand the caller's bytes back by transfer, so it can go on using them (e.g. append them).
  return movable(result, [task.bytes.buffer as ArrayBuffer]);
}

/** The record pass over one produced batch; the batch to append goes back by transfer. */
export function rewriteBatch(task: RewriteTask): unknown {
  try {
    const r = rewriteBatchInThread(asBuffer(task.bytes), task.rules);
    const bytes = r.recompressed ? ownArrayBuffer(r.bytes) : task.bytes;
    const result: RewriteTaskResult = { bytes, recompressed: r.recompressed };
    return movable(result, [bytes.buffer as ArrayBuffer]);
  } catch (err) {
    return envelope(err);
  }
}

/** Reads `[start, end)` of a file; a worker thread may block on I/O, the event loop never does. */
function readRange(path: string, start: number, end: number | undefined): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw storageIoError(`open ${path}`, err, { path });
  }
  try {
    const size = fstatSync(fd).size;
    const stop = Math.min(end ?? size, size);
    const buf = Buffer.allocUnsafeSlow(Math.max(0, stop - start));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } catch (err) {
    throw storageIoError(`read ${path}`, err, { path });
  } finally {
    closeSync(fd);
  }
}

export function scanSegment(task: ScanTask): unknown {
  try {
    const buf = readRange(task.path, task.startPos, task.end);
    const r = scanLog(buf, 0, { verifyCrc: task.verifyCrc ?? true, expectedNextOffset: task.expectedNextOffset });
    const packed = new Float64Array(SCAN_HEADER_LENGTH + SCAN_COLUMNS * r.count);
    packed[0] = r.count;
    packed[1] = task.startPos + r.validEnd;
    packed[2] = SCAN_STOPS.indexOf(r.stop);
    let at = SCAN_HEADER_LENGTH;
    for (let i = 0; i < r.count; i++) packed[at + i] = task.startPos + r.positions[i]!; // file positions
    at += r.count;
    for (const column of [r.baseOffsets, r.lastOffsets, r.maxTimestamps, r.sizes]) {
      packed.set(column, at);
      at += r.count;
    }
    return movable(packed);
  } catch (err) {
    return envelope(err);
  }
}

/** One compaction pass (compaction.ts): reads the segments, writes the cleaned ones, returns their batch tables. */
export function compactSegments(task: CompactTask): unknown {
  try {
    return compactSegmentsInThread(task);
  } catch (err) {
    return envelope(err);
  }
}
