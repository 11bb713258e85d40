import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cBackend, crc32cJs, crc32cNative } from '../../src/format/crc32c.js';

// RFC 3720 (iSCSI) appendix B.4 CRC-32C test vectors, plus the classic check value.
const VECTORS: [string, Buffer, number][] = [
  ['"123456789"', Buffer.from('123456789', 'ascii'), 0xe3069283],
  ['32 zero bytes', Buffer.alloc(32, 0), 0x8a9136aa],
  ['32 0xFF bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['ascending 0..31', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['descending 31..0', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  ['empty', Buffer.alloc(0), 0],
];

let nativeAvailable = true;
try {
  crc32cNative(Buffer.from('x'));
} catch {
  nativeAvailable = false;
}

const impls: [string, (b: Uint8Array, seed?: number) => number, boolean][] = [
  ['crc32cJs', crc32cJs, true],
  ['crc32cNative', crc32cNative, nativeAvailable],
  ['crc32c (' + crc32cBackend + ')', crc32c, true],
];

describe.each(impls)('%s', (_name, fn, available) => {
  it.skipIf(!available).each(VECTORS)('golden vector: %s', (_what, bytes, expected) => {
    expect(fn(bytes)).toBe(expected);
  });

  it.skipIf(!available)('chains: crc(b, crc(a)) == crc(a ++ b), at every split of a vector', () => {
    const whole = Buffer.from('123456789');
    for (let i = 0; i <= whole.length; i++) expect(fn(whole.subarray(i), fn(whole.subarray(0, i)))).toBe(0xe3069283);
  });

  it.skipIf(!available)('agrees with the JS reference on arbitrary data and splits (lengths across the 8-byte and 64-byte paths)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const split = bytes.length === 0 ? 0 : cut % bytes.length;
        const expected = crc32cJs(bytes);
        expect(fn(bytes)).toBe(expected);
        expect(fn(bytes.subarray(split), fn(bytes.subarray(0, split)))).toBe(expected);
      }),
    );
  });

  it.skipIf(!available)('works on a Uint8Array view that is not a Buffer and not at offset 0', () => {
    const backing = new Uint8Array(64);
    backing.set(Buffer.from('123456789'), 7);
    expect(fn(backing.subarray(7, 16))).toBe(0xe3069283);
  });
});
