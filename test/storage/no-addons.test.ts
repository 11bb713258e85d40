/**
 * Where the native addons cannot be built or loaded, the engine falls back to the file backend,
 * the pure-JS CRC-32C and the zstd WebAssembly build, says so once in its log, and keeps
 * working. Where no zstd backend loads at all, zstd batches that must be inflated get a typed
 * UNSUPPORTED_COMPRESSION error (test/server/no-zstd.test.ts: the same on the wire).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blockModules } from '../helpers/block-modules.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/test/storage/fixtures/no-addons.js');

const ADDONS = ['mmap-io', 'sse4_crc32', 'tributary_crc32c.node', 'tributary_zstd.node'];

function runFixture(blocked: string[]): { backends: string[]; crc: string; zstdBackend: string | null; zstd: string; warnings: string[]; bytes: number } {
  const t = tmpDir();
  try {
    const preload = path.join(t.dir, 'block-addons.cjs');
    fs.writeFileSync(preload, blockModules(blocked));
    const out = execFileSync(process.execPath, ['--require', preload, fixture, t.dir], { encoding: 'utf8', env: { ...process.env, TRIBUTARY_CRC32C: '', TRIBUTARY_ZSTD: '' } });
    return JSON.parse(out.trim()) as ReturnType<typeof runFixture>;
  } finally {
    t.cleanup();
  }
}

describe('without native addons', () => {
  it('falls back to the file backend, JS CRC-32C and WebAssembly zstd, warns once, and still stores data', () => {
    const r = runFixture(ADDONS);
    expect(r.backends).toEqual(['file', 'file']);
    expect(r.crc).toBe('js');
    expect(r.warnings.filter((w) => w.includes('mmap-io'))).toHaveLength(1);
    expect(r.bytes).toBeGreaterThan(61);
    // A real client's zstd batch is inflated (keys checked) by the WebAssembly build.
    expect(r.zstdBackend).toBe('wasm');
    expect(r.zstd).toBe('appended 6 records');
  });

  it('without the zstd WebAssembly build either, a zstd batch that must be inflated is a typed UNSUPPORTED_COMPRESSION error', () => {
    const r = runFixture([...ADDONS, '@bokuweb/zstd-wasm']);
    expect(r.zstdBackend).toBe(null);
    expect(r.zstd).toBe('error UNSUPPORTED_COMPRESSION');
    expect(r.bytes).toBeGreaterThan(61);
  });
});
