/**
 * zstd (Kafka codec 4, KIP-110): the records section is zstd data, in practice one frame
 * (Kafka's Java producer writes it with zstd-jni's ZstdOutputStream, librdkafka with
 * ZSTD_compressStream; neither declares the content size, so a reader cannot size its output
 * from the header). We write one frame with libzstd's one-shot compressor at Kafka's default
 * level 3 (content size declared, no checksum). We read any sequence of zstd and skippable
 * frames filling the section (zstd-frame.ts), inflating at most `maxBytes` (the
 * decompression-bomb guard) whether or not a frame declares its size.
 *
 * Backends, the first that loads and passes a self-check at import:
 *  1. native (zstd-native.ts): Tributary's addon native/zstd over the system libzstd.
 *  2. wasm (zstd-wasm.ts): @bokuweb/zstd-wasm, where the addon cannot be built; slower.
 *  3. none: `zstdCodec` is null, so the registry answers UNSUPPORTED_COMPRESSION for codec 4
 *     (UNSUPPORTED_COMPRESSION_TYPE on the wire) wherever a zstd batch must be inflated or
 *     written. zstd batches are still stored and served as they are.
 * `TRIBUTARY_ZSTD` = `native`, `wasm` or `none` restricts the choice (tests use it). Why an
 * addon first and WebAssembly second: docs/adr/0004-zstd-native-addon-wasm-fallback.md.
 *
 * Initialisation: the WebAssembly build instantiates asynchronously; this module awaits it at
 * top level (only when the addon is missing), so importing the registry is the initialisation.
 * Every thread (each worker of the pool too) loads its own backend; no call sees another's state.
 */
import { createRequire } from 'node:module';
import { TributaryError } from '../../errors.js';
import type { Codec } from './codec.js';
import type { ZstdBackend, ZstdBackendName, ZstdCoder } from './zstd-backend.js';
import { ZSTD_LEVEL_DEFAULT, passesSelfCheck, zstdCoder } from './zstd-backend.js';
import { loadZstdNative } from './zstd-native.js';
import { loadZstdWasm } from './zstd-wasm.js';

export { ZSTD_LEVEL_DEFAULT, ZSTD_LEVEL_MAX, ZSTD_LEVEL_MIN } from './zstd-backend.js';
export type { ZstdBackendName } from './zstd-backend.js';

async function choose(): Promise<ZstdBackend | null> {
  const want = process.env.TRIBUTARY_ZSTD;
  if (want === 'none') return null;
  const require = createRequire(import.meta.url);
  if (want !== 'wasm') {
    const native = loadZstdNative(require);
    if (native && passesSelfCheck(native)) return native;
    if (want === 'native') return null;
  }
  const wasm = await loadZstdWasm(require);
  return wasm && passesSelfCheck(wasm) ? wasm : null;
}

const coder: ZstdCoder | null = await choose().then((b) => (b ? zstdCoder(b) : null));

/** Which zstd implementation this process uses, or null when it has none. */
export const zstdBackend: ZstdBackendName | null = coder?.backend.name ?? null;
/** libzstd's version behind the backend, where it says (the native addon does). */
export const zstdVersion: string | null = coder?.backend.version ?? null;

function requireCoder(): ZstdCoder {
  if (!coder) {
    throw new TributaryError('UNSUPPORTED_COMPRESSION', 'compression zstd is not supported here: neither the native/zstd addon nor the zstd WebAssembly build could be loaded', { codec: 4 });
  }
  return coder;
}

/** Compresses `bytes` into one zstd frame at `level` (default 3, Kafka's); INVALID_ARGUMENT outside [-131072, 22]. */
export function encodeZstd(bytes: Uint8Array, level = ZSTD_LEVEL_DEFAULT): Buffer {
  return requireCoder().encode(bytes, level);
}

/** Inflates the zstd frames filling `bytes`; output beyond `maxBytes` is LIMIT_EXCEEDED. */
export function decodeZstd(bytes: Uint8Array, maxBytes: number): Buffer {
  return requireCoder().decode(bytes, maxBytes);
}

/** The registry entry (compression/index.ts), or null when no backend loaded. */
export const zstdCodec: Codec | null = coder ? { id: 4, name: 'zstd', compress: (bytes, level) => coder.encode(bytes, level ?? ZSTD_LEVEL_DEFAULT), decompress: (bytes, maxBytes) => coder.decode(bytes, maxBytes) } : null;
