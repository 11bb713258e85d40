import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeBatch } from '../../src/format/batch-builder.js';
import { scanLog } from '../../src/format/log-scan.js';
import { LENGTH_OFFSET, MAGIC_OFFSET } from '../../src/format/record-batch.js';

/** A log of `n` batches with 1..3 records each, dense offsets from 0. */
function makeLog(n: number): { log: Buffer; starts: number[]; bases: number[]; lasts: number[] } {
  const parts: Buffer[] = [];
  const starts: number[] = [];
  const bases: number[] = [];
  const lasts: number[] = [];
  let pos = 0;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const count = (i % 3) + 1;
    const b = encodeBatch({ baseOffset: offset, records: Array.from({ length: count }, (_, j) => ({ value: Buffer.from(`v${i}.${j}`), timestamp: 1000 + i })) });
    parts.push(b);
    starts.push(pos);
    bases.push(offset);
    lasts.push(offset + count - 1);
    pos += b.length;
    offset += count;
  }
  return { log: Buffer.concat(parts), starts, bases, lasts };
}

describe('scanLog', () => {
  it('reads a whole log to the end', () => {
    const { log, starts, bases, lasts } = makeLog(100);
    const r = scanLog(log);
    expect(r.stop).toBe('end');
    expect(r.count).toBe(100);
    expect(r.validEnd).toBe(log.length);
    expect([...r.positions]).toEqual(starts);
    expect([...r.baseOffsets]).toEqual(bases);
    expect([...r.lastOffsets]).toEqual(lasts);
    expect([...r.maxTimestamps]).toEqual(bases.map((_, i) => 1000 + i));
    expect(r.sizes.reduce((a, b) => a + b, 0)).toBe(log.length);
  });

  it('starts at a position and honours opts.end', () => {
    const { log, starts } = makeLog(5);
    const r = scanLog(log, starts[1], { end: starts[4] });
    expect(r.count).toBe(3);
    expect(r.validEnd).toBe(starts[4]);
    expect(r.stop).toBe('end');
  });

  it('a torn tail at every cut stops at the last whole batch', () => {
    const { log, starts } = makeLog(4);
    for (let cut = 0; cut <= log.length; cut++) {
      const r = scanLog(log.subarray(0, cut));
      const whole = [...starts, log.length].filter((s) => s <= cut).length - 1;
      expect(r.count, `cut ${cut}`).toBe(whole);
      expect(r.validEnd).toBe([...starts, log.length][whole]);
      expect(r.stop).toBe(r.validEnd === cut ? 'end' : 'torn');
    }
  });

  it('garbage written from a random position: the survivors are exactly the batches wholly before it (property)', () => {
    const { log, starts, bases } = makeLog(20);
    const ends = [...starts.slice(1), log.length];
    fc.assert(
      fc.property(fc.nat({ max: log.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 200 }), (at, garbage) => {
        const bad = Buffer.from(log);
        Buffer.from(garbage).copy(bad, at);
        const changed = garbage.findIndex((g, i) => at + i < log.length && g !== log[at + i]);
        fc.pre(changed >= 0);
        const firstChanged = at + changed;
        const r = scanLog(bad);
        const intact = ends.filter((e) => e <= firstChanged).length;
        // Every batch wholly before the damage survives, at its place, with its offsets.
        expect(r.count).toBeGreaterThanOrEqual(intact);
        expect([...r.baseOffsets.subarray(0, intact)]).toEqual(bases.slice(0, intact));
        // The damaged batch itself survives only when the damage is in the two fields Kafka
        // leaves outside the CRC on purpose so the log can stamp them: the base offset (if
        // it still increases) and the partition leader epoch.
        const rel = firstChanged - starts[intact]!;
        const uncovered = rel < 8 || (rel >= 12 && rel < 16);
        if (!uncovered) {
          expect(r.count).toBe(intact);
          expect(r.validEnd).toBe(starts[intact]);
          expect(r.stop).not.toBe('end');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a flipped CRC stops with "crc"; without verification the scan goes on', () => {
    const { log, starts } = makeLog(3);
    const bad = Buffer.from(log);
    bad[starts[1]! + 17]! ^= 0x01;
    const r = scanLog(bad);
    expect(r.stop).toBe('crc');
    expect(r.count).toBe(1);
    expect(r.validEnd).toBe(starts[1]);
    expect(scanLog(bad, 0, { verifyCrc: false }).count).toBe(3);
  });

  it('offsets that go backwards stop with "offset-order"; expectedNextOffset bounds the first batch', () => {
    const a = encodeBatch({ baseOffset: 10, records: [{ value: null }, { value: null }] });
    const b = encodeBatch({ baseOffset: 11, records: [{ value: null }] });
    const r = scanLog(Buffer.concat([a, b]));
    expect(r.stop).toBe('offset-order');
    expect(r.count).toBe(1);
    expect(r.validEnd).toBe(a.length);
    expect(scanLog(a, 0, { expectedNextOffset: 11 }).stop).toBe('offset-order');
    expect(scanLog(a, 0, { expectedNextOffset: 10 }).count).toBe(1);
  });

  it('bad magic and impossible lengths are reported as such', () => {
    const { log, starts } = makeLog(2);
    const magic = Buffer.from(log);
    magic[starts[1]! + MAGIC_OFFSET] = 1;
    expect(scanLog(magic)).toMatchObject({ stop: 'invalid-magic', count: 1 });
    const len = Buffer.from(log);
    len.writeInt32BE(3, starts[1]! + LENGTH_OFFSET);
    expect(scanLog(len)).toMatchObject({ stop: 'invalid-length', count: 1 });
    const zeros = Buffer.concat([log, Buffer.alloc(64)]);
    expect(scanLog(zeros)).toMatchObject({ stop: 'invalid-length', count: 2, validEnd: log.length });
  });
});
