/**
 * Compression codecs by Kafka codec id (RecordBatch attributes bits 0-2):
 *
 *   0 none    the records section is stored as is
 *   1 gzip    node:zlib                                   (gzip.ts)
 *   2 snappy  xerial-framed snappy, raw snappy on decode  (snappy.ts)
 *   3 lz4     LZ4 frame format, 64 KiB independent blocks (lz4-frame.ts)
 *   4 zstd    zstd frames, native/zstd addon or WebAssembly (zstd.ts); when neither loads,
 *             the id has no entry and codecFor answers UNSUPPORTED_COMPRESSION (Kafka's
 *             UNSUPPORTED_COMPRESSION_TYPE)
 *
 * Every codec is synchronous once this module has loaded: the asynchronous steps, the
 * xxhash WebAssembly instantiation the LZ4 frame checksums need and (without the zstd addon)
 * the zstd WebAssembly build, are top-level awaits in lz4-frame.ts and zstd.ts, so importing
 * this module (or src/format/index.ts) is the initialisation and nothing can call a codec
 * before it is ready.
 */
import { TributaryError } from '../../errors.js';
import { inflatedBytesMax } from '../../limits.js';
import type { Codec } from './codec.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4-frame.js';
import { snappyCodec } from './snappy.js';
import { zstdCodec } from './zstd.js';

export type { Codec } from './codec.js';
export { encodeLz4Frame, decodeLz4Frame } from './lz4-frame.js';
export type { Lz4FrameOptions } from './lz4-frame.js';
export { encodeXerialSnappy, decodeXerialSnappy } from './snappy.js';
export { ZSTD_LEVEL_DEFAULT, ZSTD_LEVEL_MAX, ZSTD_LEVEL_MIN, decodeZstd, encodeZstd, zstdBackend, zstdVersion } from './zstd.js';
export type { ZstdBackendName } from './zstd.js';

const noneCodec: Codec = {
  id: 0,
  name: 'none',
  compress: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
  decompress: (bytes, maxBytes) => {
    if (bytes.length > maxBytes) throw new TributaryError('LIMIT_EXCEEDED', `${bytes.length} bytes exceed the limit of ${maxBytes}`, { maxBytes });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  },
};

/** Indexed by Kafka codec id; ids without an entry are unsupported. */
const CODECS: readonly (Codec | undefined)[] = [noneCodec, gzipCodec, snappyCodec, lz4Codec, zstdCodec ?? undefined];

/** Kafka's names for the codec ids, for messages. */
const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** The codec for Kafka codec id `id`; throws UNSUPPORTED_COMPRESSION for unknown ids and zstd without a backend. */
export function codecFor(id: number): Codec {
  const codec = CODECS[id];
  if (codec === undefined) {
    const name = CODEC_NAMES[id] ?? `unknown codec ${id}`;
    const why = id === 4 ? ' (neither the native/zstd addon nor the zstd WebAssembly build could be loaded)' : '';
    throw new TributaryError('UNSUPPORTED_COMPRESSION', `compression ${name} is not supported${why}`, { codec: id });
  }
  return codec;
}

/** Whether codec id `id` can be encoded and decoded by this build. */
export function isCodecSupported(id: number): boolean {
  return CODECS[id] !== undefined;
}

/** Compresses `bytes` with codec `id`, at `level` when the codec has levels (default: its own). */
export function compress(id: number, bytes: Uint8Array, level?: number): Buffer {
  return codecFor(id).compress(bytes, level);
}

/** Inflates `bytes` with codec `id`, refusing output beyond `maxBytes` (default inflatedBytesMax). */
export function decompress(id: number, bytes: Uint8Array, maxBytes = inflatedBytesMax): Buffer {
  return codecFor(id).decompress(bytes, maxBytes);
}
