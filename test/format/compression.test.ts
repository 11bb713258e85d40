import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import xxhash from 'xxhash-wasm';
import { codecFor, compress, decompress, isCodecSupported, zstdBackend } from '../../src/format/compression/index.js';
import { decodeLz4Frame, encodeLz4Frame, LZ4_BLOCK_UNCOMPRESSED } from '../../src/format/compression/lz4-frame.js';
import { decodeXerialSnappy, encodeXerialSnappy, XERIAL_HEADER_LENGTH } from '../../src/format/compression/snappy.js';
import { decodeSnappyBlock } from '../../src/format/compression/snappy-block.js';

const { h32Raw } = await xxhash();
const snappyjs = createRequire(import.meta.url)('snappyjs') as { compress(b: Uint8Array): Uint8Array };

const CODECS: readonly (readonly [string, number])[] = [
  ['none', 0],
  ['gzip', 1],
  ['snappy', 2],
  ['lz4', 3],
  // zstd is in the registry whenever a backend loaded (test/format/zstd.test.ts covers both).
  ...(zstdBackend ? [['zstd', 4] as const] : []),
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
  return undefined;
}

/** Data with repeats at every distance, so the LZ codecs emit long and overlapping matches. */
const compressible: fc.Arbitrary<Buffer> = fc
  .tuple(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 400 }))
  .map(([words, picks]) => Buffer.concat(picks.map((p) => words[p % words.length]!)));
const anyData = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
  compressible,
);

/** 200 KiB of text-like data: several 64 KiB LZ4 blocks, several 32 KiB snappy blocks. */
function largeInput(seed: number): Buffer {
  const words = ['kafka', 'tributary', 'record', 'batch', 'offset', 'segment', 'partition', '\n', ' '];
  let x = seed;
  const parts: string[] = [];
  let n = 0;
  while (n < 200 * 1024) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const w = words[x % words.length]! + (x % 7 === 0 ? String(x) : '');
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join(''));
}

describe('registry', () => {
  it('knows codecs 0-4 (zstd with a backend); unknown ids, and zstd without one, are UNSUPPORTED_COMPRESSION', () => {
    for (const [name, id] of CODECS) {
      expect(codecFor(id).name).toBe(name);
      expect(isCodecSupported(id)).toBe(true);
    }
    for (const id of zstdBackend ? [5, 6, 7] : [4, 5, 6, 7]) {
      expect(isCodecSupported(id)).toBe(false);
      expect(codeOf(() => compress(id, Buffer.from('x')))).toBe('UNSUPPORTED_COMPRESSION');
      expect(codeOf(() => decompress(id, Buffer.from('x')))).toBe('UNSUPPORTED_COMPRESSION');
    }
  });
});

describe.each(CODECS)('%s', (_name, id) => {
  it('round trips (property)', () => {
    fc.assert(
      fc.property(anyData, (data) => {
        expect(decompress(id, compress(id, data)).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('round trips across block boundaries and from a Uint8Array view at an offset', () => {
    const data = largeInput(id + 1);
    expect(decompress(id, compress(id, data)).equals(data)).toBe(true);
    const backing = new Uint8Array(data.length + 10);
    backing.set(data, 7);
    const view = backing.subarray(7, 7 + data.length);
    const c = compress(id, view);
    const shifted = new Uint8Array(c.length + 3);
    shifted.set(c, 3);
    expect(decompress(id, shifted.subarray(3)).equals(data)).toBe(true);
  });

  it('refuses to inflate past maxBytes (decompression-bomb guard)', () => {
    const zeros = Buffer.alloc(1024 * 1024);
    expect(codeOf(() => decompress(id, compress(id, zeros), 1000))).toBe('LIMIT_EXCEEDED');
    expect(decompress(id, compress(id, zeros), zeros.length).length).toBe(zeros.length);
  });

  it.skipIf(id === 0)('arbitrary bytes decode or fail with a coded error (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const code = codeOf(() => decompress(id, bytes, 1 << 20));
        expect([undefined, 'CORRUPT_COMPRESSED_DATA', 'LIMIT_EXCEEDED', 'UNSUPPORTED_COMPRESSION']).toContain(code);
      }),
      { numRuns: 500 },
    );
  });

  it.skipIf(id === 0)('every truncation of a compressed stream is CORRUPT_COMPRESSED_DATA', () => {
    const data = largeInput(7).subarray(0, 70_000);
    const c = compress(id, data);
    for (let cut = 0; cut < c.length; cut += cut < 64 ? 1 : 997) {
      let out: Buffer | undefined;
      const code = codeOf(() => (out = decompress(id, c.subarray(0, cut))));
      if (code === undefined && id === 2) {
        // xerial framing has no end marker: a cut exactly between blocks is a shorter valid
        // stream. It must then decode to a whole-block prefix of the data, never to garbage.
        expect(out!.length % 32768).toBe(0);
        expect(data.subarray(0, out!.length).equals(out!)).toBe(true);
        continue;
      }
      expect(code, `cut ${cut} of ${c.length}`).toBe('CORRUPT_COMPRESSED_DATA');
    }
  });
});

describe('snappy (xerial framing)', () => {
  it('writes the 16-byte xerial header then [int32 length, block]*, 32 KiB of input per block', () => {
    const data = largeInput(3).subarray(0, 70_000);
    const c = encodeXerialSnappy(data);
    expect(c.subarray(0, XERIAL_HEADER_LENGTH).toString('hex')).toBe('82534e41505059000000000100000001');
    let pos = XERIAL_HEADER_LENGTH;
    const blocks: Buffer[] = [];
    while (pos < c.length) {
      const len = c.readInt32BE(pos);
      blocks.push(decodeSnappyBlock(c, pos + 4, pos + 4 + len, 1 << 20));
      pos += 4 + len;
    }
    expect(pos).toBe(c.length);
    expect(blocks.map((b) => b.length)).toEqual([32768, 32768, 70_000 - 65536]);
    expect(Buffer.concat(blocks).equals(data)).toBe(true);
  });

  it('an empty input is the header alone', () => {
    expect(encodeXerialSnappy(Buffer.alloc(0)).length).toBe(XERIAL_HEADER_LENGTH);
    expect(decodeXerialSnappy(encodeXerialSnappy(Buffer.alloc(0)), 10).length).toBe(0);
  });

  it('accepts raw unframed snappy, as Kafka does (property, blocks from snappyjs)', () => {
    fc.assert(
      fc.property(anyData, (data) => {
        expect(decodeXerialSnappy(snappyjs.compress(data), 1 << 20).equals(data)).toBe(true);
      }),
    );
  });

  it('golden raw block: literal then an overlapping copy', () => {
    // preamble 10, literal "ab" (tag (2-1)<<2 = 0x04), copy1 len 8 offset 2: tag ((8-4)<<2)|1 = 0x11, 0x02
    expect(decodeSnappyBlock(Buffer.from('0a0461621102', 'hex'), 0, 6, 100).toString()).toBe('ababababab');
  });

  it('rejects a copy reaching before the output, a short stream and a long one', () => {
    expect(codeOf(() => decodeSnappyBlock(Buffer.from('0a0461621103', 'hex'), 0, 6, 100))).toBe('CORRUPT_COMPRESSED_DATA');
    expect(codeOf(() => decodeSnappyBlock(Buffer.from('0b0461621102', 'hex'), 0, 6, 100))).toBe('CORRUPT_COMPRESSED_DATA');
    expect(codeOf(() => decodeSnappyBlock(Buffer.from('090461621102', 'hex'), 0, 6, 100))).toBe('CORRUPT_COMPRESSED_DATA');
  });

  it('a framed block length running past the input is CORRUPT_COMPRESSED_DATA', () => {
    const c = Buffer.from(encodeXerialSnappy(Buffer.from('hello hello hello')));
    c.writeInt32BE(1000, XERIAL_HEADER_LENGTH);
    expect(codeOf(() => decodeXerialSnappy(c, 1 << 20))).toBe('CORRUPT_COMPRESSED_DATA');
    c.writeInt32BE(-1, XERIAL_HEADER_LENGTH);
    expect(codeOf(() => decodeXerialSnappy(c, 1 << 20))).toBe('CORRUPT_COMPRESSED_DATA');
  });
});

describe('lz4 (frame format)', () => {
  it("writes Kafka's header: magic 0x184D2204, FLG 0x60 (v1, independent blocks), BD 0x40 (64 KiB), HC", () => {
    const f = encodeLz4Frame(Buffer.from('x'));
    // HC = (xxh32([0x60, 0x40], 0) >> 8) & 0xff = 0x82, the byte every Kafka lz4 batch carries.
    expect(f.subarray(0, 7).toString('hex')).toBe('04224d18604082');
    expect(encodeLz4Frame(Buffer.alloc(0)).toString('hex')).toBe('04224d1860408200000000');
  });

  it('splits input into 64 KiB blocks, storing incompressible ones raw with the high bit set', () => {
    const random = Buffer.from(fc.sample(fc.uint8Array({ minLength: 100_000, maxLength: 100_000 }), { numRuns: 1, seed: 42 })[0]!);
    const f = encodeLz4Frame(random);
    let pos = 7;
    const sizes: number[] = [];
    for (;;) {
      const word = f.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      expect(word & LZ4_BLOCK_UNCOMPRESSED).not.toBe(0);
      const size = word & 0x7fffffff;
      sizes.push(size);
      pos += size;
    }
    expect(sizes).toEqual([65536, 100_000 - 65536]);
    expect(pos).toBe(f.length);
    expect(decodeLz4Frame(f, 1 << 20).equals(random)).toBe(true);
  });

  it('with a content checksum, a corrupted byte is detected or changes nothing (never silently wrong data)', () => {
    const data = largeInput(11).subarray(0, 5000);
    const f = encodeLz4Frame(data, { contentChecksum: true });
    expect(decodeLz4Frame(f, 1 << 20).equals(data)).toBe(true);
    for (let i = 0; i < f.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const bad = Buffer.from(f);
        bad[i]! ^= mask;
        let out: Buffer | undefined;
        const code = codeOf(() => (out = decodeLz4Frame(bad, 1 << 20)));
        // A changed match offset that points at identical bytes yields the same content.
        if (code === undefined) expect(out!.equals(data), `byte ${i} ^ ${mask}`).toBe(true);
        else expect(['CORRUPT_COMPRESSED_DATA', 'UNSUPPORTED_COMPRESSION'], `byte ${i} ^ ${mask}`).toContain(code);
      }
    }
  });

  it('trailing bytes after the frame are CORRUPT_COMPRESSED_DATA', () => {
    const f = encodeLz4Frame(Buffer.from('abc'));
    expect(codeOf(() => decodeLz4Frame(Buffer.concat([f, Buffer.from([0])]), 100))).toBe('CORRUPT_COMPRESSED_DATA');
  });

  it('round trips every block size code, with and without content checksum (property)', () => {
    fc.assert(
      fc.property(anyData, fc.constantFrom(4 as const, 5 as const, 6 as const, 7 as const), fc.boolean(), (data, code, sum) => {
        expect(decodeLz4Frame(encodeLz4Frame(data, { blockSizeCode: code, contentChecksum: sum }), 1 << 20).equals(data)).toBe(true);
      }),
    );
  });
});

let lz4Cli = true;
try {
  execFileSync('lz4', ['--version'], { stdio: 'ignore' });
} catch {
  lz4Cli = false;
}

describe.skipIf(!lz4Cli)('lz4 interop with the lz4 command-line tool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-lz4-'));
  const data = largeInput(5);
  const inFile = join(dir, 'in.txt');
  writeFileSync(inFile, data);

  it('frames we write decode with `lz4 -d` (with and without content checksum)', () => {
    for (const contentChecksum of [false, true]) {
      for (const input of [data, Buffer.alloc(0), Buffer.from('a')]) {
        const out = execFileSync('lz4', ['-d', '-c'], { input: encodeLz4Frame(input, { contentChecksum }) });
        expect(out.equals(input)).toBe(true);
      }
    }
  });

  const variants: string[][] = [];
  for (const b of ['-B4', '-B5', '-B6', '-B7']) {
    variants.push([b], [b, '-BD'], [b, '-BX'], [b, '--no-frame-crc'], [b, '--content-size'], [b, '-BD', '-BX', '--content-size']);
  }
  it.each(variants.map((v) => [v.join(' '), v] as const))('frames `lz4 %s` writes decode with ours', (_label, args) => {
    const outFile = join(dir, `out${args.join('')}.lz4`);
    execFileSync('lz4', ['-q', '-f', ...args, inFile, outFile]);
    const frame = readFileSync(outFile);
    const flg = frame[4]!;
    // lz4 marks a one-block frame independent even with -BD; with several blocks it must not.
    const blockMax = 1 << (2 * Number(args[0]!.slice(2)) + 8);
    if (args.includes('-BD') && data.length > blockMax) expect(flg & 0x20).toBe(0);
    if (args.includes('-BX')) expect(flg & 0x10).toBe(0x10);
    if (args.includes('--content-size')) expect(flg & 0x08).toBe(0x08);
    expect(flg & 0x04).toBe(args.includes('--no-frame-crc') ? 0 : 0x04);
    expect(decodeLz4Frame(frame, 1 << 24).equals(data)).toBe(true);
  });

  it('a -BD frame whose matches cross blocks fails cleanly if decoded as independent', () => {
    execFileSync('lz4', ['-q', '-f', '-B4', '-BD', '--no-frame-crc', inFile, join(dir, 'dep.lz4')]);
    const frame = Buffer.from(readFileSync(join(dir, 'dep.lz4')));
    // Set the independence bit and fix HC: now a cross-block match must be rejected, not followed.
    frame[4]! |= 0x20;
    frame[6] = (h32Raw(frame.subarray(4, 6), 0) >>> 8) & 0xff;
    expect(codeOf(() => decodeLz4Frame(frame, 1 << 24))).toBe('CORRUPT_COMPRESSED_DATA');
    rmSync(dir, { recursive: true, force: true });
  });
});
