/**
 * The public API of format/: Kafka RecordBatch v2, its records, varints, CRC-32C, the
 * compression codecs and the log scan. Pure computation only; no I/O (eslint enforces it).
 * Importing this module initialises the codecs (see compression/index.ts).
 */
export * from './varint.js';
export * from './crc32c.js';
export * from './record-batch.js';
export * from './records.js';
export * from './batch-builder.js';
export * from './inflated-batch.js';
export * from './log-scan.js';
export * from './batch-rewrite.js';
export type { Codec, Lz4FrameOptions, ZstdBackendName } from './compression/index.js';
export {
  codecFor,
  compress,
  decompress,
  isCodecSupported,
  encodeLz4Frame,
  decodeLz4Frame,
  encodeXerialSnappy,
  decodeXerialSnappy,
  encodeZstd,
  decodeZstd,
  zstdBackend,
  zstdVersion,
  ZSTD_LEVEL_DEFAULT,
  ZSTD_LEVEL_MIN,
  ZSTD_LEVEL_MAX,
} from './compression/index.js';
