/**
 * The WebAssembly zstd backend: @bokuweb/zstd-wasm (libzstd compiled to WebAssembly, no
 * dependencies), for machines where native/zstd cannot be built. Two to three times slower
 * than the addon (docs/benchmarks.md "zstd backends").
 *
 * The package offers one-shot calls only (ZSTD_compress, ZSTD_decompress). Decompression goes
 * frame by frame (zstd-frame.ts found them): a frame that declares its content size is inflated
 * into exactly that (the package sizes the buffer from the header; the walk already checked it
 * against the limit); one that does not gets a buffer of its blocks' bound, capped by what is
 * left of `maxBytes`. libzstd's dstSize_tooSmall then means, with the cap in force, "inflates
 * beyond the limit", and otherwise corrupt data (the bound is a true upper bound). WebAssembly
 * memory grows to the largest output and never shrinks: at most about inflatedBytesMax per thread.
 */
import type { createRequire } from 'node:module';
import { TributaryError } from '../../errors.js';
import type { ZstdBackend } from './zstd-backend.js';
import { asBuffer } from './zstd-backend.js';

interface WasmZstd {
  init(): Promise<void>;
  compress(bytes: Uint8Array, level?: number): Uint8Array;
  /** `defaultHeapSize` is the output buffer when the frame declares no content size. */
  decompress(bytes: Uint8Array, opts?: { defaultHeapSize?: number }): Uint8Array;
}

/** libzstd's ZSTD_error_dstSize_tooSmall (zstd_errors.h). */
const ZSTD_ERROR_DST_SIZE_TOO_SMALL = 70;

/** The libzstd error number in one of the package's errors ("Failed to compress with code -70"), or -1. */
function errorNumber(err: unknown): number {
  const m = /code (-?\d+)/.exec(String((err as Error | undefined)?.message));
  return m ? Math.abs(Number(m[1])) : -1;
}

function backendOf(wasm: WasmZstd): ZstdBackend {
  return {
    name: 'wasm',
    version: null,
    compress: (bytes, level) => asBuffer(wasm.compress(bytes, level)),
    decompress(bytes, maxBytes, scan) {
      const parts: Buffer[] = [];
      let total = 0;
      for (const f of scan.frames) {
        if (f.skippable) continue;
        const room = maxBytes - total;
        if (f.contentSize > room) throw new TributaryError('LIMIT_EXCEEDED', `zstd data inflates beyond the limit of ${maxBytes} bytes`, { maxBytes });
        const capacity = Math.min(f.maxContentBytes, room);
        let out: Uint8Array;
        try {
          out = wasm.decompress(bytes.subarray(f.start, f.end), { defaultHeapSize: capacity });
        } catch (err) {
          const n = errorNumber(err);
          if (n === ZSTD_ERROR_DST_SIZE_TOO_SMALL && f.contentSize < 0 && capacity < f.maxContentBytes) {
            throw new TributaryError('LIMIT_EXCEEDED', `zstd data inflates beyond the limit of ${maxBytes} bytes`, { maxBytes }, err);
          }
          throw new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt zstd data: libzstd error ${n} in the frame at ${f.start}`, { zstdError: n, pos: f.start }, err);
        }
        total += out.length;
        parts.push(asBuffer(out));
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    },
  };
}

let loading: Promise<ZstdBackend | null> | null = null;

/**
 * The WebAssembly build, instantiated, if the package is installed and WebAssembly works; else
 * null. Instantiated once per thread: the package keeps one module, and a second init()
 * replaces its memory under the first.
 */
export function loadZstdWasm(require: ReturnType<typeof createRequire>): Promise<ZstdBackend | null> {
  loading ??= (async () => {
    try {
      const wasm = require('@bokuweb/zstd-wasm') as WasmZstd;
      await wasm.init();
      return backendOf(wasm);
    } catch {
      return null;
    }
  })();
  return loading;
}
