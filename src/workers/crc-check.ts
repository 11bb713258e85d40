/**
 * Checking the CRC-32C of every batch in a buffer (a produce request's records, a fetched
 * range, a segment slice), reporting the first bad one with both CRC values. Pure: runs on
 * the calling thread for small buffers and inside worker.ts for large ones.
 */
import { CRC_OFFSET, DeflatedBatch, batchSizeAt } from '../format/record-batch.js';
import type { CrcCheckResult } from './tasks.js';

export function checkBatchCrcs(buf: Buffer): CrcCheckResult {
  let pos = 0;
  let batches = 0;
  while (pos < buf.length) {
    const size = batchSizeAt(buf, pos);
    if (size < 0 || pos + size > buf.length) break;
    const batch = new DeflatedBatch(buf.subarray(pos, pos + size));
    const stored = buf.readUInt32BE(pos + CRC_OFFSET);
    const computed = batch.computeCrc();
    if (stored !== computed) return { batches, bad: { index: batches, position: pos, stored, computed }, validEnd: pos };
    batches++;
    pos += size;
  }
  return { batches, bad: null, validEnd: pos };
}
