/**
 * The request decoder facing hostile bytes: random frames, random frames behind a valid
 * header, truncations and single-byte corruptions of valid requests. It may only ever throw a
 * TributaryError (never RangeError/TypeError), must return promptly, and must never allocate
 * an array from a length field the frame cannot back (checked by timing and by the limits:
 * a count of 2^31-1 in 20 bytes is rejected before allocation).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { API_SPECS, SUPPORTED_APIS, decodeRequest, encodeRequest } from '../../src/protocol/index.js';
import { messageArb } from './table-values.js';

function decodeOnlyTypedErrors(frame: Buffer): void {
  try {
    decodeRequest(frame, { versions: 'schema' });
  } catch (err) {
    if (!isTributaryError(err)) throw err;
  }
}

const supported = SUPPORTED_APIS.flatMap((a) => Array.from({ length: a.maxVersion - a.minVersion + 1 }, (_, i) => ({ name: a.name, key: a.apiKey, version: a.minVersion + i })));

describe('request decoder fuzz', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => decodeOnlyTypedErrors(Buffer.from(b))), { numRuns: 3000 });
  });

  it('random bodies behind a valid header of every supported API version', () => {
    fc.assert(
      fc.property(fc.constantFrom(...supported), fc.uint8Array({ maxLength: 120 }), (api, body) => {
        const header = Buffer.alloc(10);
        header.writeInt16BE(api.key, 0);
        header.writeInt16BE(api.version, 2);
        header.writeInt32BE(1, 4);
        header.writeInt16BE(-1, 8); // null client id
        decodeOnlyTypedErrors(Buffer.concat([header, Buffer.from(body)]));
      }),
      { numRuns: 3000 },
    );
  });

  it('truncations and byte flips of valid requests', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...supported).chain((api) => fc.tuple(fc.constant(api), messageArb(API_SPECS[api.name].request, api.version))),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        ([api, body], cut, at, xor) => {
          const frame = encodeRequest(api.key, api.version, 5, 'fuzz', body).subarray(4);
          expect(decodeRequest(frame).apiName).toBe(api.name);
          decodeOnlyTypedErrors(frame.subarray(0, cut % frame.length));
          const flipped = Buffer.from(frame);
          const i = at % flipped.length;
          flipped[i] = flipped[i]! ^ xor;
          decodeOnlyTypedErrors(flipped);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('huge length fields are rejected before allocating', () => {
    // Metadata v1: topics array claiming 2^31-1 elements, then nothing.
    const f = Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
    const t0 = performance.now();
    expect(() => decodeRequest(f)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    // Within the limit but more than the frame can hold: MALFORMED_FRAME, not an allocation.
    const g = Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x00, 0x01, 0x00, 0x00]);
    expect(() => decodeRequest(g)).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME' }));
    // A compact string claiming 2^32-2 bytes (Metadata v9 topic name).
    const h = Buffer.from([0, 3, 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeRequest(h)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
