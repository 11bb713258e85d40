/**
 * ListOffsets MAX_TIMESTAMP (KIP-734) against a model: random appends (timestamps with ties,
 * some batches compressed), segment rolls, DeleteRecords and reopens, and after every step
 * `maxTimestampOffset` must name the first record with the largest timestamp at or after the
 * log start offset, the answer Kafka gives (without its quirk of looking below the start).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/batch-builder.js';
import type { StorageEngine } from '../../src/storage/index.js';
import { BACKENDS, openEngine, rmDir, tmpDir } from './helpers.js';

type Op =
  | { kind: 'append'; timestamps: number[]; compressed: boolean }
  | { kind: 'deleteBefore'; fraction: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), timestamps: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 }), compressed: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteBefore' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
);

/** The model's answer: the first record with the largest timestamp at or after `start`. */
function expected(timestamps: number[], start: number): { offset: number; timestamp: number } {
  let best = { offset: -1, timestamp: -1 };
  for (let o = start; o < timestamps.length; o++) if (timestamps[o]! > best.timestamp) best = { offset: o, timestamp: timestamps[o]! };
  return best;
}

describe.each(BACKENDS)('maxTimestampOffset (%s backend)', (backend) => {
  const dirs: string[] = [];
  let engine: StorageEngine | undefined;
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    engine = undefined;
    for (const d of dirs.splice(0)) rmDir(d);
  });

  it('names the first record with the largest timestamp, across rolls, deletions and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const dir = tmpDir();
        dirs.push(dir);
        // Small segments and a dense index: many segments, batches straddling the log start.
        const config = { 'segment.bytes': 400, 'index.interval.bytes': 64 };
        engine = await openEngine(dir, backend);
        await engine.createTopic('t', { partitions: 1, config });
        const model: number[] = [];
        let start = 0;
        expect(engine.maxTimestampOffset('t', 0)).toEqual({ offset: -1, timestamp: -1 });
        for (const op of ops) {
          if (op.kind === 'append') {
            const b = encodeBatch({ records: op.timestamps.map((ts, i) => ({ value: Buffer.from(`v${model.length + i}`), timestamp: ts })), ...(op.compressed ? { compression: 'gzip' as const } : {}) });
            await engine.append('t', 0, b);
            model.push(...op.timestamps);
          } else if (op.kind === 'deleteBefore') {
            start = Math.max(start, Math.floor(op.fraction * model.length));
            await engine.deleteRecordsBefore('t', 0, start);
          } else {
            await engine.close();
            engine = await openEngine(dir, backend);
          }
          expect(engine.maxTimestampOffset('t', 0), `after ${op.kind}, start ${start}, timestamps ${model.join(',')}`).toEqual(expected(model, start));
        }
        await engine.close();
        engine = undefined;
      }),
      { numRuns: 25 },
    );
  });

  it('after DeleteRecords, looks only at records from the log start offset (Kafka would answer one below it)', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    engine = await openEngine(dir, backend);
    await engine.createTopic('d', { partitions: 1 });
    const append = (...ts: number[]) => engine!.append('d', 0, encodeBatch({ records: ts.map((t) => ({ value: Buffer.from('v'), timestamp: t })) }));
    await append(100, 3); // offsets 0-1: the segment's max is offset 0
    await append(5, 6); // 2-3
    await append(50); // 4
    expect(engine.maxTimestampOffset('d', 0)).toEqual({ offset: 0, timestamp: 100 });
    await engine.deleteRecordsBefore('d', 0, 1); // the first batch now straddles the start
    expect(engine.maxTimestampOffset('d', 0)).toEqual({ offset: 4, timestamp: 50 });
    await engine.deleteRecordsBefore('d', 0, 3);
    expect(engine.maxTimestampOffset('d', 0)).toEqual({ offset: 4, timestamp: 50 });
    await engine.deleteRecordsBefore('d', 0, 5);
    expect(engine.maxTimestampOffset('d', 0)).toEqual({ offset: -1, timestamp: -1 });
  });

  it('LogAppendTime: the first record of the batch appended at the latest time', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    let now = 5_000;
    engine = await openEngine(dir, backend, { clock: () => now });
    await engine.createTopic('lat', { partitions: 1, config: { 'message.timestamp.type': 'LogAppendTime' } });
    await engine.append('lat', 0, encodeBatch({ records: [{ value: Buffer.from('a'), timestamp: 99_999 }, { value: Buffer.from('b'), timestamp: 1 }] }));
    now = 7_000;
    await engine.append('lat', 0, encodeBatch({ records: [{ value: Buffer.from('c'), timestamp: 1 }, { value: Buffer.from('d'), timestamp: 2 }] }));
    now = 6_000; // a clock that went back: the max stays with the batch of 7000
    await engine.append('lat', 0, encodeBatch({ records: [{ value: Buffer.from('e'), timestamp: 1 }] }));
    expect(engine.maxTimestampOffset('lat', 0)).toEqual({ offset: 2, timestamp: 7_000 });

  });

  it('a max above the high watermark is "none" (Kafka: nothing at or past the last fetchable offset)', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    // fdatasync held back: the high watermark (what syncs covered) stays behind the log end.
    let hold = false;
    const held: (() => void)[] = [];
    const fdatasync = (): Promise<void> => (hold ? new Promise<void>((r) => held.push(r)) : Promise.resolve());
    engine = await openEngine(dir, backend, { io: { fdatasync } });
    await engine.createTopic('hw', { partitions: 1 });
    await engine.append('hw', 0, encodeBatch({ records: [{ value: Buffer.from('a'), timestamp: 10 }] }));
    hold = true;
    const pending = engine.append('hw', 0, encodeBatch({ records: [{ value: Buffer.from('b'), timestamp: 99 }] }));
    while (engine.describeTopic('hw').partitions[0]!.logEndOffset < 2) await new Promise((r) => setImmediate(r));
    expect(engine.listOffsets('hw', 0, 'latest').offset).toBe(1);
    expect(engine.maxTimestampOffset('hw', 0)).toEqual({ offset: -1, timestamp: -1 });
    hold = false;
    while (held.length > 0) held.shift()!();
    await pending;
    expect(engine.maxTimestampOffset('hw', 0)).toEqual({ offset: 1, timestamp: 99 });
  });
});
