import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTributaryError } from '../../src/errors.js';
import {
  ByteReader,
  uvarintSize,
  varintSize,
  varlongSize,
  writeUVarint,
  writeVarint,
  writeVarlong,
} from '../../src/format/varint.js';

/** Reference zigzag varlong encoder on BigInt, straight from the definition. */
function refVarlong(v: number): Buffer {
  let z = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

function enc(write: (b: Uint8Array, p: number, v: number) => number, size: (v: number) => number, v: number): Buffer {
  const buf = Buffer.alloc(size(v) + 3, 0xee);
  const end = write(buf, 3, v);
  expect(end - 3).toBe(size(v));
  return buf.subarray(3, end);
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(isTributaryError(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('golden bytes', () => {
  it.each([
    [0, '00'],
    [1, '02'],
    [-1, '01'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [300, 'd804'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ])('varint %d = %s', (v, hex) => {
    expect(enc(writeVarint, varintSize, v).toString('hex')).toBe(hex);
    expect(new ByteReader(Buffer.from(hex, 'hex')).readVarint()).toBe(v);
  });

  it.each([
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [0xffffffff, 'ffffffff0f'],
  ])('uvarint %d = %s', (v, hex) => {
    expect(enc(writeUVarint, uvarintSize, v).toString('hex')).toBe(hex);
    expect(new ByteReader(Buffer.from(hex, 'hex')).readUVarint()).toBe(v);
  });

  it.each([0, -1, 2 ** 30, -(2 ** 30) - 1, 2 ** 31, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 52, -(2 ** 52)])(
    'varlong %d matches the BigInt reference',
    (v) => {
      expect(enc(writeVarlong, varlongSize, v).toString('hex')).toBe(refVarlong(v).toString('hex'));
      expect(new ByteReader(refVarlong(v)).readVarlong()).toBe(v);
    },
  );
});

describe('round trips (property): value equal, exactly size bytes written and consumed', () => {
  it('uvarint', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const b = enc(writeUVarint, uvarintSize, v);
        const r = new ByteReader(b);
        expect(r.readUVarint()).toBe(v);
        expect(r.remaining).toBe(0);
      }),
    );
  });
  it('varint', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        const b = enc(writeVarint, varintSize, v);
        const r = new ByteReader(b);
        expect(r.readVarint()).toBe(v);
        expect(r.remaining).toBe(0);
      }),
    );
  });
  it('varlong, against the BigInt reference encoder', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer()), (v) => {
        const b = enc(writeVarlong, varlongSize, v);
        expect(b.toString('hex')).toBe(refVarlong(v).toString('hex'));
        const r = new ByteReader(b);
        expect(r.readVarlong()).toBe(v);
        expect(r.remaining).toBe(0);
      }),
    );
  });
  it('a sequence of mixed fields reads back in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: 0, max: 0xffffffff }))), (rows) => {
        let size = 0;
        for (const [a, b, c] of rows) size += varintSize(a) + varlongSize(b) + uvarintSize(c);
        const buf = Buffer.alloc(size);
        let pos = 0;
        for (const [a, b, c] of rows) pos = writeUVarint(buf, writeVarlong(buf, writeVarint(buf, pos, a), b), c);
        expect(pos).toBe(size);
        const r = new ByteReader(buf);
        for (const [a, b, c] of rows) {
          expect(r.readVarint()).toBe(a);
          expect(r.readVarlong()).toBe(b);
          expect(r.readUVarint()).toBe(c);
        }
        r.expectEnd('rows');
      }),
    );
  });
});

describe('rejections', () => {
  it('writers reject out-of-range values and overruns', () => {
    expectCode(() => writeVarint(Buffer.alloc(8), 0, 2 ** 31), 'INVALID_ARGUMENT');
    expectCode(() => writeVarint(Buffer.alloc(8), 0, 1.5), 'INVALID_ARGUMENT');
    expectCode(() => writeUVarint(Buffer.alloc(8), 0, -1), 'INVALID_ARGUMENT');
    expectCode(() => writeUVarint(Buffer.alloc(8), 0, 2 ** 32), 'INVALID_ARGUMENT');
    expectCode(() => writeVarlong(Buffer.alloc(16), 0, 2 ** 53), 'INVALID_ARGUMENT');
    expectCode(() => writeVarlong(Buffer.alloc(16), 0, NaN), 'INVALID_ARGUMENT');
    expectCode(() => writeVarint(Buffer.alloc(1), 0, 300), 'INVALID_ARGUMENT');
    expectCode(() => writeVarlong(Buffer.alloc(4), 0, 2 ** 40), 'INVALID_ARGUMENT');
  });

  it('truncated varints throw the reader code, at every cut', () => {
    for (const v of [300, -2147483648, Number.MAX_SAFE_INTEGER]) {
      const b = refVarlong(v);
      for (let cut = 0; cut < b.length; cut++) {
        expectCode(() => new ByteReader(b.subarray(0, cut), 0, cut, 'MALFORMED_FRAME').readVarlong(), 'MALFORMED_FRAME');
        if (v >= -(2 ** 31) && v < 2 ** 31) expectCode(() => new ByteReader(b.subarray(0, cut)).readVarint(), 'INVALID_BATCH');
      }
    }
  });

  it('a 32-bit varint longer than 32 bits is rejected', () => {
    expectCode(() => new ByteReader(Buffer.from('ffffffff1f', 'hex')).readUVarint(), 'INVALID_BATCH');
    expectCode(() => new ByteReader(Buffer.from('ffffffff8f01', 'hex')).readVarint(), 'INVALID_BATCH');
  });

  it('varlongs beyond the safe-integer range or 10 bytes are rejected, not rounded', () => {
    expectCode(() => new ByteReader(refVarlongBig(2n ** 53n)).readVarlong(), 'INVALID_BATCH');
    expectCode(() => new ByteReader(refVarlongBig(-(2n ** 53n))).readVarlong(), 'INVALID_BATCH');
    expectCode(() => new ByteReader(refVarlongBig(-(2n ** 63n))).readVarlong(), 'INVALID_BATCH');
    expectCode(() => new ByteReader(Buffer.from('8080808080808080808000', 'hex')).readVarlong(), 'INVALID_BATCH');
  });

  it('over-long but in-range encodings are accepted (as Kafka accepts them)', () => {
    const r = new ByteReader(Buffer.from('8000', 'hex'));
    expect(r.readVarint()).toBe(0);
    expect(r.remaining).toBe(0);
  });

  it('fixed-width reads are bounds-checked against end, not the buffer', () => {
    const buf = Buffer.alloc(16);
    buf.writeBigInt64BE(2n ** 53n, 8);
    const r = new ByteReader(buf, 0, 3, 'MALFORMED_FRAME');
    expectCode(() => r.readInt32(), 'MALFORMED_FRAME');
    expect(r.readInt16()).toBe(0);
    expectCode(() => r.readInt16(), 'MALFORMED_FRAME');
    expectCode(() => r.bytes(2), 'MALFORMED_FRAME');
    expect(r.bytes(1).length).toBe(1);
    expectCode(() => r.readInt8(), 'MALFORMED_FRAME');
    expectCode(() => new ByteReader(buf, 8).readInt64(), 'INVALID_BATCH');
    buf.writeBigInt64BE(-(2n ** 53n) + 1n, 8);
    expect(new ByteReader(buf, 8).readInt64()).toBe(-(2 ** 53) + 1);
    expectCode(() => new ByteReader(buf, 0, 17), 'INVALID_ARGUMENT');
  });

  it('bytes() is a zero-copy view', () => {
    const buf = Buffer.from('abcdef');
    const r = new ByteReader(buf, 1);
    const v = r.bytes(3);
    buf[1] = 0x5a;
    expect(v.toString()).toBe('Zcd');
    expect(r.pos).toBe(4);
  });

  it('arbitrary bytes never make a reader throw anything but its own code, nor read past end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.integer({ min: 0, max: 5 }), (bytes, op) => {
        const buf = Buffer.concat([Buffer.from(bytes), Buffer.alloc(8, 0)]);
        const r = new ByteReader(buf, 0, bytes.length, 'MALFORMED_FRAME');
        try {
          for (;;) {
            if (op === 0) r.readUVarint();
            else if (op === 1) r.readVarint();
            else if (op === 2) r.readVarlong();
            else if (op === 3) r.readInt64();
            else if (op === 4) r.readUInt32();
            else r.bytes(3);
            expect(r.pos).toBeLessThanOrEqual(bytes.length);
          }
        } catch (err) {
          expect((err as { code?: string }).code).toBe('MALFORMED_FRAME');
        }
      }),
    );
  });
});

function refVarlongBig(v: bigint): Buffer {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}
