/**
 * lz4 (Kafka codec 3): the records section is one LZ4 frame (lz4's doc/lz4_Frame_format.md),
 * as Kafka's KafkaLZ4BlockOutputStream writes it since magic 1 (KIP-57):
 *
 *   magic         4  0x184D2204, little-endian
 *   FLG           1  bits 7-6 version (01), 5 block independence, 4 block checksum,
 *                    3 content size present, 2 content checksum present, 1 reserved (0),
 *                    0 dictionary id present
 *   BD            1  bits 6-4 block max size (4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB),
 *                    other bits reserved (0)
 *   content size  8  LE, if FLG bit 3
 *   dictionary id 4  LE, if FLG bit 0 (not supported: Kafka never sets it)
 *   HC            1  (xxh32(FLG .. last descriptor byte, seed 0) >> 8) & 0xFF
 *   blocks, each:
 *     size        4  LE; high bit set = stored uncompressed; 0 = end mark
 *     data        -  an LZ4 block (lz4-block.ts) or raw bytes
 *     checksum    4  xxh32(data), if FLG bit 4
 *   end mark      4  0
 *   checksum      4  xxh32 of the decoded content, if FLG bit 2
 *
 * We write what Kafka writes: FLG 0x60 (version 1, independent blocks, no checksums, no
 * content size), BD 0x40 (64 KiB blocks), each block compressed by lz4-wasm-nodejs (whose
 * output carries a 4-byte little-endian size prefix we strip) or stored raw with the high
 * bit set when compressing does not make it smaller. `encodeLz4Frame` can add the content
 * checksum. We read any frame the lz4 tool writes: every block size, dependent or
 * independent blocks, block and content checksums (verified), content size (verified),
 * a single frame with nothing after it. Kafka's own reader is narrower (it rejects
 * dependent blocks), so what we accept is a superset of what Kafka accepts.
 *
 * Initialisation: xxhash-wasm compiles its WebAssembly asynchronously; this module does
 * that with a top-level await, so by the time anything can import a codec, it is ready.
 */
import lz4 from 'lz4-wasm-nodejs';
import xxhash from 'xxhash-wasm';
import { TributaryError } from '../../errors.js';
import type { Codec } from './codec.js';
import { LZ4_OUTPUT_LIMIT, decodeLz4Block } from './lz4-block.js';

const { h32Raw } = await xxhash();

export const LZ4_FRAME_MAGIC = 0x184d2204;
export const LZ4_MAGIC_OFFSET = 0;
export const LZ4_MAGIC_LENGTH = 4;
export const LZ4_FLG_OFFSET = LZ4_MAGIC_OFFSET + LZ4_MAGIC_LENGTH;
export const LZ4_FLG_LENGTH = 1;
export const LZ4_BD_OFFSET = LZ4_FLG_OFFSET + LZ4_FLG_LENGTH;
export const LZ4_BD_LENGTH = 1;
/** Where the optional descriptor fields (content size, dictionary id) start. */
export const LZ4_OPTIONAL_OFFSET = LZ4_BD_OFFSET + LZ4_BD_LENGTH;
export const LZ4_CONTENT_SIZE_LENGTH = 8;
export const LZ4_DICT_ID_LENGTH = 4;
export const LZ4_HC_LENGTH = 1;
export const LZ4_BLOCK_SIZE_LENGTH = 4;
export const LZ4_CHECKSUM_LENGTH = 4;
/** Header of a frame with no optional fields: magic, FLG, BD, HC. */
export const LZ4_MIN_HEADER_LENGTH = LZ4_OPTIONAL_OFFSET + LZ4_HC_LENGTH;

// FLG bits.
export const LZ4_FLG_VERSION_MASK = 0xc0;
export const LZ4_FLG_VERSION_01 = 0x40;
export const LZ4_FLG_BLOCK_INDEPENDENCE = 0x20;
export const LZ4_FLG_BLOCK_CHECKSUM = 0x10;
export const LZ4_FLG_CONTENT_SIZE = 0x08;
export const LZ4_FLG_CONTENT_CHECKSUM = 0x04;
export const LZ4_FLG_RESERVED = 0x02;
export const LZ4_FLG_DICT_ID = 0x01;
// BD bits.
export const LZ4_BD_BLOCK_MAX_SHIFT = 4;
export const LZ4_BD_BLOCK_MAX_MASK = 0x70;
export const LZ4_BD_RESERVED = 0x8f;
/** BD block-max codes 4..7 mean 64 KiB, 256 KiB, 1 MiB, 4 MiB. */
export function lz4BlockMaxBytes(code: number): number {
  return 1 << (2 * code + 8);
}
/** The block size code Kafka writes (KafkaLZ4BlockOutputStream.BLOCKSIZE_64KB). */
export const KAFKA_LZ4_BLOCK_CODE = 4;
/** Block size high bit: the block is stored uncompressed. */
export const LZ4_BLOCK_UNCOMPRESSED = 0x8000_0000;

export interface Lz4FrameOptions {
  /** Append xxh32 of the content (FLG bit 2). Kafka does not; the lz4 tool does. Default false. */
  contentChecksum?: boolean;
  /** Block max size code 4..7. Default 4 (64 KiB), as Kafka. */
  blockSizeCode?: 4 | 5 | 6 | 7;
}

function corrupt(message: string, context: Record<string, unknown> = {}): never {
  throw new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt LZ4 frame: ${message}`, context);
}

/** The header checksum byte over the descriptor bytes `[FLG, end)`. */
function headerChecksum(descriptor: Uint8Array): number {
  return (h32Raw(descriptor, 0) >>> 8) & 0xff;
}

/** Compresses `bytes` into one LZ4 frame, by default exactly as Kafka's producer would. */
export function encodeLz4Frame(bytes: Uint8Array, opts: Lz4FrameOptions = {}): Buffer {
  const code = opts.blockSizeCode ?? KAFKA_LZ4_BLOCK_CODE;
  const blockMax = lz4BlockMaxBytes(code);
  const header = Buffer.alloc(LZ4_MIN_HEADER_LENGTH);
  header.writeUInt32LE(LZ4_FRAME_MAGIC, LZ4_MAGIC_OFFSET);
  header[LZ4_FLG_OFFSET] = LZ4_FLG_VERSION_01 | LZ4_FLG_BLOCK_INDEPENDENCE | (opts.contentChecksum ? LZ4_FLG_CONTENT_CHECKSUM : 0);
  header[LZ4_BD_OFFSET] = code << LZ4_BD_BLOCK_MAX_SHIFT;
  header[LZ4_OPTIONAL_OFFSET] = headerChecksum(header.subarray(LZ4_FLG_OFFSET, LZ4_OPTIONAL_OFFSET));
  const parts: Uint8Array[] = [header];
  let total = header.length;
  for (let pos = 0; pos < bytes.length; pos += blockMax) {
    const chunk = bytes.subarray(pos, Math.min(pos + blockMax, bytes.length));
    const prefixed = lz4.compress(chunk); // 4-byte LE decoded size, then the block
    const compressed = prefixed.subarray(4);
    const size = Buffer.alloc(LZ4_BLOCK_SIZE_LENGTH);
    if (compressed.length < chunk.length) {
      size.writeUInt32LE(compressed.length, 0);
      parts.push(size, compressed);
      total += size.length + compressed.length;
    } else {
      size.writeUInt32LE((LZ4_BLOCK_UNCOMPRESSED | chunk.length) >>> 0, 0);
      parts.push(size, chunk);
      total += size.length + chunk.length;
    }
  }
  const tail = Buffer.alloc(LZ4_BLOCK_SIZE_LENGTH + (opts.contentChecksum ? LZ4_CHECKSUM_LENGTH : 0)); // end mark = 0
  if (opts.contentChecksum) tail.writeUInt32LE(h32Raw(bytes, 0) >>> 0, LZ4_BLOCK_SIZE_LENGTH);
  parts.push(tail);
  return Buffer.concat(parts, total + tail.length);
}

/** Decodes one LZ4 frame that fills `bytes`; output beyond `maxBytes` is LIMIT_EXCEEDED. */
export function decodeLz4Frame(bytes: Uint8Array, maxBytes: number): Buffer {
  const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const end = src.length;
  if (end < LZ4_MIN_HEADER_LENGTH) corrupt(`${end} bytes is shorter than a frame header`);
  const magic = src.readUInt32LE(LZ4_MAGIC_OFFSET);
  if (magic !== LZ4_FRAME_MAGIC) corrupt(`bad magic 0x${magic.toString(16)}`, { magic });
  const flg = src[LZ4_FLG_OFFSET]!;
  const bd = src[LZ4_BD_OFFSET]!;
  // Check the header checksum before trusting any descriptor bit; which optional fields it
  // covers depends on FLG, so find its position first.
  const hcPos = LZ4_OPTIONAL_OFFSET + (flg & LZ4_FLG_CONTENT_SIZE ? LZ4_CONTENT_SIZE_LENGTH : 0) + (flg & LZ4_FLG_DICT_ID ? LZ4_DICT_ID_LENGTH : 0);
  if (hcPos + LZ4_HC_LENGTH > end) corrupt('truncated frame descriptor');
  const hc = src[hcPos]!;
  const expectedHc = headerChecksum(src.subarray(LZ4_FLG_OFFSET, hcPos));
  if (hc !== expectedHc) corrupt(`header checksum 0x${hc.toString(16)}, expected 0x${expectedHc.toString(16)}`, { stored: hc, computed: expectedHc });
  if ((flg & LZ4_FLG_VERSION_MASK) !== LZ4_FLG_VERSION_01) corrupt(`unsupported frame version in FLG 0x${flg.toString(16)}`, { flg });
  if (flg & LZ4_FLG_RESERVED || bd & LZ4_BD_RESERVED) corrupt('reserved descriptor bits are set', { flg, bd });
  if (flg & LZ4_FLG_DICT_ID) {
    throw new TributaryError('UNSUPPORTED_COMPRESSION', 'LZ4 frames with a dictionary id are not supported', { flg });
  }
  const code = (bd & LZ4_BD_BLOCK_MAX_MASK) >>> LZ4_BD_BLOCK_MAX_SHIFT;
  if (code < 4) corrupt(`invalid block max size code ${code}`, { bd });
  const blockMax = lz4BlockMaxBytes(code);
  const independent = (flg & LZ4_FLG_BLOCK_INDEPENDENCE) !== 0;
  const blockChecksum = (flg & LZ4_FLG_BLOCK_CHECKSUM) !== 0;
  const contentChecksum = (flg & LZ4_FLG_CONTENT_CHECKSUM) !== 0;
  let contentSize = -1;
  if (flg & LZ4_FLG_CONTENT_SIZE) {
    contentSize = src.readUInt32LE(LZ4_OPTIONAL_OFFSET + 4) * 0x1_0000_0000 + src.readUInt32LE(LZ4_OPTIONAL_OFFSET);
    if (contentSize > maxBytes) {
      throw new TributaryError('LIMIT_EXCEEDED', `LZ4 frame declares ${contentSize} bytes of content, beyond the limit of ${maxBytes}`, { contentSize, maxBytes });
    }
  }
  let pos = hcPos + LZ4_HC_LENGTH;

  let out = Buffer.allocUnsafe(contentSize >= 0 ? contentSize : Math.min(maxBytes, Math.max(blockMax, 4 * end)));
  let op = 0;
  const ensure = (needed: number): void => {
    if (needed <= out.length) return;
    const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(needed, 2 * out.length)));
    out.copy(grown, 0, 0, op);
    out = grown;
  };
  for (;;) {
    if (pos + LZ4_BLOCK_SIZE_LENGTH > end) corrupt('truncated block size (no end mark)', { pos });
    const word = src.readUInt32LE(pos);
    pos += LZ4_BLOCK_SIZE_LENGTH;
    if (word === 0) break; // end mark
    const stored = (word & LZ4_BLOCK_UNCOMPRESSED) !== 0;
    const size = word & ~LZ4_BLOCK_UNCOMPRESSED;
    if (size > blockMax) corrupt(`block of ${size} bytes exceeds the frame's ${blockMax}-byte block size`, { size, blockMax });
    if (pos + size + (blockChecksum ? LZ4_CHECKSUM_LENGTH : 0) > end) corrupt('block runs past the input', { pos, size });
    if (blockChecksum) {
      const storedSum = src.readUInt32LE(pos + size);
      const computed = h32Raw(src.subarray(pos, pos + size), 0) >>> 0;
      if (storedSum !== computed) corrupt('block checksum mismatch', { stored: storedSum, computed });
    }
    // One block may write at most blockMax bytes, nor pass the inflation limit or the
    // declared content size: decode against the nearest of the three, then name the one hit.
    const blockEnd = op + (stored ? size : blockMax);
    const limit = Math.min(blockEnd, maxBytes, contentSize >= 0 ? contentSize : Infinity);
    let next: number;
    if (stored) {
      next = op + size <= limit ? op + size : LZ4_OUTPUT_LIMIT;
    } else {
      ensure(limit);
      next = decodeLz4Block(src, pos, pos + size, out, op, limit, independent ? op : 0);
    }
    if (next === LZ4_OUTPUT_LIMIT) {
      if (limit === maxBytes && maxBytes < blockEnd) throw new TributaryError('LIMIT_EXCEEDED', `LZ4 frame inflates beyond the limit of ${maxBytes} bytes`, { maxBytes });
      if (limit === contentSize && contentSize < blockEnd) corrupt(`content exceeds the declared size of ${contentSize}`, { contentSize });
      corrupt(`block decodes to more than the ${blockMax}-byte block size`, { blockMax });
    }
    if (stored) {
      ensure(next);
      src.copy(out, op, pos, pos + size);
    }
    op = next;
    pos += size + (blockChecksum ? LZ4_CHECKSUM_LENGTH : 0);
  }
  if (contentChecksum) {
    if (pos + LZ4_CHECKSUM_LENGTH > end) corrupt('truncated content checksum');
    const storedSum = src.readUInt32LE(pos);
    const computed = h32Raw(out.subarray(0, op), 0) >>> 0;
    if (storedSum !== computed) corrupt('content checksum mismatch', { stored: storedSum, computed });
    pos += LZ4_CHECKSUM_LENGTH;
  }
  if (contentSize >= 0 && op !== contentSize) corrupt(`decoded ${op} bytes, the frame declared ${contentSize}`, { op, contentSize });
  if (pos !== end) corrupt(`${end - pos} bytes after the end of the frame`, { trailing: end - pos });
  return out.subarray(0, op);
}

export const lz4Codec: Codec = {
  id: 3,
  name: 'lz4',
  compress: (bytes) => encodeLz4Frame(bytes),
  decompress: (bytes, maxBytes) => decodeLz4Frame(bytes, maxBytes),
};
