import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeBatch } from '../../src/format/batch-builder.js';
import { compress, decompress, zstdBackend } from '../../src/format/compression/index.js';
import { scanLog } from '../../src/format/log-scan.js';
import { CRC_OFFSET } from '../../src/format/record-batch.js';
import { WorkerPool, ownArrayBuffer, workerEntryPath } from '../../src/workers/pool.js';

// Every task goes to a worker (thresholds 0) unless a test says otherwise.
let pool: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool({ threads: 1, compressBytesMin: 0, crcBytesMin: 0 });
});
afterAll(async () => {
  await pool.close();
});

function text(n: number): Buffer {
  const b = Buffer.allocUnsafeSlow(n);
  for (let i = 0; i < n; i++) b[i] = 97 + ((i * 7 + (i >> 5)) % 26);
  return b;
}

/** A fresh Buffer that owns its whole ArrayBuffer (so it is transferred, not copied). */
function owned(b: Buffer): Buffer {
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err).not.toBeNull();
  expect(err!.name).toBe('TributaryError'); // rebuilt as our class on this side
  expect((err as unknown as { code: string }).code).toBe(code);
  return err!;
}

describe('entry point', () => {
  it('resolves to dist/ when running from TypeScript sources, else to the sibling worker.js', () => {
    expect(workerEntryPath(pathToFileURL('/repo/src/workers/pool.ts').href)).toBe('/repo/dist/src/workers/worker.js');
    expect(workerEntryPath(pathToFileURL('/repo/dist/src/workers/pool.js').href)).toBe('/repo/dist/src/workers/worker.js');
  });
});

describe('compress / decompress', () => {
  it.each([
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
  ])('%s on a worker gives the same bytes as on this thread', async (_name, codec) => {
    const data = text(300_000);
    const c = await pool.compress(codec, owned(data));
    expect(c.equals(compress(codec, data))).toBe(true);
    const d = await pool.decompress(codec, owned(c));
    expect(d.equals(data)).toBe(true);
    expect(decompress(codec, c).equals(data)).toBe(true);
  });

  it('transfers the input: afterwards the sender’s ArrayBuffer is detached', async () => {
    const input = owned(text(100_000));
    const ab = input.buffer;
    expect(ab.byteLength).toBe(100_000);
    await pool.compress(3, input);
    expect(ab.byteLength).toBe(0);
    expect(input.length).toBe(0);
  });

  it('a slice of a larger buffer is copied first: the larger buffer stays usable', async () => {
    const big = owned(text(200_000));
    const slice = big.subarray(1000, 101_000);
    const expected = compress(1, slice);
    const c = await pool.compress(1, slice);
    expect(c.equals(expected)).toBe(true);
    expect(big.buffer.byteLength).toBe(200_000);
    expect(big.subarray(1000, 101_000).equals(text(200_000).subarray(1000, 101_000))).toBe(true);
    const small = Buffer.from('pooled'); // from Node's shared 8 KiB pool
    expect(ownArrayBuffer(small)).not.toBe(small);
    const whole = owned(text(10));
    expect(ownArrayBuffer(whole)).toBe(whole);
  });

  it('the result arrives transferred: it owns its memory and is a real Buffer', async () => {
    const c = await pool.compress(3, owned(text(100_000)));
    expect(Buffer.isBuffer(c)).toBe(true);
    expect(c.buffer.byteLength).toBeGreaterThanOrEqual(c.length);
  });

  it('errors keep their code: corrupt data, an unknown codec, the bomb guard', async () => {
    const err = await rejectsWith(pool.decompress(3, owned(Buffer.from('not an lz4 frame at all'))), 'CORRUPT_COMPRESSED_DATA');
    expect((err as unknown as { context: { fromWorker: boolean } }).context.fromWorker).toBe(true);
    await rejectsWith(pool.compress(5, owned(text(10))), 'UNSUPPORTED_COMPRESSION');
    await rejectsWith(pool.decompress(1, owned(compress(1, text(100_000))), 1000), 'LIMIT_EXCEEDED');
  });

  it.skipIf(zstdBackend === null)('zstd is a codec like the others on the pool: both ways, its errors coded, its bound kept', async () => {
    const data = text(300_000);
    const packed = await pool.compress(4, owned(data));
    expect(packed.equals(compress(4, data))).toBe(true);
    expect((await pool.decompress(4, owned(packed))).equals(data)).toBe(true);
    const bomb = owned(compress(4, Buffer.alloc(1 << 21)));
    await rejectsWith(pool.decompress(4, owned(Buffer.concat([bomb, Buffer.alloc(70_000)])), 1 << 22), 'CORRUPT_COMPRESSED_DATA');
    const big = owned(compress(4, text(1 << 20)));
    await rejectsWith(pool.decompress(4, big, (1 << 20) - 1), 'LIMIT_EXCEEDED');
  });

  it('small inputs stay on the calling thread (nothing is transferred)', async () => {
    const inline = new WorkerPool({ threads: 1 });
    try {
      const input = owned(text(100));
      const ab = input.buffer;
      const c = await inline.compress(1, input);
      expect(ab.byteLength).toBe(100);
      expect(c.equals(compress(1, text(100)))).toBe(true);
      const r = await inline.verifyBatchCrcs(input);
      expect(r.bytes).toBe(input);
    } finally {
      await inline.close();
    }
  });
});

describe('verifyBatchCrcs', () => {
  const batches = Array.from({ length: 50 }, (_, i) => encodeBatch({ baseOffset: i * 3, records: [{ value: text(500) }, { value: null }, { value: text(9) }] }));

  it('all good: counts every batch and hands the bytes back', async () => {
    const buf = owned(Buffer.concat(batches));
    const copy = Buffer.from(buf);
    const ab = buf.buffer;
    const r = await pool.verifyBatchCrcs(buf);
    expect(ab.byteLength).toBe(0); // moved to the worker ...
    expect(r.bytes.equals(copy)).toBe(true); // ... and back
    expect(r).toMatchObject({ batches: 50, bad: null, validEnd: copy.length });
  });

  it('reports the first bad batch with both CRCs', async () => {
    const buf = owned(Buffer.concat(batches));
    const pos = batches.slice(0, 17).reduce((n, b) => n + b.length, 0);
    const stored = buf.readUInt32BE(pos + CRC_OFFSET);
    buf.writeUInt32BE((stored ^ 0xdeadbeef) >>> 0, pos + CRC_OFFSET);
    const r = await pool.verifyBatchCrcs(buf);
    expect(r.batches).toBe(17);
    expect(r.validEnd).toBe(pos);
    expect(r.bad).toEqual({ index: 17, position: pos, stored: (stored ^ 0xdeadbeef) >>> 0, computed: stored });
  });

  it('a partial batch at the end is not counted', async () => {
    const whole = Buffer.concat(batches.slice(0, 3));
    const r = await pool.verifyBatchCrcs(owned(Buffer.concat([whole, batches[3]!.subarray(0, 40)])));
    expect(r).toMatchObject({ batches: 3, bad: null, validEnd: whole.length });
  });
});

describe('scanSegment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches scanLog on the same bytes, with file positions, from a start position', async () => {
    const parts = Array.from({ length: 40 }, (_, i) => encodeBatch({ baseOffset: i * 2, records: [{ value: text(100), timestamp: 1000 + i }, { value: null, timestamp: 5 }] }));
    const file = Buffer.concat([...parts, parts[0]!.subarray(0, 30)]); // torn tail
    const path = join(dir, '00000000000000000000.log');
    writeFileSync(path, file);
    const start = parts[0]!.length + parts[1]!.length;
    const r = await pool.scanSegment(path, start);
    const ref = scanLog(file, start);
    expect(r.count).toBe(38);
    expect(r.stop).toBe('torn');
    expect(r.validEnd).toBe(ref.validEnd);
    expect([...r.positions]).toEqual([...ref.positions]);
    expect([...r.baseOffsets]).toEqual([...ref.baseOffsets]);
    expect([...r.lastOffsets]).toEqual([...ref.lastOffsets]);
    expect([...r.maxTimestamps]).toEqual([...ref.maxTimestamps]);
    expect([...r.sizes]).toEqual([...ref.sizes]);
    expect(r.positions).toBeInstanceOf(Float64Array);
  });

  it('passes the options through: end, expectedNextOffset, verifyCrc', async () => {
    const parts = Array.from({ length: 5 }, (_, i) => encodeBatch({ baseOffset: i, records: [{ value: null }] }));
    const file = Buffer.concat(parts);
    file[parts[0]!.length + parts[1]!.length + 40]! ^= 1; // corrupt batch 2's contents
    const path = join(dir, 'opts.log');
    writeFileSync(path, file);
    expect(await pool.scanSegment(path, 0)).toMatchObject({ count: 2, stop: 'crc' });
    expect(await pool.scanSegment(path, 0, { verifyCrc: false })).toMatchObject({ count: 5, stop: 'end' });
    expect(await pool.scanSegment(path, 0, { end: parts[0]!.length })).toMatchObject({ count: 1, stop: 'end', validEnd: parts[0]!.length });
    expect(await pool.scanSegment(path, 0, { expectedNextOffset: 1 })).toMatchObject({ count: 0, stop: 'offset-order' });
    expect(await pool.scanSegment(path, file.length)).toMatchObject({ count: 0, stop: 'end', validEnd: file.length });
  });

  it('a missing file is STORAGE_IO', async () => {
    await rejectsWith(pool.scanSegment(join(dir, 'missing.log'), 0), 'STORAGE_IO');
  });
});

describe('lifecycle', () => {
  it('close waits for queued work, then every call fails with CLOSED', async () => {
    const p = new WorkerPool({ threads: 1, compressBytesMin: 0 });
    const pending = p.compress(1, owned(text(50_000)));
    const closing = p.close();
    expect(p.closed).toBe(true);
    expect((await pending).length).toBeGreaterThan(0);
    await closing;
    await rejectsWith(p.compress(1, owned(text(10))), 'CLOSED');
    await rejectsWith(p.verifyBatchCrcs(Buffer.alloc(0)), 'CLOSED');
    await rejectsWith(p.scanSegment('/nonexistent', 0), 'CLOSED');
    await p.close(); // idempotent
  });

  it('rejects a thread count outside [1, workerThreadsMax]', () => {
    expect(() => new WorkerPool({ threads: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new WorkerPool({ threads: 1000 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
