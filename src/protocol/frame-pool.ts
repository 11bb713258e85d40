/**
 * Reused buffers for large frames.
 *
 * A frame that spans socket reads is joined into one buffer (framing.ts). For produce
 * requests and fetch responses of hundreds of KiB that is a fresh allocation per frame:
 * memory outside V8's heap that the kernel must map and fault in, and whose churn drives V8's
 * "external memory pressure" collections (docs/performance.md). A FrameDecoder given
 * `allocFrame: (n) => pool.take(n)` joins into buffers from free lists by power-of-two size
 * class instead, and the pool takes them back.
 *
 * Ownership, the one rule that keeps reuse safe: a frame from `take` is only ever given back
 * by the code that knows nothing reads it any more, through `release`. In the broker the
 * Produce handler does so once every append of the request has settled (the bytes are in
 * the log or rejected); no other request releases its frame, so frames whose bytes a handler
 * keeps (group metadata, assignments) are left to the garbage collector. The load
 * generator's consumer releases a Fetch response once it has counted its batches. A frame
 * whose memory was transferred to a worker thread (byteLength 0) is dropped, not pooled.
 *
 * Bounds: frames under `framePoolBytesMin` are not pooled (Node's allocator pools small
 * buffers already), and the free lists of one pool together hold at most
 * `framePoolRetainedBytesMax`.
 */
import { framePoolBytesMin, framePoolRetainedBytesMax } from '../limits.js';

export class FramePool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** ArrayBuffers this pool handed out and has not had back (so `release` accepts only them). */
  private readonly out = new WeakSet<ArrayBuffer>();
  private retained = 0;

  constructor(
    private readonly retainedBytesMax = framePoolRetainedBytesMax,
    private readonly bytesMin = framePoolBytesMin,
  ) {}

  /** Bytes held in the free lists. */
  get retainedBytes(): number {
    return this.retained;
  }

  /** A buffer of exactly `size` bytes (contents undefined). */
  take(size: number): Buffer {
    if (size < this.bytesMin) return Buffer.allocUnsafe(size);
    const cls = sizeClass(size);
    const ab = this.free.get(cls)?.pop();
    let mem: ArrayBuffer;
    if (ab) {
      this.retained -= cls;
      mem = ab;
    } else {
      mem = new ArrayBuffer(cls);
    }
    this.out.add(mem);
    return Buffer.from(mem, 0, size);
  }

  /** A function that gives `frame` back once, however often it is called (for handlers and responses). */
  releaser(frame: Uint8Array): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.release(frame);
    };
  }

  /** Gives back a frame from `take` that nothing reads any more. Anything else is ignored. */
  release(frame: Uint8Array): void {
    const mem = frame.buffer as ArrayBuffer;
    if (!this.out.has(mem)) return;
    this.out.delete(mem);
    const cls = mem.byteLength;
    if (cls === 0 || this.retained + cls > this.retainedBytesMax) return;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(mem);
    this.retained += cls;
  }
}

/** The power of two at or above `size`. */
function sizeClass(size: number): number {
  return size <= 1 ? 1 : 2 ** Math.ceil(Math.log2(size));
}
