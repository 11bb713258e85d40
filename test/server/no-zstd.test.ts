/**
 * A broker with no zstd backend (neither native/zstd nor the WebAssembly build loads), in a
 * child process: it says so once at start, stores and serves zstd batches as they are, and
 * answers UNSUPPORTED_COMPRESSION_TYPE where a zstd batch must be inflated (the key check of a
 * compacted topic, ListOffsets by time inside the batch).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KafkaErrorCode } from '../../src/protocol/index.js';
import { blockModules } from '../helpers/block-modules.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/test/server/fixtures/no-zstd.js');

describe('a broker without any zstd backend', () => {
  it('logs zstd none once with a warning, passes zstd batches through, and answers UNSUPPORTED_COMPRESSION_TYPE where one must be inflated', () => {
    const t = tmpDir();
    try {
      const preload = path.join(t.dir, 'block-zstd.cjs');
      fs.writeFileSync(preload, blockModules(['tributary_zstd.node', '@bokuweb/zstd-wasm']));
      const out = execFileSync(process.execPath, ['--require', preload, fixture, path.join(t.dir, 'data')], { encoding: 'utf8', env: { ...process.env, TRIBUTARY_ZSTD: '' }, timeout: 30_000 });
      const r = JSON.parse(out.trim()) as Record<string, unknown>;
      expect(r).toMatchObject({
        zstdBackend: null,
        logged: 'none',
        table: KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        plain: 0,
        fetchError: 0,
        servedAsStored: true,
        listOffsetsByTime: KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      });
      expect((r.warnings as string[]).filter((w) => w.includes('zstd'))).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });
});
