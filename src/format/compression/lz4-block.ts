/**
 * LZ4 block decoding (lz4's doc/lz4_Block_format.md):
 *
 *   sequences, each:
 *     token        1  high nibble: literal length, low nibble: match length - 4
 *                     (15 in either means "more length bytes follow": add bytes until one < 255)
 *     literals     -
 *     offset       2  LE, 1..65535, how far back the match starts        } absent in the last
 *     match length -  extra bytes when the low nibble is 15              } sequence
 *
 * Decoding writes into `out` at `op`, where earlier output may already sit: a frame with
 * dependent blocks (lz4 -BD) lets a block's matches reach up to 64 KiB back into the
 * blocks before it, so the caller passes `windowStart` (0 for dependent blocks, `op` for
 * independent ones) and no match may start before it.
 *
 * Why our own decoder rather than lz4-wasm-nodejs's (which we use to compress): its
 * `decompress` needs the exact decoded size up front (frames do not carry one per block),
 * has no way to see previous blocks (so no -BD frames), and reports errors as bare strings
 * from a WebAssembly panic. Every bound here is checked; bad input is CORRUPT_COMPRESSED_DATA.
 */
import { TributaryError } from '../../errors.js';
import { copyMatch } from './copy-match.js';

function corrupt(message: string, context: Record<string, unknown> = {}): never {
  throw new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt LZ4 block: ${message}`, context);
}

/** Smallest match LZ4 encodes (the low nibble stores length - MIN_MATCH). */
const MIN_MATCH = 4;

/** What decodeLz4Block returns when the block would write past `outLimit`. */
export const LZ4_OUTPUT_LIMIT = -1;

/**
 * Decodes the block `src[pos, end)` into `out` from `op`; output may not pass `outLimit`.
 * Returns the new output position, or LZ4_OUTPUT_LIMIT as soon as a literal run or match
 * would pass `outLimit` (the caller knows which of its limits that was, so it names the
 * error). Nothing past `outLimit` is ever written, so one pass both bounds and decodes.
 */
export function decodeLz4Block(src: Uint8Array, pos: number, end: number, out: Uint8Array, op: number, outLimit: number, windowStart: number): number {
  if (pos >= end) corrupt('empty block');
  for (;;) {
    const token = src[pos++]!;
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (pos >= end) corrupt('truncated literal length');
        b = src[pos++]!;
        litLen += b;
      } while (b === 255);
    }
    if (pos + litLen > end) corrupt('literals run past the block', { pos, litLen });
    if (op + litLen > outLimit) return LZ4_OUTPUT_LIMIT;
    if (litLen > 16) out.set(src.subarray(pos, pos + litLen), op);
    else for (let i = 0; i < litLen; i++) out[op + i] = src[pos + i]!;
    pos += litLen;
    op += litLen;
    if (pos === end) return op; // the last sequence ends after its literals
    if (pos + 2 > end) corrupt('truncated match offset', { pos });
    const offset = src[pos]! | (src[pos + 1]! << 8);
    pos += 2;
    if (offset === 0 || op - offset < windowStart) corrupt(`match offset ${offset} reaches before the window`, { op, offset });
    let matchLen = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (pos >= end) corrupt('truncated match length');
        b = src[pos++]!;
        matchLen += b;
      } while (b === 255);
    }
    if (op + matchLen > outLimit) return LZ4_OUTPUT_LIMIT;
    copyMatch(out, op, offset, matchLen);
    op += matchLen;
  }
}
