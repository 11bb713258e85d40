/**
 * snappy (Kafka codec 2), in the framing Kafka's Java client writes: xerial snappy-java's
 * SnappyOutputStream ("blocking" mode, not the snappy framing format of the Snappy project):
 *
 *   header (16 bytes)
 *     magic          8  0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
 *     version        4  int32 BE, 1
 *     compatVersion  4  int32 BE, 1
 *   blocks, until the end of the input
 *     length         4  int32 BE, bytes of the snappy block that follows
 *     block          -  one raw snappy block (its own length preamble, see snappy-block.ts)
 *
 * We write blocks of 32 KiB of input, snappy-java's default block size. On decode, input
 * that does not start with the magic is read as one raw, unframed snappy block, as
 * snappy-java's SnappyInputStream (and so Kafka) does; some non-Java clients send that.
 * The version fields are not checked: every writer in the wild uses 1/1, and snappy-java
 * ignores them too as long as the magic matches.
 */
import snappyjs from 'snappyjs';
import { TributaryError } from '../../errors.js';
import type { Codec } from './codec.js';
import { decodeSnappyBlock } from './snappy-block.js';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_MAGIC_LENGTH = XERIAL_MAGIC.length;
export const XERIAL_VERSION_OFFSET = XERIAL_MAGIC_LENGTH;
export const XERIAL_VERSION_LENGTH = 4;
export const XERIAL_COMPAT_OFFSET = XERIAL_VERSION_OFFSET + XERIAL_VERSION_LENGTH;
export const XERIAL_COMPAT_LENGTH = 4;
export const XERIAL_HEADER_LENGTH = XERIAL_COMPAT_OFFSET + XERIAL_COMPAT_LENGTH;
export const XERIAL_BLOCK_LENGTH_LENGTH = 4;
/** The version and compatible version snappy-java writes. */
export const XERIAL_VERSION = 1;
/** Input bytes per block (snappy-java's SnappyOutputStream.DEFAULT_BLOCK_SIZE). */
export const XERIAL_BLOCK_BYTES = 32 * 1024;

function hasXerialHeader(bytes: Uint8Array): boolean {
  if (bytes.length < XERIAL_HEADER_LENGTH) return false;
  for (let i = 0; i < XERIAL_MAGIC_LENGTH; i++) if (bytes[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

/** Compresses `bytes` as a xerial-framed snappy stream. */
export function encodeXerialSnappy(bytes: Uint8Array, blockBytes = XERIAL_BLOCK_BYTES): Buffer {
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_LENGTH);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, XERIAL_VERSION_OFFSET);
  header.writeInt32BE(XERIAL_VERSION, XERIAL_COMPAT_OFFSET);
  parts.push(header);
  for (let pos = 0; pos < bytes.length; pos += blockBytes) {
    // snappyjs returns a Uint8Array for a Uint8Array input (and a Buffer for a Buffer).
    const block = snappyjs.compress(new Uint8Array(bytes.buffer, bytes.byteOffset + pos, Math.min(blockBytes, bytes.length - pos)));
    const len = Buffer.alloc(XERIAL_BLOCK_LENGTH_LENGTH);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** Inflates a xerial-framed stream, or a raw snappy block when the header is absent. */
export function decodeXerialSnappy(bytes: Uint8Array, maxBytes: number): Buffer {
  if (!hasXerialHeader(bytes)) return decodeSnappyBlock(bytes, 0, bytes.length, maxBytes);
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_LENGTH;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  while (pos < bytes.length) {
    if (pos + XERIAL_BLOCK_LENGTH_LENGTH > bytes.length) {
      throw new TributaryError('CORRUPT_COMPRESSED_DATA', 'corrupt snappy stream: truncated block length', { pos });
    }
    const len = view.readInt32BE(pos);
    pos += XERIAL_BLOCK_LENGTH_LENGTH;
    if (len < 0 || pos + len > bytes.length) {
      throw new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt snappy stream: block of ${len} bytes at ${pos} runs past the ${bytes.length}-byte input`, { pos, len });
    }
    const block = decodeSnappyBlock(bytes, pos, pos + len, maxBytes - total);
    blocks.push(block);
    total += block.length;
    pos += len;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total);
}

export const snappyCodec: Codec = {
  id: 2,
  name: 'snappy',
  compress: (bytes) => encodeXerialSnappy(bytes),
  decompress: (bytes, maxBytes) => decodeXerialSnappy(bytes, maxBytes),
};
