import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BatchInput } from '../../src/format/batch-builder.js';
import { encodeBatch } from '../../src/format/batch-builder.js';
import { decodeBatch } from '../../src/format/inflated-batch.js';
import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  CompressionCodec,
  DeflatedBatch,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../../src/format/record-batch.js';
import { crc32cJs } from '../../src/format/crc32c.js';
import { decompress, zstdBackend } from '../../src/format/compression/index.js';
import { batchInput, header, nullableBytes, timestamp } from './arbitraries.js';
import { kafkajsDecode, kafkajsEncode } from './kafkajs.js';

function expectCode(fn: () => unknown, code: string): void {
  expect(fn).toThrow(expect.objectContaining({ code }));
}

/** What decodeBatch should give back for `input` encoded as a batch. */
function expectedRecords(input: BatchInput, now: number, maxTimestamp: number) {
  const base = input.baseOffset ?? 0;
  return input.records.map((r, i) => ({
    offset: base + i,
    timestamp: input.timestampType === 1 ? maxTimestamp : (r.timestamp ?? now),
    key: r.key ?? null,
    value: r.value,
    headers: r.headers ?? [],
  }));
}

describe('encodeBatch / decodeBatch', () => {
  it('round trips every header field and record, consuming every byte (property)', () => {
    fc.assert(
      fc.property(batchInput(), (input) => {
        const bytes = encodeBatch(input);
        const batch = new DeflatedBatch(bytes);
        batch.validate({ producer: true });
        batch.verifyCrc();
        const out = decodeBatch(batch);
        const ts = input.records.map((r) => r.timestamp!);
        expect(out).toEqual({
          baseOffset: input.baseOffset,
          partitionLeaderEpoch: input.partitionLeaderEpoch,
          crc: crc32cJs(bytes.subarray(ATTRIBUTES_OFFSET)),
          compression: 'none',
          timestampType: input.timestampType,
          transactional: input.transactional,
          isControl: input.isControl,
          lastOffsetDelta: input.records.length - 1,
          baseTimestamp: ts[0],
          maxTimestamp: Math.max(...ts),
          producerId: input.producerId,
          producerEpoch: input.producerEpoch,
          baseSequence: input.baseSequence,
          records: expectedRecords(input, 0, Math.max(...ts)),
        });
        // Re-encoding the decoded batch (CreateTime keeps per-record timestamps) gives the same bytes.
        if (input.timestampType === 0) expect(encodeBatch(out).equals(bytes)).toBe(true);
      }),
    );
  });

  it('fills defaults like the Java producer: offset 0, no producer, no leader epoch, CreateTime, now', () => {
    const before = Date.now();
    const b = new DeflatedBatch(encodeBatch({ records: [{ value: Buffer.from('a') }, { value: null, key: Buffer.from('k') }] }));
    const after = Date.now();
    expect(b.baseOffset).toBe(0);
    expect(b.producerId).toBe(-1);
    expect(b.producerEpoch).toBe(-1);
    expect(b.baseSequence).toBe(-1);
    expect(b.partitionLeaderEpoch).toBe(-1);
    expect(b.attributes).toBe(0);
    expect(b.recordCount).toBe(2);
    expect(b.lastOffsetDelta).toBe(1);
    expect(b.baseTimestamp).toBeGreaterThanOrEqual(before);
    expect(b.baseTimestamp).toBeLessThanOrEqual(after);
    const out = decodeBatch(b);
    expect(out.records.map((r) => r.timestamp)).toEqual([b.baseTimestamp, b.baseTimestamp]);
    expect(out.records[1]!.value).toBeNull();
  });

  it('maxTimestamp is the largest timestamp, baseTimestamp the first (deltas may be negative)', () => {
    const b = new DeflatedBatch(encodeBatch({ records: [{ value: null, timestamp: 500 }, { value: null, timestamp: 900 }, { value: null, timestamp: 100 }] }));
    expect(b.baseTimestamp).toBe(500);
    expect(b.maxTimestamp).toBe(900);
    expect(decodeBatch(b).records.map((r) => r.timestamp)).toEqual([500, 900, 100]);
  });

  it('attributes bits: transactional, control, LogAppendTime', () => {
    const b = new DeflatedBatch(encodeBatch({ records: [{ value: null }], transactional: true, isControl: true, timestampType: 1 }));
    expect(b.isTransactional).toBe(true);
    expect(b.isControl).toBe(true);
    expect(b.timestampType).toBe(1);
    expect(b.attributes).toBe(0x10 | 0x20 | 0x08);
  });

  it('rejects bad input with INVALID_ARGUMENT', () => {
    expectCode(() => encodeBatch({ records: [] }), 'INVALID_ARGUMENT');
    expectCode(() => encodeBatch({ records: [{ value: null }], baseOffset: -1 }), 'INVALID_ARGUMENT');
    expectCode(() => encodeBatch({ records: [{ value: null }], producerEpoch: 0x8000 }), 'INVALID_ARGUMENT');
    expectCode(() => encodeBatch({ records: [{ value: null, timestamp: 2 ** 53 }] }), 'INVALID_ARGUMENT');
    expectCode(() => encodeBatch({ records: [{ value: null, timestamp: 1.5 }] }), 'INVALID_ARGUMENT');
    expectCode(() => encodeBatch({ records: [{ value: null }], compression: 'brotli' as 'none' }), 'INVALID_ARGUMENT');
  });

  it('decodeBatch checks the CRC first: one flipped bit anywhere in the covered range is CORRUPT_BATCH', () => {
    const bytes = encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('value'), timestamp: 1 }] });
    for (let i = ATTRIBUTES_OFFSET; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i]! ^= 0x01;
      expect(() => decodeBatch(new DeflatedBatch(copy)), `byte ${i}`).toThrow(expect.objectContaining({ code: expect.stringMatching(/CORRUPT_BATCH|INVALID_BATCH/) }));
    }
  });

  it('a correctly-CRCed batch whose records disagree with its count is INVALID_BATCH', () => {
    const bytes = encodeBatch({ records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }] });
    bytes.writeInt32BE(1, RECORDS_COUNT_OFFSET);
    bytes.writeInt32BE(0, LAST_OFFSET_DELTA_OFFSET);
    bytes.writeUInt32BE(crc32cJs(bytes.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    expectCode(() => decodeBatch(new DeflatedBatch(bytes)), 'INVALID_BATCH');
  });

  it('arbitrary bytes after a valid header decode or fail with a TributaryError code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.nat({ max: 4 }), (tail, count) => {
        const bytes = encodeBatch({ records: [{ value: null, timestamp: 0 }] }).subarray(0, RECORDS_OFFSET);
        const b = Buffer.concat([bytes, Buffer.from(tail)]);
        b.writeInt32BE(b.length - 12, LENGTH_OFFSET);
        b.writeInt32BE(count, RECORDS_COUNT_OFFSET);
        b.writeInt32BE(Math.max(count - 1, 0), LAST_OFFSET_DELTA_OFFSET);
        b.writeUInt32BE(crc32cJs(b.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
        try {
          decodeBatch(new DeflatedBatch(b));
        } catch (err) {
          expect((err as { code?: string }).code).toMatch(/^(INVALID_BATCH|CORRUPT_BATCH)$/);
        }
      }),
    );
  });
});

/**
 * Batches kafkajs can express: CreateTime, not control, unique non-numeric header keys,
 * and no null header values (its size function calls Buffer.byteLength(null)).
 */
const kafkajsInput = fc
  .record({
    records: fc.array(
      fc.record({
        key: nullableBytes(),
        value: nullableBytes(100),
        headers: fc.uniqueArray(header.map((h) => ({ key: 'h-' + h.key, value: h.value ?? Buffer.alloc(0) })), { selector: (h) => h.key, maxLength: 3 }),
        timestamp,
      }),
      { minLength: 1, maxLength: 10 },
    ),
    baseOffset: fc.nat(),
    producerId: fc.integer({ min: -1, max: 2 ** 40 }),
    producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
    baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
    transactional: fc.boolean(),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
  })
  .map((b): BatchInput => ({ ...b, compression: 'none' }));

describe('cross-check against kafkajs', () => {
  it('the same records encode to byte-identical batches', async () => {
    await fc.assert(
      fc.asyncProperty(kafkajsInput, async (input) => {
        const ours = encodeBatch(input);
        const theirs = await kafkajsEncode(input, 0);
        expect(ours.toString('hex')).toBe(theirs.toString('hex'));
      }),
      { numRuns: 60 },
    );
  });

  it("kafkajs's decoder reads our batches", async () => {
    await fc.assert(
      fc.asyncProperty(kafkajsInput, async (input) => {
        const out = await kafkajsDecode(encodeBatch(input));
        expect(out.firstOffset).toBe(String(input.baseOffset));
        expect(out.producerId).toBe(String(input.producerId));
        expect(out.inTransaction).toBe(input.transactional);
        expect(out.records.length).toBe(input.records.length);
        out.records.forEach((r, i) => {
          const want = input.records[i]!;
          expect(r.offset).toBe(String(input.baseOffset! + i));
          expect(r.timestamp).toBe(String(want.timestamp));
          expect(r.key).toEqual(want.key);
          expect(r.value).toEqual(want.value);
          expect(r.headers).toEqual(Object.fromEntries(want.headers!.map((h) => [h.key, h.value])));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('we decode what kafkajs encodes', async () => {
    await fc.assert(
      fc.asyncProperty(kafkajsInput, async (input) => {
        const out = decodeBatch(new DeflatedBatch(await kafkajsEncode(input, 0)));
        const ts = input.records.map((r) => r.timestamp!);
        expect(out.records).toEqual(expectedRecords(input, 0, Math.max(...ts)));
      }),
      { numRuns: 60 },
    );
  });
});

describe('DeflatedBatch on our batches', () => {
  const bytes = () => encodeBatch({ records: [{ value: Buffer.from('x'), timestamp: 10 }, { value: Buffer.from('y'), timestamp: 20 }], baseOffset: 0 });

  it('validate: accepts ours; rejects bad length, magic, counts; BATCH_TOO_LARGE over maxBytes', () => {
    new DeflatedBatch(bytes()).validate({ producer: true });
    expectCode(() => new DeflatedBatch(bytes()).validate({ maxBytes: RECORD_BATCH_OVERHEAD }), 'BATCH_TOO_LARGE');
    const len = bytes();
    len.writeInt32BE(len.readInt32BE(LENGTH_OFFSET) + 1, LENGTH_OFFSET);
    expectCode(() => new DeflatedBatch(len).validate(), 'INVALID_BATCH');
    const magic = bytes();
    magic[MAGIC_OFFSET] = 1;
    expectCode(() => new DeflatedBatch(magic).validate(), 'INVALID_BATCH');
    const count = bytes();
    count.writeInt32BE(3, RECORDS_COUNT_OFFSET);
    expectCode(() => new DeflatedBatch(count).validate(), 'INVALID_BATCH');
    const sparse = bytes();
    sparse.writeInt32BE(5, LAST_OFFSET_DELTA_OFFSET);
    new DeflatedBatch(sparse).validate(); // gaps are fine in a log (compaction) ...
    expectCode(() => new DeflatedBatch(sparse).validate({ producer: true }), 'INVALID_BATCH'); // ... not from a producer
    expectCode(() => new DeflatedBatch(Buffer.alloc(RECORD_BATCH_OVERHEAD - 1)), 'INVALID_BATCH');
  });

  it('verifyCrc names both values', () => {
    const b = bytes();
    b[b.length - 1]! ^= 0xff;
    const batch = new DeflatedBatch(b);
    try {
      batch.verifyCrc();
      throw new Error('no throw');
    } catch (err) {
      expect(err).toMatchObject({ code: 'CORRUPT_BATCH', context: { stored: batch.crc, computed: crc32cJs(b.subarray(ATTRIBUTES_OFFSET)) } });
    }
  });

  it('setBaseOffset and setPartitionLeaderEpoch stamp in place and keep the CRC valid', () => {
    const b = bytes();
    const batch = new DeflatedBatch(b);
    batch.setBaseOffset(2 ** 40);
    batch.setPartitionLeaderEpoch(7);
    batch.verifyCrc();
    expect(batch.baseOffset).toBe(2 ** 40);
    expect(batch.partitionLeaderEpoch).toBe(7);
    expect(decodeBatch(batch).records.map((r) => r.offset)).toEqual([2 ** 40, 2 ** 40 + 1]);
  });

  it('setLogAppendTime sets the type bit and max timestamp, recomputes the CRC, and records report it', () => {
    const b = bytes();
    const batch = new DeflatedBatch(b);
    batch.setLogAppendTime(12345);
    batch.verifyCrc();
    expect(batch.timestampType).toBe(1);
    expect(b.readBigInt64BE(MAX_TIMESTAMP_OFFSET)).toBe(12345n);
    expect(decodeBatch(batch).records.map((r) => r.timestamp)).toEqual([12345, 12345]);
  });

  it('DeflatedBatch.all walks concatenated batches and stops at a torn one', () => {
    const a = encodeBatch({ records: [{ value: null }], baseOffset: 0 });
    const c = encodeBatch({ records: [{ value: null }, { value: null }], baseOffset: 1 });
    const log = Buffer.concat([a, c, c.subarray(0, 20)]);
    expect([...DeflatedBatch.all(log)].map((x) => x.baseOffset)).toEqual([0, 1]);
  });
});

describe('compressed batches', () => {
  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: encodeBatch/decodeBatch round trip (property)', (compression) => {
    if (compression === 'zstd' && zstdBackend === null) return; // no zstd backend here: see the UNSUPPORTED test below
    fc.assert(
      fc.property(batchInput([compression]), (input) => {
        const bytes = encodeBatch(input);
        const batch = new DeflatedBatch(bytes);
        expect(batch.compression).toBe(CompressionCodec[compression]);
        const out = decodeBatch(batch);
        expect(out.compression).toBe(compression);
        const ts = input.records.map((r) => r.timestamp!);
        expect(out.records).toEqual(expectedRecords(input, 0, Math.max(...ts)));
        // The compressed section inflates to exactly the records an uncompressed batch holds.
        const plain = encodeBatch({ ...input, compression: 'none' });
        expect(decompress(batch.compression, batch.recordsBytes).equals(plain.subarray(RECORDS_OFFSET))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('codec ids 5-7, and zstd without a backend, are UNSUPPORTED_COMPRESSION both ways', () => {
    if (zstdBackend === null) expectCode(() => encodeBatch({ records: [{ value: null }], compression: 'zstd' }), 'UNSUPPORTED_COMPRESSION');
    for (const id of zstdBackend === null ? [4, 5, 6, 7] : [5, 6, 7]) {
      const bytes = encodeBatch({ records: [{ value: Buffer.from('x') }], compression: 'gzip' });
      bytes.writeInt16BE((bytes.readInt16BE(ATTRIBUTES_OFFSET) & ~7) | id, ATTRIBUTES_OFFSET);
      bytes.writeUInt32BE(crc32cJs(bytes.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
      expectCode(() => decodeBatch(new DeflatedBatch(bytes)), 'UNSUPPORTED_COMPRESSION');
    }
  });

  it('a correctly-CRCed batch with a corrupt compressed section is CORRUPT_COMPRESSED_DATA', () => {
    for (const compression of zstdBackend === null ? (['gzip', 'snappy', 'lz4'] as const) : (['gzip', 'snappy', 'lz4', 'zstd'] as const)) {
      const bytes = encodeBatch({ records: [{ value: Buffer.from('hello world, hello world') }], compression });
      // zstd: past the frame header (magic, descriptor, 1-byte content size), into the block header.
      const from = compression === 'zstd' ? 6 : 4;
      bytes.fill(0xa5, RECORDS_OFFSET + from, RECORDS_OFFSET + from + 8);
      bytes.writeUInt32BE(crc32cJs(bytes.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
      expectCode(() => decodeBatch(new DeflatedBatch(bytes)), 'CORRUPT_COMPRESSED_DATA');
    }
  });

  const gzipInput = (input: BatchInput): BatchInput => ({ ...input, compression: 'gzip' });
  it('gzip: byte-identical to kafkajs, and each side decodes the other', async () => {
    await fc.assert(
      fc.asyncProperty(kafkajsInput.map(gzipInput), async (input) => {
        const ours = encodeBatch(input);
        const theirs = await kafkajsEncode(input, 0);
        expect(ours.toString('hex')).toBe(theirs.toString('hex'));
        const decoded = await kafkajsDecode(ours);
        expect(decoded.records.map((r) => r.value)).toEqual(input.records.map((r) => r.value));
        const ts = input.records.map((r) => r.timestamp!);
        expect(decodeBatch(new DeflatedBatch(theirs)).records).toEqual(expectedRecords(input, 0, Math.max(...ts)));
      }),
      { numRuns: 30 },
    );
  });
});
