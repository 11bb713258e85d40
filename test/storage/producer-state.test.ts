import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { encodeBatch } from '../../src/format/batch-builder.js';
import type { StorageEngine } from '../../src/storage/index.js';
import { PRODUCER_ID_FILE } from '../../src/storage/producer-id-manager.js';
import { decodeSnapshot, encodeSnapshot, inSequence, incrementSequence } from '../../src/storage/producer-state.js';
import type { ProducerEntry } from '../../src/storage/producer-state.js';
import { BACKENDS, memoryLogger, openEngine, readAll, rmDir, segmentFiles, tmpDir } from './helpers.js';

const INT32_MAX = 2 ** 31 - 1;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isTributaryError(err)) return err.code;
    throw err;
  }
  return 'none';
}

describe('sequence arithmetic and the snapshot codec', () => {
  it('wraps sequences from Int32.MAX to 0 as Kafka does', () => {
    expect(incrementSequence(5, 3)).toBe(8);
    expect(incrementSequence(INT32_MAX - 1, 1)).toBe(INT32_MAX);
    expect(incrementSequence(INT32_MAX, 1)).toBe(0);
    expect(incrementSequence(INT32_MAX - 1, 3)).toBe(1);
    expect(inSequence(INT32_MAX, 0)).toBe(true);
    expect(inSequence(4, 5)).toBe(true);
    expect(inSequence(4, 6)).toBe(false);
    expect(inSequence(INT32_MAX - 1, 0)).toBe(false);
  });

  it('round-trips a snapshot and rejects every single-byte corruption', () => {
    const producers: ProducerEntry[] = [
      { producerId: 7, epoch: 2, batches: [{ firstSeq: 0, lastSeq: 4, firstOffset: 10, lastOffset: 14, timestamp: 1234 }] },
      {
        producerId: 2 ** 40,
        epoch: 0,
        batches: [
          { firstSeq: INT32_MAX, lastSeq: 1, firstOffset: 15, lastOffset: 17, timestamp: -1 },
          { firstSeq: 2, lastSeq: 2, firstOffset: 20, lastOffset: 20, timestamp: 99 },
        ],
      },
    ];
    const buf = encodeSnapshot(21, producers);
    expect([...decodeSnapshot(buf, 21).values()]).toEqual(producers);
    expect(() => decodeSnapshot(buf, 22)).toThrow(/name says 22/);
    for (let i = 0; i < buf.length; i++) {
      const bad = Buffer.from(buf);
      bad[i]! ^= 0x40;
      expect(() => decodeSnapshot(bad, 21)).toThrow();
    }
    expect(() => decodeSnapshot(buf.subarray(0, buf.length - 1), 21)).toThrow();
    expect(decodeSnapshot(encodeSnapshot(0, []), 0).size).toBe(0);
  });
});

describe.each(BACKENDS)('idempotent producers (%s backend)', (backend) => {
  let dir: string;
  let engine: StorageEngine | undefined;
  const strays: StorageEngine[] = [];
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    dir = tmpDir();
    now = 1_000_000;
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    engine = undefined;
    strays.length = 0; // engines left open on purpose (an "unclean stop"); their files go with the dir
    rmDir(dir);
  });

  const open = async (extra = {}) => (engine = await openEngine(dir, backend, { clock, ...extra }));
  const reopen = async (extra = {}) => {
    await engine!.close();
    return open(extra);
  };
  const partDir = () => path.join(dir, 't-0');
  const snapshots = () => segmentFiles(dir, 't', 0, '.snapshot');

  /** A batch of `n` records from producer `pid` at `epoch` starting at `seq`; `tag` makes values distinct. */
  const pbatch = (pid: number, epoch: number, seq: number, n = 1, tag = `${pid}/${epoch}/${seq}`): Buffer =>
    encodeBatch({
      records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${tag}#${i}`), timestamp: now })),
      producerId: pid,
      producerEpoch: epoch,
      baseSequence: seq,
    });

  it('writes a retried batch once and answers with the original offsets', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1 });
    const first = await e.append('t', 0, pbatch(1, 0, 0, 3));
    expect(first).toEqual({ baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0 });
    expect(first.duplicate).toBeUndefined();
    await e.append('t', 0, pbatch(1, 0, 3, 2));
    const retry = await e.append('t', 0, pbatch(1, 0, 0, 3));
    expect(retry).toEqual({ baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0, duplicate: true });
    expect(e.listOffsets('t', 0, 'latest').offset).toBe(5);
    expect(readAll(e, 't').map((r) => r.value)).toEqual(['1/0/0#0', '1/0/0#1', '1/0/0#2', '1/0/3#0', '1/0/3#1']);
    // Concurrent retries of an in-flight batch resolve with the same offsets, behind the original.
    const a = e.append('t', 0, pbatch(1, 0, 5, 1));
    const b = e.append('t', 0, pbatch(1, 0, 5, 1));
    expect([(await a).baseOffset, (await b).baseOffset, (await b).duplicate]).toEqual([5, 5, true]);
    expect(e.describeTopic('t').partitions[0]!.logEndOffset).toBe(6);
  });

  it('remembers the last five batches of a producer, no more', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1 });
    for (let s = 0; s < 6; s++) await e.append('t', 0, pbatch(1, 0, s));
    // Batches 1..5 are retained; 0 has left the window and is now merely out of order.
    expect((await e.append('t', 0, pbatch(1, 0, 1))).duplicate).toBe(true);
    expect((await e.append('t', 0, pbatch(1, 0, 5))).baseOffset).toBe(5);
    expect(await code(e.append('t', 0, pbatch(1, 0, 0)))).toBe('OUT_OF_ORDER_SEQUENCE');
    // Same sequence start with a different length is not a duplicate either.
    expect(await code(e.append('t', 0, pbatch(1, 0, 4, 2)))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect(e.describeTopic('t').partitions[0]!.logEndOffset).toBe(6);
  });

  it('rejects a gap with OUT_OF_ORDER_SEQUENCE and writes nothing', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1 });
    await e.append('t', 0, pbatch(1, 0, 0, 2));
    const err = await e.append('t', 0, pbatch(1, 0, 3)).catch((x: unknown) => x);
    expect(isTributaryError(err, 'OUT_OF_ORDER_SEQUENCE')).toBe(true);
    expect((err as { kafkaErrorName: string }).kafkaErrorName).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(e.describeTopic('t').partitions[0]!.logEndOffset).toBe(2);
    expect((await e.append('t', 0, pbatch(1, 0, 2))).baseOffset).toBe(2);
    // Other producers and non-idempotent batches are independent.
    expect((await e.append('t', 0, pbatch(2, 0, 0))).baseOffset).toBe(3);
    expect((await e.append('t', 0, pbatch(-1, -1, -1))).baseOffset).toBe(4);
    expect((await e.append('t', 0, pbatch(-1, -1, -1))).baseOffset).toBe(5); // not tracked: written twice
    // A producer id with no sequence is not a valid idempotent batch (Kafka: INVALID_RECORD).
    expect(await code(e.append('t', 0, pbatch(3, 0, -1)))).toBe('INVALID_BATCH');
  });

  it('fences a stale epoch and starts a new epoch at sequence 0', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1 });
    await e.append('t', 0, pbatch(1, 1, 0, 4));
    const err = await e.append('t', 0, pbatch(1, 0, 4)).catch((x: unknown) => x);
    expect(isTributaryError(err, 'PRODUCER_FENCED')).toBe(true);
    expect((err as { kafkaErrorName: string }).kafkaErrorName).toBe('INVALID_PRODUCER_EPOCH');
    expect(await code(e.append('t', 0, pbatch(1, 2, 4)))).toBe('OUT_OF_ORDER_SEQUENCE'); // new epoch must start at 0
    expect((await e.append('t', 0, pbatch(1, 2, 0))).baseOffset).toBe(4); // bump resets the sequence
    expect(await code(e.append('t', 0, pbatch(1, 1, 0, 4)))).toBe('PRODUCER_FENCED'); // a retry from the old epoch
    expect(await code(e.append('t', 0, pbatch(1, 1, 4)))).toBe('PRODUCER_FENCED');
    expect((await e.append('t', 0, pbatch(1, 2, 1))).baseOffset).toBe(5);
    expect(e.describeTopic('t').partitions[0]!.logEndOffset).toBe(6);
  });

  it('wraps the sequence after Int32.MAX and accepts an unknown producer at any sequence', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1 });
    // Unknown producer with a non-zero sequence: accepted (Kafka 2.5+, its state may have expired).
    await e.append('t', 0, pbatch(1, 0, INT32_MAX - 1, 1));
    expect(await code(e.append('t', 0, pbatch(1, 0, 0)))).toBe('OUT_OF_ORDER_SEQUENCE');
    const across = await e.append('t', 0, pbatch(1, 0, INT32_MAX, 3)); // INT32_MAX, 0, 1
    expect(across.baseOffset).toBe(1);
    expect(await code(e.append('t', 0, pbatch(1, 0, 0)))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect((await e.append('t', 0, pbatch(1, 0, INT32_MAX, 3))).duplicate).toBe(true);
    expect((await e.append('t', 0, pbatch(1, 0, 2))).baseOffset).toBe(4);
    // A batch ending exactly at Int32.MAX is followed by 0.
    await e.append('t', 0, pbatch(2, 0, INT32_MAX - 2, 3));
    expect((await e.append('t', 0, pbatch(2, 0, 0))).baseOffset).toBe(8);
  });

  it('returns the original LogAppendTime for a duplicate', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'message.timestamp.type': 'LogAppendTime' } });
    now = 5_000_000;
    const first = await e.append('t', 0, pbatch(1, 0, 0));
    now = 6_000_000;
    const retry = await e.append('t', 0, pbatch(1, 0, 0));
    expect(first.logAppendTime).toBe(5_000_000);
    expect(retry).toMatchObject({ baseOffset: 0, logAppendTime: 5_000_000, duplicate: true });
  });

  it('keeps the state across a clean close and reopen (snapshot), with nothing to replay', async () => {
    let e = await open();
    await e.createTopic('t', { partitions: 1 });
    for (let s = 0; s < 3; s++) await e.append('t', 0, pbatch(1, 0, s));
    await e.append('t', 0, pbatch(9, 4, 0, 2));
    e = await reopen();
    expect(snapshots()).toEqual(['00000000000000000005.snapshot']);
    expect(await e.append('t', 0, pbatch(1, 0, 1))).toMatchObject({ baseOffset: 1, duplicate: true });
    expect(await e.append('t', 0, pbatch(9, 4, 0, 2))).toMatchObject({ baseOffset: 3, lastOffset: 4, duplicate: true });
    expect(await code(e.append('t', 0, pbatch(9, 3, 2)))).toBe('PRODUCER_FENCED');
    expect(await code(e.append('t', 0, pbatch(1, 0, 4)))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect((await e.append('t', 0, pbatch(1, 0, 3))).baseOffset).toBe(5);
    expect(readAll(e, 't')).toHaveLength(6);
  });

  it('rebuilds the state by replay when the snapshot is gone', async () => {
    let e = await open();
    await e.createTopic('t', { partitions: 1 });
    for (let s = 0; s < 4; s++) await e.append('t', 0, pbatch(1, 0, s));
    await e.close();
    for (const f of snapshots()) fs.rmSync(path.join(partDir(), f));
    fs.rmSync(path.join(dir, '.clean-shutdown'));
    e = await open();
    expect(e.hadCleanShutdown).toBe(false);
    expect(await e.append('t', 0, pbatch(1, 0, 3))).toMatchObject({ baseOffset: 3, duplicate: true });
    expect(await code(e.append('t', 0, pbatch(1, 0, 5)))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect((await e.append('t', 0, pbatch(1, 0, 4))).baseOffset).toBe(4);
  });

  it('rebuilds the state after an unclean stop (the first engine is never closed)', async () => {
    const first = await openEngine(dir, backend, { clock });
    strays.push(first);
    await first.createTopic('t', { partitions: 1, config: { 'segment.bytes': 300 } });
    for (let s = 0; s < 10; s++) await first.append('t', 0, pbatch(1, 0, s));
    // Rolls took snapshots; the tail after the last one is replayed.
    const e = await open();
    expect(e.hadCleanShutdown).toBe(false);
    expect(snapshots().length).toBeGreaterThan(0);
    expect(snapshots().length).toBeLessThanOrEqual(3);
    expect(await e.append('t', 0, pbatch(1, 0, 9))).toMatchObject({ baseOffset: 9, duplicate: true });
    expect(await e.append('t', 0, pbatch(1, 0, 5))).toMatchObject({ baseOffset: 5, duplicate: true });
    expect((await e.append('t', 0, pbatch(1, 0, 10))).baseOffset).toBe(10);
  });

  it('drops the state of batches a crash took back (torn tail, snapshot past the end)', async () => {
    let e = await open();
    await e.createTopic('t', { partitions: 1 });
    for (let s = 0; s < 3; s++) await e.append('t', 0, pbatch(1, 0, s, 1, `v${s}`));
    await e.close(); // snapshot at 3
    const log = path.join(partDir(), segmentFiles(dir, 't')[0]!);
    fs.truncateSync(log, fs.statSync(log).size - 5); // the last batch is torn
    fs.rmSync(path.join(dir, '.clean-shutdown'));
    e = await open();
    expect(e.describeTopic('t').partitions[0]!.logEndOffset).toBe(2);
    expect(snapshots()).toEqual([]); // the snapshot at 3 described data that is gone
    // Sequence 2 is no longer known: the producer's retry is written, at the same offset.
    const again = await e.append('t', 0, pbatch(1, 0, 2, 1, 'v2'));
    expect(again.duplicate).toBeUndefined();
    expect(again.baseOffset).toBe(2);
    expect((await e.append('t', 0, pbatch(1, 0, 1))).duplicate).toBe(true);
    expect(readAll(e, 't').map((r) => r.value)).toEqual(['v0#0', 'v1#0', 'v2#0']);
  });

  it('truncateTo forgets the truncated batches and the snapshots past the new end', async () => {
    let e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 300 } });
    for (let s = 0; s < 10; s++) await e.append('t', 0, pbatch(1, 0, s, 1, `a${s}`));
    await e.append('t', 0, pbatch(2, 0, 0, 1, 'b0'));
    // Snapshots on roll are written in the background: wait (bounded) for one past the cut.
    const past = () => snapshots().some((f) => Number(f.slice(0, 20)) > 4);
    for (const deadline = Date.now() + 5000; !past() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    expect(past()).toBe(true);
    expect(await e.truncateTo('t', 0, 4)).toBe(4);
    expect(snapshots().every((f) => Number(f.slice(0, 20)) <= 4)).toBe(true);
    expect(await code(e.append('t', 0, pbatch(1, 0, 5)))).toBe('OUT_OF_ORDER_SEQUENCE');
    expect((await e.append('t', 0, pbatch(1, 0, 3))).duplicate).toBe(true);
    const redo = await e.append('t', 0, pbatch(1, 0, 4, 1, 'new4'));
    expect([redo.baseOffset, redo.duplicate]).toEqual([4, undefined]);
    // Producer 2 only ever wrote past the cut: it is unknown again, any sequence goes.
    expect((await e.append('t', 0, pbatch(2, 0, 7))).baseOffset).toBe(5);
    e = await reopen();
    expect((await e.append('t', 0, pbatch(1, 0, 4))).duplicate).toBe(true);
    expect((await e.append('t', 0, pbatch(2, 0, 7))).duplicate).toBe(true);
    expect(readAll(e, 't').map((r) => r.value)).toEqual(['a0#0', 'a1#0', 'a2#0', 'a3#0', 'new4#0', '2/0/7#0']);
  });

  it('falls back to an older snapshot or to replay when the newest is corrupt', async () => {
    const logger = memoryLogger();
    let e = await open({ logger });
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 300 } });
    for (let s = 0; s < 8; s++) await e.append('t', 0, pbatch(1, 0, s));
    await e.close();
    const files = snapshots();
    expect(files.length).toBeGreaterThanOrEqual(2);
    const newest = path.join(partDir(), files[files.length - 1]!);
    const bytes = fs.readFileSync(newest);
    bytes[bytes.length - 3]! ^= 0x01;
    fs.writeFileSync(newest, bytes);
    e = await open({ logger });
    expect(logger.lines.some((l) => l.msg?.includes('unusable producer state snapshot'))).toBe(true);
    expect(snapshots()).not.toContain(files[files.length - 1]);
    expect(await e.append('t', 0, pbatch(1, 0, 7))).toMatchObject({ baseOffset: 7, duplicate: true });
    expect(await e.append('t', 0, pbatch(1, 0, 3))).toMatchObject({ baseOffset: 3, duplicate: true });
    // Every snapshot garbage: replay from the log start.
    await e.close();
    for (const f of snapshots()) fs.writeFileSync(path.join(partDir(), f), 'garbage');
    e = await open();
    expect(snapshots()).toEqual([]);
    expect(await e.append('t', 0, pbatch(1, 0, 7))).toMatchObject({ baseOffset: 7, duplicate: true });
    expect((await e.append('t', 0, pbatch(1, 0, 8))).baseOffset).toBe(8);
  });

  it('keeps producers whose batches retention deleted, until they expire', async () => {
    let e = await open({ producerIdExpirationMs: 60_000 });
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 300 } });
    for (let s = 0; s < 6; s++) await e.append('t', 0, pbatch(1, 0, s));
    await e.append('t', 0, pbatch(2, 0, 0));
    expect(await e.deleteRecordsBefore('t', 0, -1)).toBe(7);
    expect(snapshots().every((f) => Number(f.slice(0, 20)) >= 7)).toBe(true);
    e = await reopen({ producerIdExpirationMs: 60_000 });
    expect(await e.append('t', 0, pbatch(1, 0, 5))).toMatchObject({ baseOffset: 5, duplicate: true });
    expect(await code(e.append('t', 0, pbatch(1, 0, 9)))).toBe('OUT_OF_ORDER_SEQUENCE');
    // Producer 1 writes again at t+30s; producer 2 stays silent.
    now += 30_000;
    await e.append('t', 0, pbatch(1, 0, 6));
    now += 40_000;
    await e.enforceRetention();
    // Producer 2's last batch is 70 s old: forgotten, so its retry is written again.
    expect((await e.append('t', 0, pbatch(2, 0, 0))).duplicate).toBeUndefined();
    expect(await code(e.append('t', 0, pbatch(1, 0, 9)))).toBe('OUT_OF_ORDER_SEQUENCE');
    // Expiry also applies when the state is loaded.
    now += 60_000;
    e = await reopen({ producerIdExpirationMs: 60_000 });
    expect((await e.append('t', 0, pbatch(1, 0, 9))).duplicate).toBeUndefined();
  });

  it('allocates producer ids that never repeat across reopen, clean or not', async () => {
    let e = await open();
    const ids: number[] = [];
    ids.push(...(await Promise.all([e.allocateProducerId(), e.allocateProducerId(), e.allocateProducerId()])));
    expect(ids).toEqual([0, 1, 2]);
    e = await reopen();
    ids.push(await e.allocateProducerId());
    expect(ids[3]).toBe(1000);
    // Unclean: this engine is never closed; the next one must still not repeat its ids.
    strays.push(e);
    engine = undefined;
    for (let i = 0; i < 1005; i++) ids.push(await e.allocateProducerId());
    e = await open();
    ids.push(await e.allocateProducerId());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[ids.length - 1]).toBe(3000);
    await e.close();
    expect(await code(e.allocateProducerId())).toBe('CLOSED');
  });

  it('refuses to allocate from a corrupt producer id file, and the engine still opens', async () => {
    let e = await open();
    await e.allocateProducerId();
    await e.close();
    const file = path.join(dir, PRODUCER_ID_FILE);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    e = await open();
    expect(await code(e.allocateProducerId())).toBe('STORAGE_IO');
  });

  it('keeps at most three snapshots and none below the log start', async () => {
    const e = await open();
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': 200 } });
    for (let s = 0; s < 20; s++) await e.append('t', 0, pbatch(1, 0, s));
    await e.flush('t', 0);
    await e.close();
    engine = undefined;
    const offs = snapshots().map((f) => Number(f.slice(0, 20)));
    expect(offs.length).toBeLessThanOrEqual(3);
    expect(offs[offs.length - 1]).toBe(20); // the one close wrote
    expect(segmentFiles(dir, 't').length).toBeGreaterThan(3);
  });
});
