/**
 * zstd (codec 4): both backends (native/zstd and the WebAssembly build) through the same
 * wrapper, against golden frames from the zstd command-line tool and golden record batches from
 * real clients (librdkafka 2.0.2 via kcat, librdkafka 2.15.1 via @confluentinc/kafka-javascript),
 * round trips, the decompression-bomb guard, fuzzing, and each other.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZstdCoder } from '../../src/format/compression/zstd-backend.js';
import { ZSTD_LEVEL_MAX, ZSTD_LEVEL_MIN, zstdCoder } from '../../src/format/compression/zstd-backend.js';
import { loadZstdNative } from '../../src/format/compression/zstd-native.js';
import { loadZstdWasm } from '../../src/format/compression/zstd-wasm.js';
import { decodeZstd, encodeZstd, zstdBackend, zstdVersion } from '../../src/format/compression/zstd.js';
import { decodeBatch } from '../../src/format/inflated-batch.js';
import { CompressionCodec, DeflatedBatch } from '../../src/format/record-batch.js';
import { decodeRecords } from '../../src/format/records.js';
import { CKJS_BATCH, KCAT_BATCH, goldenValue } from './zstd-golden.js';

const require = createRequire(import.meta.url);
const nativeBackend = loadZstdNative(require);
const wasmBackend = await loadZstdWasm(require);
const coders: [string, ZstdCoder][] = [];
if (nativeBackend) coders.push(['native', zstdCoder(nativeBackend)]);
if (wasmBackend) coders.push(['wasm', zstdCoder(wasmBackend)]);

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
  return undefined;
}
const DATA_ERRORS = ['CORRUPT_COMPRESSED_DATA', 'UNSUPPORTED_COMPRESSION', 'LIMIT_EXCEEDED'];

/** Frames written by the zstd 1.5.4 command-line tool, and what they hold. */
const CLI_FRAMES: [string, Buffer, Buffer][] = [
  ["printf 'tributary zstd' | zstd -c (no content size, checksum)", hex('28b52ffd0458710000747269627574617279207a73746492717b48'), Buffer.from('tributary zstd')],
  ['... | zstd -c --no-check', hex('28b52ffd0058710000747269627574617279207a737464'), Buffer.from('tributary zstd')],
  ['zstd file (single segment, 1-byte content size)', hex('28b52ffd240e710000747269627574617279207a73746492717b48'), Buffer.from('tributary zstd')],
  ["'abc' x 100 (2-byte content size)", hex('28b52ffd642c0055000018616263010026aa6e082bac9d8f'), Buffer.from('abc'.repeat(100))],
  ["'x' x 70000 (4-byte content size)", hex('28b52ffda47011010055000010787801006b1139c002a6aad1af'), Buffer.alloc(70_000, 'x')],
  ['an empty file', hex('28b52ffd240001000099e9d851'), Buffer.alloc(0)],
  [
    '3 lines from stdin (compressed block, no content size)',
    hex('28b52ffd04586d010004026c696e652030206f6620746865207a73746420626f756e6420746573740a313204000014e02e46ed68011cf184f884'),
    Buffer.from([0, 1, 2].map((i) => `line ${String(i).padStart(6, '0')} of the zstd bound test\n`).join('')),
  ],
];
/** `head -c 1048576 /dev/zero | zstd -c`: 1 MiB in 48 bytes, no content size (a small bomb). */
const MIB_OF_ZEROS = hex('28b52ffd04585400001000000100fbff39c00202001000020010000200100002001000020010000200100003001000f13e16e1');


/** Data with repeats at every distance, and plain random bytes. */
const compressible: fc.Arbitrary<Buffer> = fc
  .tuple(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 400 }))
  .map(([words, picks]) => Buffer.concat(picks.map((p) => words[p % words.length]!)));
const anyData = fc.oneof(fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), compressible);

/** ~400 KiB of text-like data: several 128 KiB blocks. */
function largeInput(): Buffer {
  const words = ['kafka', 'tributary', 'record', 'batch', 'offset', 'segment', 'zstd', '\n', ' '];
  let x = 7;
  const parts: string[] = [];
  let n = 0;
  while (n < 400 * 1024) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const w = words[x % words.length]! + (x % 5 === 0 ? String(x) : '');
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join(''));
}

describe('the backend in use', () => {
  const addonBuilt = existsSync(fileURLToPath(new URL('../../native/zstd/build/Release/tributary_zstd.node', import.meta.url)));

  it.skipIf(!addonBuilt || process.env.TRIBUTARY_ZSTD)('is native/zstd when the addon is built, and names its libzstd', () => {
    expect(zstdBackend).toBe('native');
    expect(zstdVersion).toMatch(/^1\.\d+\.\d+$/);
  });

  it('the WebAssembly build loads here (it is a dependency)', () => {
    expect(wasmBackend?.name).toBe('wasm');
  });

  it.skipIf(zstdBackend === null)('encodeZstd / decodeZstd use it; levels outside [-131072, 22] are INVALID_ARGUMENT', () => {
    const data = Buffer.from('tributary '.repeat(50));
    expect(decodeZstd(encodeZstd(data), data.length).equals(data)).toBe(true);
    expect(decodeZstd(encodeZstd(data, ZSTD_LEVEL_MAX), data.length).equals(data)).toBe(true);
    expect(decodeZstd(encodeZstd(data, -5), data.length).equals(data)).toBe(true);
    for (const level of [ZSTD_LEVEL_MAX + 1, ZSTD_LEVEL_MIN - 1, 1.5, Number.NaN]) expect(codeOf(() => encodeZstd(data, level))).toBe('INVALID_ARGUMENT');
  });
});

describe.each(coders)('zstd, %s backend', (_name, z) => {
  it('round trips at levels -5..9 (property), all bytes consumed', () => {
    fc.assert(
      fc.property(anyData, fc.integer({ min: -5, max: 9 }), (data, level) => {
        const frame = z.encode(data, level);
        expect(z.decode(frame, data.length).equals(data)).toBe(true);
        // The frame is exactly what was written: one more byte or one fewer is corrupt.
        expect(codeOf(() => z.decode(Buffer.concat([frame, Buffer.from([0])]), data.length + 1))).toBe('CORRUPT_COMPRESSED_DATA');
        expect(codeOf(() => z.decode(frame.subarray(0, frame.length - 1), data.length))).toBe('CORRUPT_COMPRESSED_DATA');
      }),
      { numRuns: 150 },
    );
  });

  it.skipIf(!nativeBackend)('frames without a content size (as Kafka clients write them) decode exactly at their size, not one byte under (property)', () => {
    fc.assert(
      fc.property(fc.oneof(anyData, fc.constant(largeInput())), fc.integer({ min: 1, max: 5 }), (data, level) => {
        const frame = nativeBackend!.compressUnsized!(data, level);
        expect(frame[4]! & 0xe0).toBe(0); // no content-size field (flag 0, not single segment)
        expect(z.decode(frame, data.length).equals(data)).toBe(true);
        if (data.length > 0) expect(codeOf(() => z.decode(frame, data.length - 1))).toBe('LIMIT_EXCEEDED');
      }),
      { numRuns: 60 },
    );
  });

  it('round trips several 128 KiB blocks at levels 1, 3 and 19, from a view at an offset', () => {
    const data = largeInput();
    for (const level of [1, 3, 19]) {
      const frame = z.encode(data.subarray(5), level);
      expect(frame.length).toBeLessThan(data.length / 2);
      const view = new Uint8Array(Buffer.concat([Buffer.alloc(3), frame]).buffer, 3, frame.length);
      expect(z.decode(view, data.length).equals(data.subarray(5))).toBe(true);
    }
  });

  it.each(CLI_FRAMES)('golden frame: %s', (_what, frame, content) => {
    expect(z.decode(frame, content.length).equals(content)).toBe(true);
    if (content.length > 0) expect(codeOf(() => z.decode(frame, content.length - 1))).toBe('LIMIT_EXCEEDED');
  });

  it('concatenated frames and skippable frames decode to the frames’ contents in order', () => {
    const skip = Buffer.concat([hex('5e2a4d18'), hex('03000000'), Buffer.from('abc')]);
    const parts = [CLI_FRAMES[0]!, CLI_FRAMES[3]!, CLI_FRAMES[5]!];
    const all = Buffer.concat([skip, ...parts.map((p) => p[1]), skip]);
    const content = Buffer.concat(parts.map((p) => p[2]));
    expect(z.decode(all, content.length).equals(content)).toBe(true);
    expect(codeOf(() => z.decode(all, content.length - 1))).toBe('LIMIT_EXCEEDED');
    expect(z.decode(skip, 0).length).toBe(0);
  });

  it('bounds a frame without a content size: 1 MiB of zeros inflates at exactly 1 MiB, not at one byte less', () => {
    const out = z.decode(MIB_OF_ZEROS, 1 << 20);
    expect(out.length).toBe(1 << 20);
    expect(out.every((b) => b === 0)).toBe(true);
    expect(codeOf(() => z.decode(MIB_OF_ZEROS, (1 << 20) - 1))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => z.decode(MIB_OF_ZEROS, 1000))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => z.decode(Buffer.concat([MIB_OF_ZEROS, MIB_OF_ZEROS]), (2 << 20) - 1))).toBe('LIMIT_EXCEEDED');
  });

  it('a corrupted byte in a checksummed frame is an error or changes nothing (never silently wrong data)', () => {
    for (const [f, c] of [
      [CLI_FRAMES[6]![1], CLI_FRAMES[6]![2]],
      [CLI_FRAMES[3]![1], CLI_FRAMES[3]![2]],
      [MIB_OF_ZEROS, Buffer.alloc(1 << 20)],
    ] as const) {
      for (let i = 0; i < f.length; i++) {
        for (const mask of [0x01, 0x80]) {
          const bad = Buffer.from(f);
          bad[i]! ^= mask;
          let out: Buffer | undefined;
          const code = codeOf(() => (out = z.decode(bad, 1 << 20)));
          if (code === undefined) expect(out!.equals(c), `byte ${i} ^ ${mask}`).toBe(true);
          else expect(DATA_ERRORS, `byte ${i} ^ ${mask}`).toContain(code);
        }
      }
    }
  });

  it('arbitrary bytes and mutated frames give output or a coded error, never anything else (fuzz)', () => {
    const seeds = [...CLI_FRAMES.map((c) => c[1]), MIB_OF_ZEROS, z.encode(largeInput().subarray(0, 5000))];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.concat([hex('28b52ffd'), Buffer.from(a)])),
          fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([s, edits]) => {
            const b = Buffer.from(s);
            for (const [pos, v] of edits) b[pos % b.length] = v;
            return b;
          }),
        ),
        (bytes) => {
          const code = codeOf(() => z.decode(bytes, 2 << 20));
          if (code !== undefined) expect(DATA_ERRORS).toContain(code);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it.each([
    ['kcat / librdkafka 2.0.2', KCAT_BATCH],
    ['@confluentinc/kafka-javascript / librdkafka 2.15.1', CKJS_BATCH],
  ])('golden record batch from %s inflates to its six records', (_client, bytes) => {
    const batch = new DeflatedBatch(bytes);
    batch.validate();
    batch.verifyCrc();
    expect(batch.compression).toBe(CompressionCodec.zstd);
    const records = decodeRecords(z.decode(batch.recordsBytes, 1 << 20), batch.recordCount);
    expect(records.map((r) => [r.offsetDelta, r.key?.toString(), r.value?.toString()])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, `k${i % 3}`, goldenValue(i)]));
  });
});

describe.skipIf(!nativeBackend || !wasmBackend)('native and WebAssembly agree', () => {
  const n = zstdCoder(nativeBackend!);
  const w = zstdCoder(wasmBackend!);

  it('each decodes the other’s frames (property)', () => {
    fc.assert(
      fc.property(anyData, fc.integer({ min: 1, max: 9 }), (data, level) => {
        expect(w.decode(n.encode(data, level), data.length).equals(data)).toBe(true);
        expect(n.decode(w.encode(data, level), data.length).equals(data)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  // Without a checksum a damaged frame may still decode (to other bytes); the two libzstd builds
  // differ in which damage they detect (the batch CRC is what guards stored data), so only
  // outputs both produce are compared.
  it('on mutated frames, where both decode they give the same output; otherwise a coded error', () => {
    const frame = n.encode(largeInput().subarray(0, 4000));
    fc.assert(
      fc.property(fc.nat(frame.length - 1), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const bad = Buffer.from(frame);
        bad[pos]! ^= mask;
        let a: Buffer | undefined;
        let b: Buffer | undefined;
        const ca = codeOf(() => (a = n.decode(bad, 1 << 20)));
        const cb = codeOf(() => (b = w.decode(bad, 1 << 20)));
        if (ca === undefined && cb === undefined) expect(a!.equals(b!)).toBe(true);
        if (ca !== undefined) expect(DATA_ERRORS).toContain(ca);
        if (cb !== undefined) expect(DATA_ERRORS).toContain(cb);
      }),
      { numRuns: 500 },
    );
  });
});

describe.skipIf(zstdBackend === null)('golden client batches through the registry', () => {
  it('decodeBatch gives the records, keys and timestamps the clients sent', () => {
    const ck = decodeBatch(new DeflatedBatch(CKJS_BATCH));
    expect(ck.compression).toBe('zstd');
    expect(ck.records.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString()])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, 1_700_000_000_000 + i, `k${i % 3}`, goldenValue(i)]));
    const kc = decodeBatch(new DeflatedBatch(KCAT_BATCH));
    expect(kc.records.map((r) => r.value?.toString())).toEqual([0, 1, 2, 3, 4, 5].map(goldenValue));
  });
});

let zstdCli = true;
try {
  execFileSync('zstd', ['--version'], { stdio: 'ignore' });
} catch {
  zstdCli = false;
}

describe.skipIf(!zstdCli || coders.length === 0)('zstd interop with the zstd command-line tool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-zstd-'));
  const data = Buffer.concat([largeInput(), largeInput().subarray(0, 100_000)]);
  const inFile = join(dir, 'in.txt');
  writeFileSync(inFile, data);

  it.each(coders)('frames the %s backend writes decode with `zstd -d`, at levels 1, 3 and 19', (_name, z) => {
    for (const input of [data, Buffer.alloc(0), Buffer.from('a')]) {
      for (const level of [1, 3, 19]) {
        const out = execFileSync('zstd', ['-d', '-c', '-q'], { input: z.encode(input, level), maxBuffer: 1 << 24 });
        expect(out.equals(input)).toBe(true);
      }
    }
  });

  const variants: [string, string[], boolean][] = [
    ['-1', ['-1'], false],
    ['-3', ['-3'], false],
    ['-19', ['-19'], false],
    ['--fast=5', ['--fast=5'], false],
    ['--no-check', ['--no-check'], false],
    ['-B16384 (small blocks)', ['-B16384'], false],
    ['-T2 (two threads)', ['-T2'], false],
    ['--long=27', ['--long=27'], false],
    ['stdin (no content size)', [], true],
    ['stdin -19 --no-check', ['-19', '--no-check'], true],
  ];
  it.each(variants)('frames `zstd %s` writes decode with ours', (_label, args, stdin) => {
    const frame = stdin
      ? execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 24 })
      : (execFileSync('zstd', ['-q', '-f', ...args, inFile, '-o', join(dir, 'out.zst')]), readFileSync(join(dir, 'out.zst')));
    for (const [, z] of coders) {
      expect(z.decode(frame, data.length).equals(data)).toBe(true);
      expect(codeOf(() => z.decode(frame, data.length - 1))).toBe('LIMIT_EXCEEDED');
    }
  });

  it('a frame whose window exceeds 128 MiB (`zstd --long=28`) is refused as libzstd refuses it by default', () => {
    const frame = execFileSync('zstd', ['-q', '-c', '--long=28'], { input: data, maxBuffer: 1 << 24 });
    for (const [, z] of coders) expect(codeOf(() => z.decode(frame, 1 << 24))).toBe('CORRUPT_COMPRESSED_DATA');
    rmSync(dir, { recursive: true, force: true });
  });
});
