/**
 * Raw snappy block decoding (the format of google/snappy's format_description.txt):
 *
 *   preamble  uvarint     uncompressed length (at most 32 bits)
 *   elements, each starting with a tag byte whose low 2 bits say what follows:
 *     00 literal  length-1 in the tag's upper 6 bits, or (60..63) in the next 1..4 bytes LE
 *     01 copy     length 4..11 from tag bits 2-4, offset 11 bits (tag bits 5-7 + 1 byte)
 *     10 copy     length 1..64 from the tag, offset in 2 bytes LE
 *     11 copy     length 1..64 from the tag, offset in 4 bytes LE
 *
 * Why our own decoder rather than snappyjs's (which we still use to compress): snappyjs
 * neither checks that the output reaches the preamble's length nor that an element stays
 * inside the input, so a truncated or corrupted block "decodes" to zero-filled garbage.
 * A broker decodes untrusted producer bytes; every bound here is checked, and the
 * preamble is checked against the caller's limit before anything is allocated.
 */
import { TributaryError } from '../../errors.js';
import { copyMatch } from './copy-match.js';

function corrupt(message: string, context: Record<string, unknown> = {}): never {
  throw new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt snappy block: ${message}`, context);
}

/** The uncompressed length a snappy block declares, and where its elements start. */
export function snappyPreamble(src: Uint8Array, pos: number, end: number): { length: number; start: number } {
  let length = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (pos >= end) corrupt('truncated length preamble');
    const b = src[pos++]!;
    if (shift === 28 && b > 0x0f) corrupt('length preamble exceeds 32 bits');
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return { length, start: pos };
  }
  return corrupt('length preamble exceeds 32 bits');
}

/** Decodes the snappy block `src[pos, end)`; refuses output beyond `maxBytes` (LIMIT_EXCEEDED). */
export function decodeSnappyBlock(src: Uint8Array, pos: number, end: number, maxBytes: number): Buffer {
  const pre = snappyPreamble(src, pos, end);
  const length = pre.length;
  if (length > maxBytes) {
    throw new TributaryError('LIMIT_EXCEEDED', `snappy block inflates to ${length} bytes, beyond the limit of ${maxBytes}`, { length, maxBytes });
  }
  pos = pre.start;
  const out = Buffer.allocUnsafe(length);
  let op = 0;
  while (pos < end) {
    const tag = src[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const n = len - 59; // 1..4 length bytes
        if (pos + n > end) corrupt('truncated literal length', { pos });
        len = 0;
        for (let i = 0; i < n; i++) len += src[pos + i]! * 2 ** (8 * i);
        pos += n;
      }
      len += 1;
      if (pos + len > end) corrupt('literal runs past the input', { pos, len });
      if (op + len > length) corrupt('literal runs past the declared length', { op, len, length });
      out.set(src.subarray(pos, pos + len), op);
      pos += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > end) corrupt('truncated copy', { pos });
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > end) corrupt('truncated copy', { pos });
      len = (tag >>> 2) + 1;
      offset = src[pos]! | (src[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > end) corrupt('truncated copy', { pos });
      len = (tag >>> 2) + 1;
      offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16) | (src[pos + 3]! << 24)) >>> 0;
      pos += 4;
    }
    if (offset === 0 || offset > op) corrupt(`copy offset ${offset} outside the ${op} bytes decoded`, { op, offset });
    if (op + len > length) corrupt('copy runs past the declared length', { op, len, length });
    copyMatch(out, op, offset, len);
    op += len;
  }
  if (op !== length) corrupt(`decoded ${op} bytes, the preamble declared ${length}`, { op, length });
  return out;
}
