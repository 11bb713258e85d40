/** BatchTemplate: batches finished in place are byte-identical to encodeBatch of the same records. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeflatedBatch, encodeBatch } from '../../src/format/index.js';
import { BatchTemplate, TEMPLATE_TIMESTAMP_DELTA_MAX } from '../../src/perf/batch-template.js';
import { writeKey } from '../../src/perf/keys.js';

/** Fills the first `count` records of a taken buffer as the producer does; returns the records for encodeBatch. */
function fill(t: BatchTemplate, buf: Buffer, count: number, baseMs: number, deltas: number[], sendUs: number[], keyIds: number[]) {
  const records = [];
  for (let i = 0; i < count; i++) {
    const ts = baseMs + deltas[i]!;
    expect(t.setTimestampDelta(buf, i, deltas[i]!)).toBe(true);
    if (t.valueBytes >= 8) buf.writeDoubleLE(sendUs[i]!, t.valueAt[i]!);
    if (t.keyBytes > 0) writeKey(buf, t.keyAt[i]!, t.keyBytes, keyIds[i]!);
    const v = t.valueAt[i]!;
    records.push({
      key: t.keyBytes > 0 ? Buffer.from(buf.subarray(t.keyAt[i]!, t.keyAt[i]! + t.keyBytes)) : null,
      value: Buffer.from(buf.subarray(v, v + t.valueBytes)),
      timestamp: ts,
    });
  }
  return records;
}

describe('BatchTemplate', () => {
  it('finish() equals encodeBatch for any count, value size, key width and in-range timestamps (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 41 }),
        fc.array(fc.integer({ min: 0, max: TEMPLATE_TIMESTAMP_DELTA_MAX }), { minLength: 300, maxLength: 300 }),
        (maxRecords, valueBytes, keyBytes, countSeed, baseMs, rawDeltas) => {
          const count = 1 + (countSeed % maxRecords);
          const payload = Buffer.alloc(maxRecords * valueBytes, 0x41);
          const t = new BatchTemplate(maxRecords, valueBytes, keyBytes, payload);
          // Timestamps only grow within a batch, as the producer generates them.
          const deltas = rawDeltas.slice(0, count).sort((a, b) => a - b);
          deltas[0] = 0;
          const sendUs = deltas.map((d, i) => (baseMs + d) * 1000 + i);
          const keyIds = deltas.map((_, i) => i * 7919);
          // Use a buffer twice, as reuse does: leftovers of a longer batch must not leak in.
          const buf = t.take();
          fill(t, buf, maxRecords, baseMs - 5, new Array(maxRecords).fill(3), new Array(maxRecords).fill(1), new Array(maxRecords).fill(42));
          const records = fill(t, buf, count, baseMs, deltas, sendUs, keyIds);
          const batch = t.finish(buf, count, baseMs, baseMs + deltas[count - 1]!);
          const expected = encodeBatch({ records });
          expect(batch.toString('hex')).toBe(expected.toString('hex'));
          new DeflatedBatch(batch).validate({ producer: true });
          expect(new DeflatedBatch(batch).verifyCrc()).toBeUndefined();
          t.release(buf);
          expect(t.take()).toBe(buf);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encodeFrom() takes the records from the template buffer, with any timestamps and codec', () => {
    const t = new BatchTemplate(50, 64, 4, Buffer.alloc(50 * 64, 0x42));
    const buf = t.take();
    const deltas = Array.from({ length: 20 }, (_, i) => i * 1000); // far over the one-byte range
    expect(t.setTimestampDelta(buf, 1, TEMPLATE_TIMESTAMP_DELTA_MAX + 1)).toBe(false);
    expect(t.setTimestampDelta(buf, 1, -1)).toBe(false);
    const records = fill(t, buf, 20, 1_700_000_000_000, deltas.map(() => 0), deltas, deltas.map((_, i) => i));
    const timestamps = new Float64Array(50);
    deltas.forEach((d, i) => {
      timestamps[i] = 1_700_000_000_000 + d;
      records[i]!.timestamp = timestamps[i]!;
    });
    for (const compression of ['none', 'gzip'] as const) {
      expect(t.encodeFrom(buf, 20, timestamps, compression).toString('hex')).toBe(encodeBatch({ records, compression }).toString('hex'));
    }
  });
});
