/**
 * Where the native addons cannot be built or loaded, the engine falls back to the file backend
 * and the pure-JS CRC-32C, says so once in its log, and keeps working.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp-dir.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/test/storage/fixtures/no-addons.js');

/** A CommonJS preload that makes the two addons fail to load, as on a machine without a compiler. */
const BLOCK_ADDONS = `
const Module = require('module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'mmap-io' || request === 'sse4_crc32' || String(request).endsWith('tributary_crc32c.node')) throw new Error('blocked for test: ' + request);
  return load.call(this, request, ...rest);
};
`;

describe('without native addons', () => {
  it('falls back to the file backend and JS CRC-32C, warns once, and still stores data', () => {
    const t = tmpDir();
    try {
      const preload = path.join(t.dir, 'block-addons.cjs');
      fs.writeFileSync(preload, BLOCK_ADDONS);
      const out = execFileSync(process.execPath, ['--require', preload, fixture, t.dir], { encoding: 'utf8', env: { ...process.env, TRIBUTARY_CRC32C: '' } });
      const r = JSON.parse(out.trim()) as { backends: string[]; crc: string; warnings: string[]; bytes: number };
      expect(r.backends).toEqual(['file', 'file']);
      expect(r.crc).toBe('js');
      expect(r.warnings.filter((w) => w.includes('mmap-io'))).toHaveLength(1);
      expect(r.bytes).toBeGreaterThan(61);
    } finally {
      t.cleanup();
    }
  });
});
