/**
 * What a zstd backend (zstd-native.ts, zstd-wasm.ts) provides, and the one wrapper every
 * caller goes through (`zstdCoder`): level checks, the structural walk of zstd-frame.ts before
 * any decoding (so both backends accept and reject the same inputs with the same errors), and
 * the self-check a backend must pass before it is used. zstd.ts picks the backend.
 */
import { TributaryError } from '../../errors.js';
import type { ZstdScan } from './zstd-frame.js';
import { scanZstdFrames } from './zstd-frame.js';

/** Kafka's default zstd level (CompressionType.ZSTD.defaultLevel(), ZSTD_CLEVEL_DEFAULT). */
export const ZSTD_LEVEL_DEFAULT = 3;
/** libzstd's level range (ZSTD_minCLevel(), ZSTD_maxCLevel()), which Kafka's compression.zstd.level takes. */
export const ZSTD_LEVEL_MIN = -131072;
export const ZSTD_LEVEL_MAX = 22;

export type ZstdBackendName = 'native' | 'wasm';

export interface ZstdBackend {
  readonly name: ZstdBackendName;
  /** libzstd's version string, where the backend reports it. */
  readonly version: string | null;
  /** One frame of `bytes` at `level` (already range-checked), declaring its content size. */
  compress(bytes: Uint8Array, level: number): Buffer;
  /**
   * One frame without the content size in its header, as Kafka's clients write (they compress
   * as a stream). Only the native backend can; tests and benchmarks use it to make such frames.
   */
  compressUnsized?(bytes: Uint8Array, level: number): Buffer;
  /** Inflates `bytes`, which scanZstdFrames accepted as `scan`, to at most `maxBytes`; throws TributaryErrors. */
  decompress(bytes: Uint8Array, maxBytes: number, scan: ZstdScan): Buffer;
}

export interface ZstdCoder {
  readonly backend: ZstdBackend;
  /** Compresses `bytes` into one zstd frame at `level` (default 3). */
  encode(bytes: Uint8Array, level?: number): Buffer;
  /** Inflates the zstd frames filling `bytes`; output beyond `maxBytes` is LIMIT_EXCEEDED. */
  decode(bytes: Uint8Array, maxBytes: number): Buffer;
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function zstdCoder(backend: ZstdBackend): ZstdCoder {
  return {
    backend,
    encode(bytes, level = ZSTD_LEVEL_DEFAULT) {
      if (!Number.isInteger(level) || level < ZSTD_LEVEL_MIN || level > ZSTD_LEVEL_MAX) {
        throw new TributaryError('INVALID_ARGUMENT', `zstd level ${level} is outside [${ZSTD_LEVEL_MIN}, ${ZSTD_LEVEL_MAX}]`, { level });
      }
      return backend.compress(bytes, level);
    },
    decode(bytes, maxBytes) {
      return backend.decompress(bytes, maxBytes, scanZstdFrames(bytes, maxBytes));
    },
  };
}

/** `printf 'tributary zstd' | zstd -c`: a frame without a content size, with a checksum. */
const SELF_CHECK_FRAME = Buffer.from('28b52ffd0458710000747269627574617279207a73746492717b48', 'hex');
const SELF_CHECK_TEXT = 'tributary zstd';

/** Never trust a backend blindly: it must decode the CLI's frame and round-trip, once at load. */
export function passesSelfCheck(backend: ZstdBackend): boolean {
  try {
    const z = zstdCoder(backend);
    if (z.decode(SELF_CHECK_FRAME, SELF_CHECK_TEXT.length).toString('latin1') !== SELF_CHECK_TEXT) return false;
    const text = Buffer.from(SELF_CHECK_TEXT.repeat(16));
    return z.decode(z.encode(text), text.length).equals(text);
  } catch {
    return false;
  }
}
