/**
 * The native zstd backend: Tributary's Node-API addon native/zstd (C, over the system libzstd,
 * built by scripts/install.sh). It streams every frame with a bound (see native/zstd/zstd.c),
 * so frames without a content size need no guess. Its errors carry `code` ERR_ZSTD_LIMIT or
 * ERR_ZSTD_CORRUPT, which become LIMIT_EXCEEDED and CORRUPT_COMPRESSED_DATA here.
 */
import type { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TributaryError } from '../../errors.js';
import type { ZstdBackend } from './zstd-backend.js';

interface NativeZstd {
  compress(bytes: Uint8Array, level: number, contentSize?: boolean): Buffer;
  decompress(bytes: Uint8Array, maxBytes: number): Buffer;
  version: string;
}

/** Where native/zstd's build output may be, from this module up (it runs from src/ or dist/src/). */
function addonPaths(): string[] {
  const out: string[] = [];
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    dir = path.dirname(dir);
    out.push(path.join(dir, 'native', 'zstd', 'build', 'Release', 'tributary_zstd.node'));
  }
  return out;
}

function translate(err: unknown, maxBytes: number): unknown {
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message;
  if (code === 'ERR_ZSTD_LIMIT') return new TributaryError('LIMIT_EXCEEDED', `zstd data inflates beyond the limit of ${maxBytes} bytes`, { maxBytes }, err);
  if (code === 'ERR_ZSTD_CORRUPT') return new TributaryError('CORRUPT_COMPRESSED_DATA', `corrupt zstd data: ${message}`, { zstdError: message }, err);
  return err; // ERR_ZSTD_NOMEM, or a bug: not the data's fault
}

/** The addon, if it is built and loads here (it also needs libzstd.so.1 at run time); else null. */
export function loadZstdNative(require: ReturnType<typeof createRequire>): ZstdBackend | null {
  for (const file of addonPaths()) {
    let mod: Partial<NativeZstd>;
    try {
      mod = require(file) as Partial<NativeZstd>;
    } catch {
      continue; // not built there, or not loadable: try the next place
    }
    if (typeof mod.compress !== 'function' || typeof mod.decompress !== 'function') continue;
    const native = mod as NativeZstd;
    return {
      name: 'native',
      version: typeof native.version === 'string' ? native.version : null,
      compress: (bytes, level) => native.compress(bytes, level),
      compressUnsized: (bytes, level) => native.compress(bytes, level, false),
      decompress(bytes, maxBytes) {
        try {
          return native.decompress(bytes, maxBytes);
        } catch (err) {
          throw translate(err, maxBytes);
        }
      },
    };
  }
  return null;
}
