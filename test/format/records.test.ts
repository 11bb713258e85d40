import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { recordHeadersMax } from '../../src/limits.js';
import { decodeRecords, encodeRecords, recordSize } from '../../src/format/records.js';
import type { RecordData } from '../../src/format/records.js';
import { writeVarint } from '../../src/format/varint.js';
import { recordData } from './arbitraries.js';

function expectCode(fn: () => unknown, code: string): void {
  expect(fn).toThrow(expect.objectContaining({ code }));
}

const one: RecordData = { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] };

describe('records: golden bytes', () => {
  it('a record with key, value and one header is laid out as Kafka DefaultRecord', () => {
    const r: RecordData = {
      attributes: 0,
      timestampDelta: 5,
      offsetDelta: 1,
      key: Buffer.from('k'),
      value: Buffer.from('val'),
      headers: [{ key: 'h', value: null }],
    };
    // length 13 (zigzag 26 = 0x1a), attrs 00, tsDelta 5 (0a), offDelta 1 (02), key len 1 (02) 'k',
    // value len 3 (06) 'val', 1 header (02): key len 1 (02) 'h', value null (01)
    const expected = '1a' + '00' + '0a' + '02' + '02' + '6b' + '06' + '76616c' + '02' + '02' + '68' + '01';
    expect(encodeRecords([r]).toString('hex')).toBe(expected);
    expect(recordSize(r)).toBe(expected.length / 2);
    expect(decodeRecords(Buffer.from(expected, 'hex'), 1)).toEqual([r]);
  });

  it('null key and tombstone value are -1 lengths', () => {
    const hex = encodeRecords([{ ...one, value: null }]).toString('hex');
    expect(hex).toBe('0c' + '00' + '00' + '00' + '01' + '01' + '00');
  });
});

describe('records: property round trip', () => {
  it('decode(encode(rs)) equals rs and consumes every byte', () => {
    fc.assert(
      fc.property(fc.array(recordData, { maxLength: 10 }), (rs) => {
        const bytes = encodeRecords(rs);
        expect(bytes.length).toBe(rs.reduce((n, r) => n + recordSize(r), 0));
        expect(decodeRecords(bytes, rs.length)).toEqual(rs);
        // decodeRecords insists on filling the range exactly; padding it must fail.
        if (rs.length > 0) expectCode(() => decodeRecords(Buffer.concat([bytes, Buffer.alloc(1)]), rs.length), 'INVALID_BATCH');
      }),
    );
  });

  it('decodes at an offset inside a larger buffer', () => {
    const bytes = encodeRecords([one, one]);
    const padded = Buffer.concat([Buffer.from('xyz'), bytes, Buffer.from('!!')]);
    expect(decodeRecords(padded, 2, 3, 3 + bytes.length)).toEqual([one, one]);
  });

  it('arbitrary bytes decode or fail with INVALID_BATCH, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 5 }), (raw, count) => {
        try {
          decodeRecords(Buffer.from(raw), count);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('INVALID_BATCH');
        }
      }),
    );
  });
});

describe('records: rejections', () => {
  const two = encodeRecords([one, one]);
  it('count mismatch: fewer records present than the count', () => expectCode(() => decodeRecords(two, 3), 'INVALID_BATCH'));
  it('count mismatch: more records present than the count (trailing bytes)', () => expectCode(() => decodeRecords(two, 1), 'INVALID_BATCH'));
  it('negative or huge counts', () => {
    expectCode(() => decodeRecords(two, -1), 'INVALID_BATCH');
    expectCode(() => decodeRecords(two, 2 ** 31 - 1), 'INVALID_BATCH');
  });
  it('a record length that disagrees with its fields (too long, too short)', () => {
    const b = Buffer.from(two);
    b[0] = b[0]! + 2; // first record claims one more byte
    expectCode(() => decodeRecords(b, 2), 'INVALID_BATCH');
    const c = Buffer.from(two);
    c[0] = c[0]! - 2;
    expectCode(() => decodeRecords(c, 2), 'INVALID_BATCH');
  });
  it('truncation at every byte', () => {
    const b = encodeRecords([{ ...one, key: Buffer.from('key'), headers: [{ key: 'a', value: Buffer.from('b') }] }]);
    for (let cut = 0; cut < b.length; cut++) expectCode(() => decodeRecords(b.subarray(0, cut), 1), 'INVALID_BATCH');
  });
  it('negative header key length, negative (non -1) value length', () => {
    const good = encodeRecords([{ ...one, headers: [{ key: 'a', value: null }] }]);
    // ... 02 (1 header) 02 'a' 01 -> make the key length -1 (01)
    const badKey = Buffer.from(good);
    badKey[badKey.length - 3] = 0x01;
    expectCode(() => decodeRecords(badKey, 1), 'INVALID_BATCH');
    const badValue = Buffer.from(encodeRecords([{ ...one, value: null }]));
    badValue[badValue.length - 2] = 0x03; // value length -2
    expectCode(() => decodeRecords(badValue, 1), 'INVALID_BATCH');
  });
  it('header count above recordHeadersMax is refused before any allocation', () => {
    const b = Buffer.alloc(16);
    let p = writeVarint(b, 0, 10); // body length
    b[p++] = 0; // attributes
    b[p++] = 0; // timestampDelta
    b[p++] = 0; // offsetDelta
    b[p++] = 1; // key null
    b[p++] = 1; // value null
    p = writeVarint(b, p, recordHeadersMax + 1);
    expectCode(() => decodeRecords(b.subarray(0, 11), 1), 'INVALID_BATCH');
  });
});
