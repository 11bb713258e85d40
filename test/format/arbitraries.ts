/** fast-check arbitraries shared by the format tests. */
import fc from 'fast-check';
import type { BatchInput, RecordInput } from '../../src/format/batch-builder.js';
import type { RecordData, RecordHeader } from '../../src/format/records.js';

export const bytes = (maxLength = 64): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
export const nullableBytes = (maxLength = 64): fc.Arbitrary<Buffer | null> => fc.option(bytes(maxLength), { nil: null, freq: 4 });

export const header: fc.Arbitrary<RecordHeader> = fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 12 }), value: nullableBytes(16) });

export const recordData: fc.Arbitrary<RecordData> = fc.record({
  attributes: fc.integer({ min: -128, max: 127 }),
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger()),
  offsetDelta: fc.integer(),
  key: nullableBytes(),
  value: nullableBytes(200),
  headers: fc.array(header, { maxLength: 4 }),
});

/** Realistic millisecond timestamps around now, plus far past and future ones. */
export const timestamp: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 45 }),
);

export const recordInput: fc.Arbitrary<RecordInput> = fc.record({
  key: nullableBytes(),
  value: nullableBytes(200),
  headers: fc.array(header, { maxLength: 3 }),
  timestamp,
});

export const batchInput = (compressions: BatchInput['compression'][] = ['none']): fc.Arbitrary<BatchInput> =>
  fc.record({
    records: fc.array(recordInput, { minLength: 1, maxLength: 20 }),
    baseOffset: fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 2 ** 31 })),
    compression: fc.constantFrom(...compressions),
    producerId: fc.integer({ min: -1, max: 2 ** 48 }),
    producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
    baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
    transactional: fc.boolean(),
    isControl: fc.boolean(),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
    timestampType: fc.constantFrom(0 as const, 1 as const),
  });
