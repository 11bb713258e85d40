// The record pass on append (append-validator.ts): recompression into compression.type,
// timestamp windows, keys on compacted topics; in-thread and on the worker pool.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import type { TributaryError } from '../../src/errors.js';
import { encodeBatch } from '../../src/format/batch-builder.js';
import type { BatchInput } from '../../src/format/batch-builder.js';
import { isCodecSupported } from '../../src/format/compression/index.js';
import { decodeBatch } from '../../src/format/inflated-batch.js';
import { CompressionCodec, DeflatedBatch } from '../../src/format/record-batch.js';
import type { CompressionName } from '../../src/format/record-batch.js';
import { workerCompressBytesMin } from '../../src/limits.js';
import type { StorageEngine, StoragePool } from '../../src/storage/index.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { openEngine, rmDir, tmpDir } from './helpers.js';

/** Every stored batch of a partition, decoded, with its codec. */
function stored(engine: StorageEngine, topic: string) {
  const out: { codec: number; batch: ReturnType<typeof decodeBatch> }[] = [];
  for (const buf of engine.read(topic, 0, engine.listOffsets(topic, 0, 'earliest').offset, 1 << 30).batches) {
    for (const b of DeflatedBatch.all(buf)) out.push({ codec: b.compression, batch: decodeBatch(b) });
  }
  return out;
}

const recs = (n: number, tag: string, ts = 1_000) =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`${tag}-k${i}`), value: Buffer.from(`${tag}-value-${i}`), headers: [{ key: 'h', value: Buffer.from(String(i)) }], timestamp: ts + i }));

const errorOf = async (p: Promise<unknown>): Promise<TributaryError> => {
  const err = await p.catch((e: unknown) => e);
  if (!isTributaryError(err)) throw new Error(`expected a TributaryError, got ${String(err)}`);
  return err;
};

describe('append: recompression into compression.type (in-thread)', () => {
  let dir: string;
  let engine: StorageEngine;
  let now = 10_000;
  beforeEach(async () => {
    dir = tmpDir('tributary-recompress-');
    engine = await openEngine(dir, 'file', { clock: () => now });
  });
  afterEach(async () => {
    await engine.close();
    rmDir(dir);
  });

  for (const target of ['uncompressed', 'gzip', 'snappy', 'lz4'] as const) {
    it(`stores every batch of a compression.type=${target} topic in ${target}, records and offsets unchanged`, async () => {
      await engine.createTopic('t', { partitions: 1, config: { 'compression.type': target } });
      const inputs: BatchInput[] = (['none', 'gzip', 'snappy', 'lz4'] as CompressionName[]).map((compression, i) => ({
        records: recs(5, `b${i}`),
        compression,
        producerId: 7,
        producerEpoch: 2,
        baseSequence: i * 5,
      }));
      for (const input of inputs) await engine.append('t', 0, encodeBatch(input));
      const got = stored(engine, 't');
      const want = target === 'uncompressed' ? 0 : CompressionCodec[target];
      expect(got.map((g) => g.codec)).toEqual([want, want, want, want]);
      got.forEach((g, i) => {
        expect(g.batch.baseOffset).toBe(i * 5);
        expect(g.batch).toMatchObject({ producerId: 7, producerEpoch: 2, baseSequence: i * 5, lastOffsetDelta: 4 });
        expect(g.batch.records.map((r) => [r.offset, r.timestamp, r.key!.toString(), r.value!.toString(), r.headers[0]!.value!.toString()])).toEqual(
          inputs[i]!.records.map((r, j) => [i * 5 + j, r.timestamp, r.key!.toString(), r.value!.toString(), String(j)]),
        );
      });
      // An idempotent retry of a recompressed batch is still recognised as a duplicate.
      const retry = await engine.append('t', 0, encodeBatch(inputs[3]!));
      expect(retry).toMatchObject({ duplicate: true, baseOffset: 15 });
    });
  }

  it('keeps the producer\'s codec with compression.type=producer, and applies a change live', async () => {
    await engine.createTopic('t', { partitions: 1 });
    await engine.append('t', 0, encodeBatch({ records: recs(2, 'a'), compression: 'snappy' }));
    await engine.alterTopicConfig('t', { 'compression.type': 'gzip', 'compression.gzip.level': 9 });
    await engine.append('t', 0, encodeBatch({ records: recs(2, 'b'), compression: 'snappy' }));
    await engine.alterTopicConfig('t', {}, ['compression.type']);
    await engine.append('t', 0, encodeBatch({ records: recs(2, 'c') }));
    expect(stored(engine, 't').map((g) => g.codec)).toEqual([CompressionCodec.snappy, CompressionCodec.gzip, CompressionCodec.none]);
  });

  it('zstd: a batch needing recompression answers UNSUPPORTED_COMPRESSION until the registry has zstd', async () => {
    await engine.createTopic('z', { partitions: 1, config: { 'compression.type': 'zstd' } });
    const p = engine.append('z', 0, encodeBatch({ records: recs(3, 'z'), compression: 'gzip' }));
    if (isCodecSupported(CompressionCodec.zstd)) {
      await p;
      expect(stored(engine, 'z').map((g) => g.codec)).toEqual([CompressionCodec.zstd]);
    } else {
      expect((await errorOf(p)).code).toBe('UNSUPPORTED_COMPRESSION');
      expect(engine.listOffsets('z', 0, 'latest').offset).toBe(0);
    }
  });

  it('checks max.message.bytes again on the recompressed batch', async () => {
    await engine.createTopic('u', { partitions: 1, config: { 'compression.type': 'uncompressed', 'max.message.bytes': 2_000 } });
    const small = encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.alloc(10_000, 0x61) }], compression: 'gzip' });
    expect(small.length).toBeLessThan(2_000);
    expect((await errorOf(engine.append('u', 0, small))).code).toBe('BATCH_TOO_LARGE');
    expect(engine.listOffsets('u', 0, 'latest').offset).toBe(0);
  });

  it('rejects CreateTime records outside message.timestamp.before/after.max.ms, whole batch, listing them', async () => {
    await engine.createTopic('ts', { partitions: 1, config: { 'message.timestamp.before.max.ms': 1_000, 'message.timestamp.after.max.ms': 500 } });
    now = 10_000;
    const mixed = encodeBatch({ records: [8_999, 9_000, 10_500, 10_501].map((timestamp, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from('v'), timestamp })) });
    const err = await errorOf(engine.append('ts', 0, mixed));
    expect(err.code).toBe('INVALID_TIMESTAMP');
    expect((err.context.recordErrors as { batchIndex: number }[]).map((e) => e.batchIndex)).toEqual([0, 3]);
    expect(engine.listOffsets('ts', 0, 'latest').offset).toBe(0);
    const ok = encodeBatch({ records: [9_000, 10_500].map((timestamp) => ({ value: Buffer.from('v'), timestamp })) });
    expect((await engine.append('ts', 0, ok)).baseOffset).toBe(0);
    // The window moves with the broker clock; LogAppendTime topics do not check it.
    now = 20_000;
    expect((await errorOf(engine.append('ts', 0, ok))).code).toBe('INVALID_TIMESTAMP');
    await engine.alterTopicConfig('ts', { 'message.timestamp.type': 'LogAppendTime' });
    expect((await engine.append('ts', 0, ok)).baseOffset).toBe(2);
  });

  it('applies appends in call order when some need the record pass and some do not', async () => {
    await engine.createTopic('o', { partitions: 1, config: { 'compression.type': 'lz4' } });
    const pending = Array.from({ length: 30 }, (_, i) =>
      engine.append('o', 0, encodeBatch({ records: recs(1, `r${i}`), compression: i % 3 === 0 ? 'lz4' : i % 3 === 1 ? 'none' : 'gzip' })),
    );
    const results = await Promise.all(pending);
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(stored(engine, 'o').map((g) => g.batch.records[0]!.value!.toString())).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}-value-0`));
  });
});

describe('append: the record pass on the worker pool', () => {
  let pool: WorkerPool;
  let dir: string;
  beforeAll(() => {
    pool = new WorkerPool({ threads: 1 });
  });
  afterAll(() => pool.close());
  beforeEach(() => {
    dir = tmpDir('tributary-recompress-pool-');
  });
  afterEach(() => rmDir(dir));

  it('recompresses large batches on a worker and small ones in-thread, rejecting bad ones with their record errors', async () => {
    const sizes: number[] = [];
    const counting: StoragePool = {
      scanSegment: pool.scanSegment.bind(pool),
      verifyBatchCrcs: pool.verifyBatchCrcs.bind(pool),
      rewriteBatch: (bytes, rules) => (sizes.push(bytes.length), pool.rewriteBatch(bytes, rules)),
    };
    const engine = await openEngine(dir, 'mmap', { pool: counting });
    await engine.createTopic('w', { partitions: 1, config: { 'compression.type': 'gzip', 'cleanup.policy': 'compact' } });
    const big = encodeBatch({ records: Array.from({ length: 400 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(400, i % 256) })) });
    const bigLength = big.length; // the append transfers `big` to the worker: it is detached afterwards
    expect(bigLength).toBeGreaterThan(workerCompressBytesMin);
    const small = encodeBatch({ records: recs(3, 's') });
    await engine.append('w', 0, big);
    await engine.append('w', 0, small);
    const got = stored(engine, 'w');
    expect(got.map((g) => g.codec)).toEqual([CompressionCodec.gzip, CompressionCodec.gzip]);
    expect(got[0]!.batch.records.map((r) => r.value!.equals(Buffer.alloc(400, r.offset % 256)))).toEqual(Array(400).fill(true));
    expect(sizes).toEqual([bigLength, small.length]);
    // A large keyless batch is rejected by the worker, with its record errors intact across the thread boundary.
    const keyless = encodeBatch({ records: Array.from({ length: 400 }, (_, i) => ({ key: i === 7 ? null : Buffer.from(`k${i}`), value: Buffer.alloc(400, 1) })) });
    const err = await errorOf(engine.append('w', 0, keyless));
    expect(err.code).toBe('INVALID_BATCH');
    expect(err.context.fromWorker).toBe(true);
    expect(err.context.recordErrors).toEqual([{ batchIndex: 7, message: 'Compacted topic cannot accept message without key in topic partition w-0.' }]);
    expect(engine.listOffsets('w', 0, 'latest').offset).toBe(403);
    await engine.close();
  });
});
