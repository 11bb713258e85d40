import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZSTD_BLOCK_BYTES_MAX, scanZstdFrames } from '../../src/format/compression/zstd-frame.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

/** Frames written by the zstd 1.5.4 command-line tool (see zstd.test.ts for what they hold). */
const STDIN_NO_SIZE = hex('28b52ffd0458710000747269627574617279207a73746492717b48'); // printf 'tributary zstd' | zstd -c
const ONE_BYTE_SIZE = hex('28b52ffd240e710000747269627574617279207a73746492717b48'); // the same text from a file: single segment, FCS 14
const TWO_BYTE_SIZE = hex('28b52ffd642c0055000018616263010026aa6e082bac9d8f'); // 'abc' x 100: FCS flag 1, 0x002c + 256 = 300
const FOUR_BYTE_SIZE = hex('28b52ffda47011010055000010787801006b1139c002a6aad1af'); // 'x' x 70000: FCS flag 2
const EMPTY = hex('28b52ffd240001000099e9d851'); // an empty file

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
  return undefined;
}

/** A skippable frame (magic 0x184D2A5n) holding `data`. */
function skippable(n: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x184d2a50 + n, 0);
  h.writeUInt32LE(data.length, 4);
  return Buffer.concat([h, data]);
}

describe('scanZstdFrames', () => {
  it('accepts a window of exactly 2^27 bytes, the default limit of libzstd', () => {
    expect(scanZstdFrames(hex('28b52ffd0088010000'), 0).frames).toHaveLength(1);
  });

  it('reads every content-size field width: absent, 1, 2 (+256) and 4 bytes', () => {
    expect(scanZstdFrames(STDIN_NO_SIZE, 1 << 20).frames[0]).toMatchObject({ start: 0, end: STDIN_NO_SIZE.length, skippable: false, contentSize: -1 });
    expect(scanZstdFrames(ONE_BYTE_SIZE, 1 << 20).frames[0]!.contentSize).toBe(14);
    expect(scanZstdFrames(TWO_BYTE_SIZE, 1 << 20).frames[0]!.contentSize).toBe(300);
    expect(scanZstdFrames(FOUR_BYTE_SIZE, 1 << 20).frames[0]!.contentSize).toBe(70_000);
    expect(scanZstdFrames(EMPTY, 0).frames[0]!.contentSize).toBe(0);
  });

  it('bounds a frame without a content size by its blocks: raw sizes plus min(window, 128 KiB) per compressed block', () => {
    // The stdin frame is one raw block of 14 bytes (header 0x000071: last, raw, size 14).
    expect(scanZstdFrames(STDIN_NO_SIZE, 1 << 20).maxContentBytes).toBe(14);
    // A compressed block in a frame whose window (0x58: 2^21) exceeds the block maximum.
    const compressed = hex('28b52ffd0058' + '150000' + 'aa'.repeat(2));
    expect(scanZstdFrames(compressed, 1 << 20).maxContentBytes).toBe(ZSTD_BLOCK_BYTES_MAX);
    // An RLE block regenerates its size field's worth from one byte.
    const rle = hex('28b52ffd0058' + '0b0100' + '78'); // last, RLE, 33 bytes of 'x'
    expect(scanZstdFrames(rle, 1 << 20)).toMatchObject({ maxContentBytes: 33, frames: [{ end: rle.length }] });
  });

  it('walks frames back to back, skippable ones included, to exactly the end of the input', () => {
    const all = Buffer.concat([skippable(0, Buffer.from('meta')), STDIN_NO_SIZE, skippable(15, Buffer.alloc(0)), TWO_BYTE_SIZE]);
    const scan = scanZstdFrames(all, 1 << 20);
    expect(scan.frames.map((f) => [f.skippable, f.end - f.start])).toEqual([
      [true, 12],
      [false, STDIN_NO_SIZE.length],
      [true, 8],
      [false, TWO_BYTE_SIZE.length],
    ]);
    expect(scan.maxContentBytes).toBe(14 + 300);
  });

  it('declared content sizes beyond the limit are LIMIT_EXCEEDED before anything is decoded, even a 2^33-byte claim', () => {
    expect(codeOf(() => scanZstdFrames(TWO_BYTE_SIZE, 299))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => scanZstdFrames(Buffer.concat([TWO_BYTE_SIZE, TWO_BYTE_SIZE]), 599))).toBe('LIMIT_EXCEEDED');
    expect(scanZstdFrames(Buffer.concat([TWO_BYTE_SIZE, TWO_BYTE_SIZE]), 600).frames).toHaveLength(2);
    // FCS flag 3 (8 bytes), window 2^10: declares 8 GiB, then an empty raw last block.
    const huge = hex('28b52ffdc000' + '0000000002000000' + '010000');
    expect(codeOf(() => scanZstdFrames(huge, 256 << 20))).toBe('LIMIT_EXCEEDED');
  });

  it('a frame naming a dictionary is UNSUPPORTED_COMPRESSION; dictionary id 0 means none', () => {
    // FHD 0x05: checksum, 1-byte dictionary id; then the window byte and the id.
    const withDict = hex('28b52ffd055807' + '710000747269627574617279207a737464' + '92717b48');
    expect(codeOf(() => scanZstdFrames(withDict, 1 << 20))).toBe('UNSUPPORTED_COMPRESSION');
    const dictZero = hex('28b52ffd055800' + '710000747269627574617279207a737464' + '92717b48');
    expect(scanZstdFrames(dictZero, 1 << 20).frames).toHaveLength(1);
  });

  it('rejects what is not whole frames: empty input, bad magic, reserved bits and block type, truncation, trailing bytes, huge windows', () => {
    const bad: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['bad magic', hex('28b52ffe0058010000')],
      ['reserved FHD bit', hex('28b52ffd0858010000')],
      ['reserved block type', hex('28b52ffd0058070000')],
      ['window 2^28', hex('28b52ffd0090010000')],
      ['window 2^27 + 2^24', hex('28b52ffd0089010000')],
      ['block over the block maximum', hex('28b52ffd0000' + '090801')], // window 1 KiB, a raw block of 8449 bytes claimed
      ['trailing byte', Buffer.concat([STDIN_NO_SIZE, hex('00')])],
      ['trailing partial magic', Buffer.concat([STDIN_NO_SIZE, hex('28b52f')])],
      ['skippable frame past the end', skippable(1, Buffer.from('abc')).subarray(0, 10)],
    ];
    for (let cut = 1; cut < STDIN_NO_SIZE.length; cut++) bad.push([`cut at ${cut}`, STDIN_NO_SIZE.subarray(0, cut)]);
    for (const [what, bytes] of bad) expect(codeOf(() => scanZstdFrames(bytes, 1 << 20)), what).toBe('CORRUPT_COMPRESSED_DATA');
  });

  it('arbitrary bytes give a result that covers the input exactly, or a coded error (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (tail, prefixMagic) => {
        const bytes = prefixMagic ? Buffer.concat([hex('28b52ffd'), tail]) : Buffer.from(tail);
        let scan: ReturnType<typeof scanZstdFrames> | undefined;
        const code = codeOf(() => (scan = scanZstdFrames(bytes, 1 << 20)));
        if (code === undefined) {
          expect(scan!.frames[0]!.start).toBe(0);
          expect(scan!.frames.at(-1)!.end).toBe(bytes.length);
          for (let i = 1; i < scan!.frames.length; i++) expect(scan!.frames[i]!.start).toBe(scan!.frames[i - 1]!.end);
        } else {
          expect(['CORRUPT_COMPRESSED_DATA', 'UNSUPPORTED_COMPRESSION', 'LIMIT_EXCEEDED']).toContain(code);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
