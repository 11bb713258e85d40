/**
 * The structure of zstd data (RFC 8878), walked without decoding anything: where each frame
 * starts and ends, what content size it declares, and an upper bound of what it inflates to.
 * Both zstd backends (zstd.ts) run this first, so they accept and reject the same inputs with
 * the same errors, and the WebAssembly backend, which has only one-shot decompression, gets an
 * output size it can allocate.
 *
 *   zstd frame
 *     magic            4  0xFD2FB528, little-endian
 *     FHD              1  bits 7-6 content-size flag, 5 single segment, 4 unused, 3 reserved (0),
 *                         2 content checksum, 1-0 dictionary-id flag
 *     window desc.     1  absent when single segment: exponent (bits 7-3), mantissa (2-0);
 *                         window = 2^(10+exponent) + 2^(10+exponent)/8 * mantissa
 *     dictionary id    0/1/2/4  by the dictionary-id flag
 *     content size     0/1/2/4/8  by the content-size flag (flag 0: 1 byte if single segment,
 *                         else absent; flag 1: 2 bytes, value + 256); single segment: window = size
 *     blocks, each:
 *       header         3  little-endian: bit 0 last block, bits 2-1 type, bits 23-3 size
 *       content        -  raw (type 0): size bytes, as is; RLE (1): 1 byte, repeated size times;
 *                         compressed (2): size bytes; type 3 is reserved
 *     checksum         4  if FHD bit 2: low 32 bits of XXH64 of the content (checked by the backend)
 *   skippable frame
 *     magic            4  0x184D2A50..0x184D2A5F
 *     size             4  little-endian, bytes of user data that follow
 *
 * A block regenerates at most min(window, 128 KiB) bytes (Block_Maximum_Size). Frames follow
 * each other to the end of the input, as libzstd's ZSTD_decompress and zstd-jni's
 * ZstdInputStream read them; anything else after a frame is corrupt. Frames that name a
 * dictionary are UNSUPPORTED_COMPRESSION (Kafka never writes them), and windows beyond
 * 128 MiB are refused as libzstd's streaming decoder refuses them (ZSTD_WINDOWLOG_LIMIT_DEFAULT).
 */
import { TributaryError } from '../../errors.js';

export const ZSTD_MAGIC = 0xfd2fb528;
export const ZSTD_SKIPPABLE_MAGIC_MIN = 0x184d2a50;
export const ZSTD_SKIPPABLE_MAGIC_MAX = 0x184d2a5f;
export const ZSTD_MAGIC_LENGTH = 4;
export const ZSTD_FHD_OFFSET = ZSTD_MAGIC_LENGTH;
export const ZSTD_FHD_LENGTH = 1;
/** Where the window descriptor (or, in a single-segment frame, the dictionary id) starts. */
export const ZSTD_DESCRIPTOR_OFFSET = ZSTD_FHD_OFFSET + ZSTD_FHD_LENGTH;
export const ZSTD_SKIPPABLE_SIZE_LENGTH = 4;
export const ZSTD_SKIPPABLE_HEADER_LENGTH = ZSTD_MAGIC_LENGTH + ZSTD_SKIPPABLE_SIZE_LENGTH;
export const ZSTD_BLOCK_HEADER_LENGTH = 3;
export const ZSTD_CHECKSUM_LENGTH = 4;

// FHD bits.
export const ZSTD_FHD_FCS_SHIFT = 6;
export const ZSTD_FHD_SINGLE_SEGMENT = 0x20;
export const ZSTD_FHD_RESERVED = 0x08;
export const ZSTD_FHD_CHECKSUM = 0x04;
export const ZSTD_FHD_DICT_MASK = 0x03;
/** Bytes of the dictionary id by dictionary-id flag, and of the content size by content-size flag. */
const DICT_ID_LENGTHS = [0, 1, 2, 4] as const;
const FCS_LENGTHS = [0, 2, 4, 8] as const;
/** Flag 1 stores the content size minus 256. */
const FCS_2_BYTE_BASE = 256;

export const ZSTD_WINDOW_LOG_MIN = 10;
/** The largest window libzstd's decoder accepts by default (ZSTD_WINDOWLOG_LIMIT_DEFAULT). */
export const ZSTD_WINDOW_LOG_LIMIT = 27;
/** Block_Maximum_Size's upper bound (ZSTD_BLOCKSIZE_MAX). */
export const ZSTD_BLOCK_BYTES_MAX = 128 * 1024;

export const ZSTD_BLOCK_RAW = 0;
export const ZSTD_BLOCK_RLE = 1;
export const ZSTD_BLOCK_COMPRESSED = 2;

export interface ZstdFrameInfo {
  /** [start, end) of the frame in the input. */
  start: number;
  end: number;
  skippable: boolean;
  /** The declared content size, or -1 when the header has none. */
  contentSize: number;
  /** What the frame inflates to at most: contentSize when declared, else a bound from its blocks. */
  maxContentBytes: number;
}

export interface ZstdScan {
  frames: ZstdFrameInfo[];
  /** Sum of the frames' maxContentBytes (may exceed any limit; see scanZstdFrames). */
  maxContentBytes: number;
}

function corrupt(message: string, context: Record<string, unknown> = {}): never {
  throw new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt zstd data: ${message}`, context);
}

function readUintLE(b: Uint8Array, pos: number, length: number): number {
  let v = 0;
  for (let i = length - 1; i >= 0; i--) v = v * 256 + b[pos + i]!;
  return v;
}

/**
 * Walks every frame of `bytes`. Throws CORRUPT_COMPRESSED_DATA for anything that is not whole
 * frames to the end, UNSUPPORTED_COMPRESSION for a dictionary, and LIMIT_EXCEEDED as soon as
 * the declared content sizes alone pass `maxBytes` (bounds from blocks may pass it: only
 * decoding can tell whether the content really does).
 */
export function scanZstdFrames(bytes: Uint8Array, maxBytes: number): ZstdScan {
  const end = bytes.length;
  if (end === 0) corrupt('no frame (empty input)');
  const frames: ZstdFrameInfo[] = [];
  let declared = 0;
  let bound = 0;
  let pos = 0;
  while (pos < end) {
    const start = pos;
    if (pos + ZSTD_MAGIC_LENGTH > end) corrupt(`truncated magic number at ${pos}`, { pos });
    const magic = readUintLE(bytes, pos, ZSTD_MAGIC_LENGTH);
    if (magic >= ZSTD_SKIPPABLE_MAGIC_MIN && magic <= ZSTD_SKIPPABLE_MAGIC_MAX) {
      if (pos + ZSTD_SKIPPABLE_HEADER_LENGTH > end) corrupt(`truncated skippable frame header at ${pos}`, { pos });
      const size = readUintLE(bytes, pos + ZSTD_MAGIC_LENGTH, ZSTD_SKIPPABLE_SIZE_LENGTH);
      pos += ZSTD_SKIPPABLE_HEADER_LENGTH + size;
      if (pos > end) corrupt(`skippable frame at ${start} runs past the input`, { pos: start, size });
      frames.push({ start, end: pos, skippable: true, contentSize: 0, maxContentBytes: 0 });
      continue;
    }
    if (magic !== ZSTD_MAGIC) corrupt(`bad magic number 0x${magic.toString(16)} at ${pos}`, { pos, magic });
    pos += ZSTD_MAGIC_LENGTH;
    if (pos + ZSTD_FHD_LENGTH > end) corrupt('truncated frame header', { pos: start });
    const fhd = bytes[pos]!;
    pos += ZSTD_FHD_LENGTH;
    if (fhd & ZSTD_FHD_RESERVED) corrupt(`reserved bit set in frame header descriptor 0x${fhd.toString(16)}`, { fhd });
    const singleSegment = (fhd & ZSTD_FHD_SINGLE_SEGMENT) !== 0;
    const fcsFlag = fhd >>> ZSTD_FHD_FCS_SHIFT;
    const dictLength = DICT_ID_LENGTHS[fhd & ZSTD_FHD_DICT_MASK]!;
    const fcsLength = fcsFlag === 0 ? (singleSegment ? 1 : 0) : FCS_LENGTHS[fcsFlag]!;
    const headerRest = (singleSegment ? 0 : 1) + dictLength + fcsLength;
    if (pos + headerRest > end) corrupt('truncated frame header', { pos: start });
    let window = 0;
    if (!singleSegment) {
      const wd = bytes[pos++]!;
      const base = 2 ** (ZSTD_WINDOW_LOG_MIN + (wd >>> 3));
      window = base + (base / 8) * (wd & 7);
      if (window > 2 ** ZSTD_WINDOW_LOG_LIMIT) corrupt(`window of ${window} bytes exceeds the decoders' limit of 2^${ZSTD_WINDOW_LOG_LIMIT}`, { window });
    }
    const dictId = readUintLE(bytes, pos, dictLength);
    pos += dictLength;
    if (dictId !== 0) {
      throw new TributaryError('UNSUPPORTED_COMPRESSION', `zstd frames with a dictionary (id ${dictId}) are not supported`, { dictId });
    }
    let contentSize = -1;
    if (fcsLength > 0) {
      contentSize = readUintLE(bytes, pos, fcsLength) + (fcsLength === 2 ? FCS_2_BYTE_BASE : 0);
      pos += fcsLength;
      if (singleSegment) window = contentSize;
      declared += contentSize;
      if (declared > maxBytes) {
        throw new TributaryError('LIMIT_EXCEEDED', `zstd frames declare ${declared} bytes of content, beyond the limit of ${maxBytes}`, { declared, maxBytes });
      }
    }
    const blockMax = Math.min(window, ZSTD_BLOCK_BYTES_MAX);
    let blocksBound = 0;
    for (;;) {
      if (pos + ZSTD_BLOCK_HEADER_LENGTH > end) corrupt(`truncated block header at ${pos}`, { pos });
      const header = readUintLE(bytes, pos, ZSTD_BLOCK_HEADER_LENGTH);
      pos += ZSTD_BLOCK_HEADER_LENGTH;
      const last = (header & 1) === 1;
      const type = (header >>> 1) & 3;
      const size = header >>> 3;
      if (size > blockMax) corrupt(`block of ${size} bytes exceeds the frame's block maximum of ${blockMax}`, { pos, size, blockMax });
      if (type === ZSTD_BLOCK_RAW || type === ZSTD_BLOCK_COMPRESSED) pos += size;
      else if (type === ZSTD_BLOCK_RLE) pos += 1;
      else corrupt(`reserved block type at ${pos - ZSTD_BLOCK_HEADER_LENGTH}`, { pos: pos - ZSTD_BLOCK_HEADER_LENGTH });
      if (pos > end) corrupt('block runs past the input', { pos, size });
      blocksBound += type === ZSTD_BLOCK_COMPRESSED ? blockMax : size;
      if (last) break;
    }
    if (fhd & ZSTD_FHD_CHECKSUM) {
      pos += ZSTD_CHECKSUM_LENGTH;
      if (pos > end) corrupt('truncated content checksum', { pos });
    }
    const maxContentBytes = contentSize >= 0 ? contentSize : blocksBound;
    bound += maxContentBytes;
    frames.push({ start, end: pos, skippable: false, contentSize, maxContentBytes });
  }
  return { frames, maxContentBytes: bound };
}
