/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka's RecordBatch v2 uses.
 *
 * Implementations with one contract: `crc32c(bytes, seed)` returns the unsigned CRC, and
 * `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)`.
 *  - native, first choice: Tributary's own addon (native/crc32c, built by scripts/install.sh),
 *    the CPU's CRC32 instruction on three interleaved streams (~15 GB/s on 1 MiB here,
 *    docs/benchmarks.md "CRC-32C");
 *  - native, second choice: the `sse4_crc32` addon, the same instruction on one stream
 *    (~4 GB/s here);
 *  - js: slicing-by-8 tables (~1.2 GB/s here), always built and always tested, used when
 *    neither addon can be built or loaded.
 * `crc32cBackend` says whether `crc32c` is native or js, `crc32cAddon` which addon.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const POLY = 0x82f63b78;

/** 8 tables of 256 entries: T[k][b] is the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** Pure-JS slicing-by-8 CRC-32C. */
export function crc32cJs(bytes: Uint8Array, seed = 0): number {
  const t = TABLES;
  let crc = ~seed >>> 0;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo = (crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    crc =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + bytes[i + 4]!]! ^
      t[2 * 256 + bytes[i + 5]!]! ^
      t[1 * 256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < n) crc = t[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

type NativeCrc = { calculate(buf: Buffer, initial?: number): number };

/** Where native/crc32c's build output may be, from this module up (it runs from src/ or dist/src/). */
function ownAddonPaths(): string[] {
  const out: string[] = [];
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    dir = path.dirname(dir);
    out.push(path.join(dir, 'native', 'crc32c', 'build', 'Release', 'tributary_crc32c.node'));
  }
  return out;
}

/**
 * The first addon that loads and gets the reference vector right, or null. `TRIBUTARY_CRC32C`
 * = `js` forces the JS path, = `sse4_crc32` skips Tributary's addon (tests compare them).
 */
function loadNative(): { name: 'tributary' | 'sse4_crc32'; mod: NativeCrc } | null {
  const choice = process.env.TRIBUTARY_CRC32C;
  if (choice === 'js') return null;
  const require = createRequire(import.meta.url);
  const candidates: ['tributary' | 'sse4_crc32', string][] = [...(choice === 'sse4_crc32' ? [] : ownAddonPaths().map((p) => ['tributary', p] as ['tributary', string])), ['sse4_crc32', 'sse4_crc32']];
  for (const [name, id] of candidates) {
    try {
      const mod = require(id) as Partial<NativeCrc>;
      // Never trust an addon blindly: check it against the reference vector once.
      if (typeof mod.calculate !== 'function' || mod.calculate(Buffer.from('123456789')) >>> 0 !== 0xe3069283) continue;
      return { name, mod: mod as NativeCrc };
    } catch {
      // not built or not loadable here: try the next
    }
  }
  return null;
}

const loaded = loadNative();
const native = loaded?.mod ?? null;

/** Which implementation `crc32c` uses: 'native' (CPU instruction) or 'js'. */
export const crc32cBackend: 'native' | 'js' = native ? 'native' : 'js';
/** Which addon the native backend is (null with the JS one). */
export const crc32cAddon: 'tributary' | 'sse4_crc32' | null = loaded?.name ?? null;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Native CRC-32C; throws if the addon is not available. */
export function crc32cNative(bytes: Uint8Array, seed = 0): number {
  if (!native) throw new Error('no CRC-32C addon is available');
  return native.calculate(asBuffer(bytes), seed) >>> 0;
}

/** The fastest CRC-32C this process has. Below ~64 bytes the JS path avoids the addon call overhead. */
export const crc32c: (bytes: Uint8Array, seed?: number) => number = native
  ? (bytes, seed = 0) => (bytes.length < 64 ? crc32cJs(bytes, seed) : (native.calculate(asBuffer(bytes), seed) >>> 0))
  : crc32cJs;
