/** FrameDecoder: any split of a byte stream yields the same frames; bad sizes are typed errors. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { FRAME_GATHER_BYTES_MIN, FrameDecoder, encodeFrame } from '../../src/protocol/framing.js';
import { FramePool } from '../../src/protocol/frame-pool.js';

/** Cuts `buf` at the given positions (sorted, deduplicated, clamped). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('FrameDecoder', () => {
  it('yields the same frames for every split of the stream (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const dec = new FrameDecoder();
        const frames: Buffer[] = [];
        for (const chunk of split(stream, cuts)) frames.push(...dec.push(chunk));
        expect(frames.map((f) => f.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
        expect(dec.idle).toBe(true);
        expect(dec.bufferedBytes).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('one byte at a time', () => {
    const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(FRAME_GATHER_BYTES_MIN * 3 + 7, 0xab)];
    const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
    const dec = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...dec.push(stream.subarray(i, i + 1)));
    expect(frames).toEqual(payloads);
  });

  it('returns frames inside one chunk as views, without copying', () => {
    const stream = Buffer.concat([encodeFrame(Buffer.from('ab')), encodeFrame(Buffer.from('cd'))]);
    const [a, b] = new FrameDecoder().push(stream);
    expect(a!.buffer).toBe(stream.buffer);
    expect(b!.toString()).toBe('cd');
  });

  it('rejects negative and oversized sizes before allocating, and stays failed', () => {
    const neg = new FrameDecoder();
    expect(() => neg.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME' }));
    expect(() => neg.push(Buffer.from([0]))).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME' }));

    const small = new FrameDecoder({ frameBytesMax: 10 });
    expect(small.push(Buffer.from([0, 0, 0, 10, ...new Array<number>(10).fill(1)]))).toHaveLength(1);
    // The size prefix split across chunks is checked too.
    small.push(Buffer.from([0, 0]));
    expect(() => small.push(Buffer.from([0, 11]))).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));

    // A peer announcing a frame near the limit costs only what it sends.
    const big = new FrameDecoder();
    big.push(Buffer.from([0x06, 0x3f, 0xff, 0xff, 1, 2, 3]));
    expect(big.bufferedBytes).toBe(3);
    expect(big.idle).toBe(false);
  });

  it('only ever throws TributaryError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const dec = new FrameDecoder({ frameBytesMax: 1 << 16 });
        try {
          for (const c of chunks) dec.push(c);
        } catch (err) {
          expect(isTributaryError(err)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('FrameDecoder with allocFrame and copyFrames', () => {
  it('copyFrames: the same frames for every split, none aliasing the (reused) chunk memory (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (payloads, cuts, pooled) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const pool = new FramePool(1 << 20, 16);
        const dec = new FrameDecoder({ copyFrames: true, ...(pooled ? { allocFrame: (n: number) => pool.take(n) } : {}) });
        // Every chunk is read into the same buffer, as with a socket's onread, and scribbled
        // over after push returns: frames must not be views of it.
        const reused = Buffer.alloc(stream.length + 1);
        const frames: Buffer[] = [];
        for (const chunk of split(stream, cuts)) {
          chunk.copy(reused, 0);
          frames.push(...dec.push(reused.subarray(0, chunk.length)));
          reused.fill(0xee);
        }
        expect(frames.map((f) => f.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
        expect(dec.idle).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('copyFrames: reading straight into frameTail gives the same frames as pushing (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 60 }), (payloads, reads) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const dec = new FrameDecoder({ copyFrames: true });
        const scratch = Buffer.alloc(512);
        const frames: Buffer[] = [];
        let pos = 0;
        let i = 0;
        // A socket whose reads return up to reads[i] bytes, into the buffer the reader names.
        while (pos < stream.length) {
          const want = reads[i++ % reads.length]!;
          const target = dec.frameTail ?? scratch;
          const n = Math.min(want, target.length, stream.length - pos);
          stream.copy(target, 0, pos, pos + n);
          pos += n;
          if (target === scratch) {
            frames.push(...dec.push(scratch.subarray(0, n)));
            scratch.fill(0xee);
          } else frames.push(...dec.filled(n));
        }
        expect(frames.map((f) => f.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
        expect(dec.idle).toBe(true);
        expect(dec.frameTail).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('filled() refuses more than the frame in progress can take', () => {
    const dec = new FrameDecoder({ copyFrames: true });
    expect(() => dec.filled(1)).toThrow(/does not fit/);
    dec.push(encodeFrame(Buffer.alloc(100)).subarray(0, 10));
    expect(dec.frameTail!.length).toBe(94);
    expect(() => dec.filled(95)).toThrow(/does not fit/);
    expect(dec.filled(94)).toHaveLength(1);
  });

  it('joins a spanning frame into the buffer allocFrame gives, exactly once', () => {
    const payload = Buffer.alloc(200_000, 0x5a);
    const stream = encodeFrame(payload);
    const sizes: number[] = [];
    const dec = new FrameDecoder({ allocFrame: (n) => (sizes.push(n), Buffer.allocUnsafe(n)) });
    const frames: Buffer[] = [];
    for (const chunk of split(stream, [65_536, 131_072, 196_608])) frames.push(...dec.push(chunk));
    expect(sizes).toEqual([200_000]);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.equals(payload)).toBe(true);
  });
});

describe('FramePool', () => {
  it('reuses a released buffer of the same size class, and only its own', () => {
    const pool = new FramePool(1 << 20, 1024);
    const a = pool.take(3000);
    expect(a.length).toBe(3000);
    expect(a.buffer.byteLength).toBe(4096);
    pool.release(a);
    pool.release(a); // a second release of the same frame is ignored
    expect(pool.retainedBytes).toBe(4096);
    const b = pool.take(4000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.retainedBytes).toBe(0);
    pool.release(Buffer.alloc(4096)); // not the pool's: ignored
    expect(pool.retainedBytes).toBe(0);
    const give = pool.releaser(b);
    give();
    give(); // a releaser gives back once
    expect(pool.retainedBytes).toBe(4096);
  });

  it('does not pool small frames, keeps at most its byte budget, and drops detached memory', () => {
    const pool = new FramePool(8192, 1024);
    const small = pool.take(100);
    pool.release(small);
    expect(pool.retainedBytes).toBe(0);
    const x = pool.take(4096);
    const y = pool.take(4096);
    const z = pool.take(4096);
    pool.release(x);
    pool.release(y);
    pool.release(z); // over the 8 KiB budget: left to the garbage collector
    expect(pool.retainedBytes).toBe(8192);
    const w = pool.take(2048);
    structuredClone(w.buffer, { transfer: [w.buffer as ArrayBuffer] }); // as a transfer to a worker does
    pool.release(w);
    expect(pool.retainedBytes).toBe(8192);
  });
});
