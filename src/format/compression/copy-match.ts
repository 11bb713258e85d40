/**
 * The back-reference copy that LZ-family decoders (snappy, LZ4) share: repeat `len` bytes
 * found `offset` bytes behind the write position. When offset < len the source overlaps the
 * destination and each byte may be one this copy just wrote (that is how both formats
 * encode runs), so the overlapping case must go byte by byte; copyWithin would copy the
 * old bytes instead.
 */

/** Copies `len` bytes from `op - offset` to `op`; the ranges may overlap (run-length copies). */
export function copyMatch(out: Uint8Array, op: number, offset: number, len: number): void {
  let from = op - offset;
  if (offset >= len) {
    if (len > 32) {
      out.copyWithin(op, from, from + len);
      return;
    }
    for (let i = 0; i < len; i++) out[op + i] = out[from + i]!;
    return;
  }
  // Overlapping: each byte may be one written by this same copy.
  const stop = op + len;
  while (op < stop) out[op++] = out[from++]!;
}
