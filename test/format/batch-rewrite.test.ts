import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import type { TributaryError } from '../../src/errors.js';
import { encodeBatch } from '../../src/format/batch-builder.js';
import type { RecordRules } from '../../src/format/batch-rewrite.js';
import { needsRecordPass, rewriteBatch } from '../../src/format/batch-rewrite.js';
import { decompress, isCodecSupported } from '../../src/format/compression/index.js';
import { decodeBatch } from '../../src/format/inflated-batch.js';
import { CRC_OFFSET, CompressionCodec, DeflatedBatch, RECORDS_OFFSET } from '../../src/format/record-batch.js';
import type { CompressionName } from '../../src/format/record-batch.js';
import { batchInput } from './arbitraries.js';

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4'];
const rules = (over: Partial<RecordRules> = {}): RecordRules => ({ requireKeys: false, timestampRange: null, targetCodec: null, partition: 't-0', ...over });

/** The uncompressed records section: every record's exact bytes. */
function rawRecords(b: DeflatedBatch): Buffer {
  return b.compression === 0 ? Buffer.from(b.recordsBytes) : decompress(b.compression, b.recordsBytes);
}

/** Every header field except the codec bits, the length and the CRC. */
function headerFields(b: DeflatedBatch) {
  return {
    baseOffset: b.baseOffset,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    magic: b.magic,
    attributesBesidesCodec: b.attributes & ~0x07,
    lastOffsetDelta: b.lastOffsetDelta,
    baseTimestamp: b.baseTimestamp,
    maxTimestamp: b.maxTimestamp,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    recordCount: b.recordCount,
  };
}

const errorOf = (fn: () => unknown): TributaryError => {
  try {
    fn();
  } catch (err) {
    if (isTributaryError(err)) return err;
    throw err;
  }
  throw new Error('expected a TributaryError');
};

describe('rewriteBatch: recompression into the topic codec', () => {
  it('preserves every record byte and every header field but codec, length and CRC (property)', () => {
    fc.assert(
      fc.property(batchInput(CODECS), fc.constantFrom(...CODECS), (input, target) => {
        const original = encodeBatch(input);
        const copy = Buffer.from(original);
        const before = new DeflatedBatch(copy);
        const { bytes, recompressed } = rewriteBatch(copy, rules({ targetCodec: CompressionCodec[target] }));
        const after = new DeflatedBatch(bytes);
        // An uncompressed control batch stays uncompressed (Kafka LogValidator).
        const expected = input.isControl && (input.compression ?? 'none') === 'none' ? 0 : CompressionCodec[target];
        expect(after.compression).toBe(expected);
        expect(recompressed).toBe(expected !== before.compression);
        if (!recompressed) expect(bytes).toBe(copy);
        expect(copy.equals(original)).toBe(true); // the input is never modified
        after.validate();
        after.verifyCrc();
        expect(headerFields(after)).toEqual(headerFields(before));
        expect(rawRecords(after).equals(rawRecords(before))).toBe(true);
        // And decoded, the records (offsets, timestamps, keys, values, headers) are the same.
        const a = decodeBatch(after);
        const b = decodeBatch(before);
        expect(a.records).toEqual(b.records);
        expect({ ...a, compression: null, crc: null }).toEqual({ ...b, compression: null, crc: null });
      }),
      { numRuns: 150 },
    );
  });

  it('checks the CRC before rewriting: a corrupt batch is never given a fresh CRC', () => {
    const b = encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('value') }] });
    b[RECORDS_OFFSET + 3]! ^= 0xff;
    expect(errorOf(() => rewriteBatch(b, rules({ targetCodec: CompressionCodec.gzip }))).code).toBe('CORRUPT_BATCH');
    b[RECORDS_OFFSET + 3]! ^= 0xff;
    b.writeUInt32BE((b.readUInt32BE(CRC_OFFSET) ^ 1) >>> 0, CRC_OFFSET);
    expect(errorOf(() => rewriteBatch(b, rules({ requireKeys: true }))).code).toBe('CORRUPT_BATCH');
  });

  it('answers UNSUPPORTED_COMPRESSION for a target codec the registry lacks (zstd until it lands)', () => {
    const b = encodeBatch({ records: [{ value: Buffer.from('v') }], compression: 'gzip' });
    if (isCodecSupported(CompressionCodec.zstd)) {
      const r = rewriteBatch(b, rules({ targetCodec: CompressionCodec.zstd }));
      expect(new DeflatedBatch(r.bytes).compression).toBe(CompressionCodec.zstd);
      expect(decodeBatch(new DeflatedBatch(r.bytes)).records[0]!.value).toEqual(Buffer.from('v'));
    } else {
      const err = errorOf(() => rewriteBatch(b, rules({ targetCodec: CompressionCodec.zstd })));
      expect(err.code).toBe('UNSUPPORTED_COMPRESSION');
      expect(err.message).toMatch(/t-0 stores zstd batches/);
    }
  });

  it('passes the gzip level to the codec', () => {
    const value = Buffer.from('abcabcabd'.repeat(2000));
    const b = encodeBatch({ records: [{ value }] });
    const fast = rewriteBatch(b, rules({ targetCodec: CompressionCodec.gzip, level: 1 })).bytes;
    const best = rewriteBatch(b, rules({ targetCodec: CompressionCodec.gzip, level: 9 })).bytes;
    expect(fast.equals(best)).toBe(false);
    for (const x of [fast, best]) expect(decodeBatch(new DeflatedBatch(x)).records[0]!.value).toEqual(value);
  });

  it('needs no record pass when the header already satisfies the rules', () => {
    const gz = new DeflatedBatch(encodeBatch({ records: [{ value: Buffer.from('v') }], compression: 'gzip' }));
    expect(needsRecordPass(gz, rules())).toBe(false);
    expect(needsRecordPass(gz, rules({ targetCodec: CompressionCodec.gzip }))).toBe(false);
    expect(needsRecordPass(gz, rules({ targetCodec: CompressionCodec.lz4 }))).toBe(true);
    expect(needsRecordPass(gz, rules({ requireKeys: true }))).toBe(true);
    expect(needsRecordPass(gz, rules({ timestampRange: { min: 0, max: 1 } }))).toBe(true);
    const control = new DeflatedBatch(encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }], isControl: true }));
    expect(needsRecordPass(control, rules({ targetCodec: CompressionCodec.gzip }))).toBe(false);
  });
});

describe('rewriteBatch: per-record errors (KIP-467)', () => {
  const records = (n: number, keyless: (i: number) => boolean) =>
    Array.from({ length: n }, (_, i) => ({ key: keyless(i) ? null : Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: 1_000 + i }));

  for (const compression of CODECS) {
    it(`lists every keyless record of a ${compression} batch for a compacted topic`, () => {
      const b = encodeBatch({ records: records(100, (i) => i % 10 === 0), compression });
      const err = errorOf(() => rewriteBatch(b, rules({ requireKeys: true, partition: 'orders-3' })));
      expect(err.code).toBe('INVALID_BATCH');
      const list = err.context.recordErrors as { batchIndex: number; message: string }[];
      expect(list.map((e) => e.batchIndex)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
      expect(list[0]!.message).toBe('Compacted topic cannot accept message without key in topic partition orders-3.');
      expect(err.message).toMatch(/^One or more records have been rejected due to 10 record errors in total, and only showing the first three errors at most: \[RecordError\(batchIndex=0, /);
    });
  }

  it('accepts a keyed batch and a control batch without keys', () => {
    const b = encodeBatch({ records: records(5, () => false), compression: 'lz4' });
    expect(rewriteBatch(b, rules({ requireKeys: true })).bytes).toBe(b);
    const control = encodeBatch({ records: [{ value: Buffer.from('marker') }], isControl: true });
    expect(rewriteBatch(control, rules({ requireKeys: true })).recompressed).toBe(false);
  });

  it('rejects CreateTime timestamps outside the window with INVALID_TIMESTAMP, listing them; -1 passes', () => {
    const b = encodeBatch({
      records: [900, 1_000, 1_500, 2_001, -1].map((timestamp, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from('v'), timestamp })),
    });
    const err = errorOf(() => rewriteBatch(b, rules({ timestampRange: { min: 950, max: 2_000 } })));
    expect(err.code).toBe('INVALID_TIMESTAMP');
    expect(err.message).toBe('One or more records have been rejected due to invalid timestamp');
    const list = err.context.recordErrors as { batchIndex: number; message: string }[];
    expect(list.map((e) => e.batchIndex)).toEqual([0, 3]);
    expect(list[1]!.message).toBe('Timestamp 2001 of message with offset 3 is out of range. The timestamp should be within [950, 2000]');
    // The same records, all in the window, pass.
    expect(rewriteBatch(b, rules({ timestampRange: { min: 900, max: 2_001 } })).recompressed).toBe(false);
  });

  it('reports a keyless record before its timestamp, and INVALID_TIMESTAMP when both kinds occur', () => {
    const b = encodeBatch({ records: [{ value: Buffer.from('a'), timestamp: 5 }, { key: Buffer.from('k'), value: Buffer.from('b'), timestamp: 5 }] });
    const err = errorOf(() => rewriteBatch(b, rules({ requireKeys: true, timestampRange: { min: 10, max: 20 } })));
    expect(err.code).toBe('INVALID_TIMESTAMP');
    expect((err.context.recordErrors as { message: string }[]).map((e) => e.message.slice(0, 20))).toEqual(['Compacted topic cann', 'Timestamp 5 of messa']);
  });
});
