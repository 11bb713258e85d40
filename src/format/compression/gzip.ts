/**
 * gzip (Kafka codec 1): the records section is one RFC 1952 gzip stream, as Java's
 * GZIPOutputStream writes it. We compress with zlib's defaults (level 6), which is what
 * kafkajs does too, so our gzip batches are byte-identical to theirs. A topic's
 * compression.gzip.level (1-9; -1 is zlib's default) is passed as zlib's level.
 *
 * Decompression uses `gunzipSync` with `maxOutputLength`, so zlib itself stops at the limit
 * instead of inflating a bomb into memory first. Concatenated gzip members are accepted
 * (zlib's gunzip does), as Java's GZIPInputStream accepts them.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { TributaryError } from '../../errors.js';
import type { Codec } from './codec.js';

export const gzipCodec: Codec = {
  id: 1,
  name: 'gzip',
  compress(bytes: Uint8Array, level?: number): Buffer {
    return level === undefined ? gzipSync(bytes) : gzipSync(bytes, { level });
  },
  decompress(bytes: Uint8Array, maxBytes: number): Buffer {
    try {
      return gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        throw new TributaryError('LIMIT_EXCEEDED', `gzip data inflates beyond the limit of ${maxBytes} bytes`, { maxBytes }, err);
      }
      throw new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt gzip data: ${(err as Error).message}`, { zlibCode: code }, err);
    }
  },
};
