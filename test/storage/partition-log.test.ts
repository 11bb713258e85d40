import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { DeflatedBatch } from '../../src/format/record-batch.js';
import type { StorageEngine } from '../../src/storage/index.js';
import { BACKENDS, batch, batchOffsets, batchOfSize, openEngine, readAll, records, rmDir, segmentFiles, tmpDir } from './helpers.js';

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (isTributaryError(err)) return err.code;
    throw err;
  }
  return 'none';
}

describe.each(BACKENDS)('PartitionLog (%s backend)', (backend) => {
  let dir: string;
  let engine: StorageEngine | undefined;
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    dir = tmpDir();
    now = 1_000_000;
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    engine = undefined;
    rmDir(dir);
  });

  const open = async (extra = {}) => (engine = await openEngine(dir, backend, { clock, ...extra }));

  it('appends, assigns offsets, stamps the batch and reads it back zero-copy', async () => {
    const e = await open();
    expect(e.backend).toBe(backend);
    await e.createTopic('t', { partitions: 2 });
    const r1 = await e.append('t', 0, batch(['a', 'b', 'c']));
    const r2 = await e.append('t', 0, batch(['d']));
    expect(r1).toEqual({ baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0 });
    expect(r2.baseOffset).toBe(3);
    expect((await e.append('t', 1, batch(['x']))).baseOffset).toBe(0);
    const read = e.read('t', 0, 0, 1 << 20);
    expect(read).toMatchObject({ logStartOffset: 0, logEndOffset: 4, highWatermark: 4 });
    expect(records(read.batches).map((r) => [r.offset, r.value])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
    ]);
    const stored = [...DeflatedBatch.all(read.batches[0]!)];
    expect(stored.map((b) => b.partitionLeaderEpoch)).toEqual([0, 0]);
    // Zero-copy: two reads of the same bytes share memory with mmap, never with file.
    const again = e.read('t', 0, 0, 1 << 20).batches[0]!;
    expect(again.buffer === read.batches[0]!.buffer && again.byteOffset === read.batches[0]!.byteOffset).toBe(backend === 'mmap');
  });

  it('rejects bad batches with typed errors and keeps going', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'max.message.bytes': 200 } });
    const corrupt = batch(['a']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect(await code(e.append('t', 0, corrupt))).toBe('CORRUPT_BATCH');
    const badMagic = batch(['a']);
    badMagic[16] = 1;
    expect(await code(e.append('t', 0, badMagic))).toBe('INVALID_BATCH');
    expect(await code(e.append('t', 0, batch(['a']).subarray(0, 40)))).toBe('INVALID_BATCH');
    expect(await code(e.append('t', 0, batch(['x'.repeat(300)])))).toBe('BATCH_TOO_LARGE');
    expect(await code(e.append('t', 1, batch(['a'])))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await code(e.append('nope', 0, batch(['a'])))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await e.append('t', 0, batch(['ok']))).baseOffset).toBe(0);
  });

  it('applies LogAppendTime when the topic uses it', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'message.timestamp.type': 'LogAppendTime' } });
    now = 5_555_555;
    const r = await e.append('t', 0, batch(['a', 'b'], { ts: 7 }));
    expect(r.logAppendTime).toBe(5_555_555);
    expect(readAll(e, 't').map((x) => x.timestamp)).toEqual([5_555_555, 5_555_555]);
  });

  it('reads at every boundary: first/last/middle offset of a batch, maxBytes below one batch', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'index.interval.bytes': 100 } });
    // Batches of 5 records at offsets 0, 5, 10, ... 95.
    for (let i = 0; i < 20; i++) await e.append('t', 0, batch(['a', 'b', 'c', 'd', 'e'].map((v) => `${v}${String(i).padStart(2, '0')}`)));
    const size = e.read('t', 0, 0, 1).batches[0]!.length;
    for (const offset of [0, 4, 5, 7, 9, 10, 52, 94, 95, 99]) {
      const r = e.read('t', 0, offset, 1);
      expect(batchOffsets(r.batches)).toEqual([Math.floor(offset / 5) * 5]);
      expect(r.batches[0]!.length).toBe(size);
    }
    expect(batchOffsets(e.read('t', 0, 7, 2 * size).batches)).toEqual([5, 10]);
    expect(batchOffsets(e.read('t', 0, 7, 2 * size - 1).batches)).toEqual([5]);
    expect(batchOffsets(e.read('t', 0, 90, 1 << 20).batches)).toEqual([90, 95]);
    expect(e.read('t', 0, 100, 1 << 20).batches).toEqual([]);
    expect(await code(() => e.read('t', 0, 101, 10))).toBe('OFFSET_OUT_OF_RANGE');
    expect(await code(() => e.read('t', 0, -1, 10))).toBe('OFFSET_OUT_OF_RANGE');
  });

  it('rolls at exactly segment.bytes and reads across segments', async () => {
    const e = await open();
    const b = batchOfSize(200, 'r0');
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 600 } });
    for (let i = 0; i < 3; i++) await e.append('t', 0, batchOfSize(200, `r${i}`));
    expect(segmentFiles(dir, 't')).toHaveLength(1); // 600 bytes: full but not over
    await e.append('t', 0, batchOfSize(200, 'r3'));
    expect(segmentFiles(dir, 't')).toEqual(['00000000000000000000.log', '00000000000000000003.log']);
    expect(b.length).toBe(200);
    // A batch larger than segment.bytes still goes into an (empty) segment of its own.
    await e.append('t', 0, batchOfSize(700, 'big'));
    await e.append('t', 0, batchOfSize(200, 'after'));
    expect(segmentFiles(dir, 't')).toEqual(['00000000000000000000.log', '00000000000000000003.log', '00000000000000000004.log', '00000000000000000005.log']);
    // The rolled segments' indexes are trimmed to their entries.
    expect(fs.statSync(path.join(dir, 't-0', '00000000000000000000.index')).size).toBe(0);
    expect(readAll(e, 't').map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batchOffsets(e.read('t', 0, 2, 1 << 20).batches)).toEqual([2, 3, 4, 5]);
  });

  it('rolls when segment.ms has passed since the first batch, not before', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.ms': 1000 } });
    await e.append('t', 0, batch(['a'], { ts: now }));
    now += 1000;
    await e.append('t', 0, batch(['b'], { ts: now }));
    expect(segmentFiles(dir, 't')).toHaveLength(1);
    now += 1;
    await e.append('t', 0, batch(['c'], { ts: now }));
    expect(segmentFiles(dir, 't')).toEqual(['00000000000000000000.log', '00000000000000000002.log']);
  });

  it('offsetForTimestamp: first record at or after, across segments and compressed batches', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 150, 'index.interval.bytes': 1 } });
    // offsets 0-2 ts 100,110,120 | 3-5 ts 200,190,210 (non-monotonic inside) | 6-7 gzip ts 300,305
    await e.append('t', 0, batch(['a', 'b', 'c'], { ts: [100, 110, 120] }));
    await e.append('t', 0, batch(['d', 'e', 'f'], { ts: [200, 190, 210] }));
    await e.append('t', 0, batch(['g', 'h'], { ts: [300, 305], compression: 'gzip' }));
    expect(e.describeTopic('t').partitions[0]!.segments).toBeGreaterThan(1);
    const at = (ts: number) => e.listOffsets('t', 0, ts);
    expect(at(0)).toEqual({ offset: 0, timestamp: 100 });
    expect(at(100)).toEqual({ offset: 0, timestamp: 100 });
    expect(at(101)).toEqual({ offset: 1, timestamp: 110 });
    expect(at(120)).toEqual({ offset: 2, timestamp: 120 });
    expect(at(121)).toEqual({ offset: 3, timestamp: 200 }); // offset order, not time order
    expect(at(190)).toEqual({ offset: 3, timestamp: 200 });
    expect(at(195)).toEqual({ offset: 3, timestamp: 200 });
    expect(at(201)).toEqual({ offset: 5, timestamp: 210 });
    expect(at(301)).toEqual({ offset: 7, timestamp: 305 });
    expect(at(305)).toEqual({ offset: 7, timestamp: 305 });
    expect(at(306)).toEqual({ offset: -1, timestamp: -1 });
    expect(e.listOffsets('t', 0, 'earliest').offset).toBe(0);
    expect(e.listOffsets('t', 0, 'latest').offset).toBe(8);
  });

  it('truncateTo removes whole batches durably and appends continue there', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 400, 'index.interval.bytes': 1 } });
    for (let i = 0; i < 10; i++) await e.append('t', 0, batch([`v${i}a`, `v${i}b`]));
    const segsBefore = segmentFiles(dir, 't').length;
    expect(segsBefore).toBeGreaterThan(2);
    const held = e.read('t', 0, 0, 1 << 20).batches; // slices held across the truncation
    expect(await e.truncateTo('t', 0, 20)).toBe(20); // at the end: no-op
    expect(await e.truncateTo('t', 0, 11)).toBe(10); // inside batch 10-11: the batch goes whole
    expect(e.read('t', 0, 0, 1).logEndOffset).toBe(10);
    expect(readAll(e, 't').map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await e.truncateTo('t', 0, 4)).toBe(4);
    expect(segmentFiles(dir, 't').length).toBeLessThan(segsBefore);
    expect(held.reduce((n, b) => n + b.length, 0)).toBeGreaterThan(0); // still addressable, no SIGBUS
    for (const b of held) void b[b.length - 1];
    expect((await e.append('t', 0, batch(['new']))).baseOffset).toBe(4);
    expect(readAll(e, 't').map((r) => r.value)).toEqual(['v0a', 'v0b', 'v1a', 'v1b', 'new']);
    // Reopen after a clean close: the zeroed tail is not data.
    await e.close();
    const e2 = await open();
    expect(readAll(e2, 't').map((r) => r.value)).toEqual(['v0a', 'v0b', 'v1a', 'v1b', 'new']);
    expect((await e2.append('t', 0, batch(['more']))).baseOffset).toBe(5);
  });

  it('deleteRecordsBefore moves the log start offset, persists it, deletes whole segments below it', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 250 } });
    for (let i = 0; i < 6; i++) await e.append('t', 0, batchOfSize(200, `r${i}`));
    expect(segmentFiles(dir, 't')).toHaveLength(6);
    expect(await e.deleteRecordsBefore('t', 0, 2)).toBe(2);
    expect(segmentFiles(dir, 't')).toHaveLength(4);
    expect(await code(() => e.read('t', 0, 1, 100))).toBe('OFFSET_OUT_OF_RANGE');
    expect(e.listOffsets('t', 0, 'earliest').offset).toBe(2);
    expect(await code(e.deleteRecordsBefore('t', 0, 7))).toBe('OFFSET_OUT_OF_RANGE');
    expect(await e.deleteRecordsBefore('t', 0, -1)).toBe(6); // the high watermark
    expect(segmentFiles(dir, 't')).toHaveLength(1); // never the active segment
    await e.append('t', 0, batchOfSize(200, 'r6'));
    await e.close();
    const e2 = await open();
    expect(e2.listOffsets('t', 0, 'earliest').offset).toBe(6);
    expect(readAll(e2, 't').map((r) => r.offset)).toEqual([6]);
  });

  it('retention.bytes deletes the oldest closed segments at the exact boundary, never the active one', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 200, 'retention.ms': -1 } });
    for (let i = 0; i < 4; i++) await e.append('t', 0, batchOfSize(200, `r${i}`)); // 4 segments of 200
    await e.alterTopicConfig('t', { 'retention.bytes': 600 });
    expect(await e.enforceRetention()).toBe(1); // 800 - 600 = 200: exactly one segment
    expect(segmentFiles(dir, 't')).toHaveLength(3);
    await e.alterTopicConfig('t', { 'retention.bytes': 401 });
    expect(await e.enforceRetention()).toBe(0); // 600 - 401 = 199 < 200
    await e.alterTopicConfig('t', { 'retention.bytes': 0 });
    expect(await e.enforceRetention()).toBe(2);
    expect(segmentFiles(dir, 't')).toEqual(['00000000000000000003.log']);
    expect(e.listOffsets('t', 0, 'earliest').offset).toBe(3);
    expect(readAll(e, 't').map((r) => r.offset)).toEqual([3]);
  });

  it('retention.ms deletes segments whose newest record is older than the limit, never the active one', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 200, 'retention.ms': 1000 } });
    await e.append('t', 0, batchOfSize(200, 'a', 5_000));
    await e.append('t', 0, batchOfSize(200, 'b', 6_000));
    await e.append('t', 0, batchOfSize(200, 'c', 7_000));
    now = 6_000;
    expect(await e.enforceRetention()).toBe(0); // 6000 - 5000 = 1000: not over
    now = 6_001;
    expect(await e.enforceRetention()).toBe(1);
    now = 100_000;
    expect(await e.enforceRetention()).toBe(1); // the active segment (ts 7000) stays
    expect(segmentFiles(dir, 't')).toEqual(['00000000000000000002.log']);
    expect(readAll(e, 't').map((r) => r.value[0])).toEqual(['c']);
  });

  it('reopens after a clean close with indexes intact and appends at the right offset', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 2000, 'index.interval.bytes': 50 } });
    for (let i = 0; i < 40; i++) await e.append('t', 0, batch([`m${i}`], { ts: 1000 + i }));
    const before = readAll(e, 't');
    await e.close();
    expect(fs.existsSync(path.join(dir, '.clean-shutdown'))).toBe(true);
    const idx = segmentFiles(dir, 't', 0, '.index');
    expect(fs.statSync(path.join(dir, 't-0', idx[idx.length - 1]!)).size % 8).toBe(0);
    const e2 = await open();
    expect(e2.hadCleanShutdown).toBe(true);
    expect(fs.existsSync(path.join(dir, '.clean-shutdown'))).toBe(false);
    expect(readAll(e2, 't')).toEqual(before);
    expect(e2.listOffsets('t', 0, 1020)).toEqual({ offset: 20, timestamp: 1020 });
    expect((await e2.append('t', 0, batch(['next']))).baseOffset).toBe(40);
  });

  it('notifies end-offset listeners when the high watermark grows', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1 });
    const seen: number[] = [];
    const off = e.onEndOffsetChange((topic, p, hw) => topic === 't' && p === 0 && seen.push(hw));
    await e.append('t', 0, batch(['a', 'b']));
    await e.append('t', 0, batch(['c']));
    off();
    await e.append('t', 0, batch(['d']));
    expect(seen).toEqual([2, 3]);
  });
});
