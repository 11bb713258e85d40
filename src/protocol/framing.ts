/**
 * Kafka's framing: every request and response is an int32 size followed by that many bytes.
 *
 * `FrameDecoder` turns an arbitrarily chunked byte stream (socket 'data' events) into whole
 * frames. Any split of the same stream yields the same frames. It copies only when a frame
 * spans chunks: a frame wholly inside one chunk is returned as a subarray of it, and a frame
 * that spans chunks is kept as views of its chunks (pieces under FRAME_PIECE_BYTES_MIN are
 * first copied into a FRAME_GATHER_BYTES_MIN staging buffer) and joined once, into a buffer
 * of exactly its size, when its last byte arrives. The work is linear in the bytes received
 * however small the chunks are, each byte is copied at most twice, and memory follows the
 * bytes actually received, not the size a peer announces.
 *
 * A size below 0 or above `frameBytesMax` is rejected (MALFORMED_FRAME / LIMIT_EXCEEDED)
 * before any buffer is allocated for it; the decoder is then unusable (the stream has lost
 * its framing) and the connection should be closed.
 */
import { TributaryError } from '../errors.js';
import { frameBytesMax } from '../limits.js';

/** Bytes of the size prefix. */
export const FRAME_SIZE_BYTES = 4;
/** Size of the staging buffer that gathers small pieces of a frame that spans chunks. */
export const FRAME_GATHER_BYTES_MIN = 64 * 1024;
/** Pieces at least this large are kept as views of their chunk rather than copied to the stage. */
export const FRAME_PIECE_BYTES_MIN = 4 * 1024;

export interface FrameDecoderOptions {
  /** Largest frame accepted (default `frameBytesMax`). */
  frameBytesMax?: number;
  /**
   * Where a frame that spans chunks is joined: a buffer of exactly the given size (default
   * Buffer.allocUnsafe). The broker passes a pool (server/frame-pool.ts).
   */
  allocFrame?: (size: number) => Buffer;
  /**
   * The caller reuses each chunk's memory once `push` returns (a socket read into one fixed
   * buffer, `onread`): every frame is then copied out as its bytes arrive, into a buffer
   * from `allocFrame` allocated when its size is read (so up to `frameBytesMax` is taken on
   * the peer's word: for clients, whose peer is a broker), and none is a view of a chunk.
   */
  copyFrames?: boolean;
}

export class FrameDecoder {
  private readonly max: number;
  private readonly allocFrame: ((size: number) => Buffer) | null;
  private readonly copyFrames: boolean;
  /** copyFrames: the frame being filled. */
  private frameBuf: Buffer | null = null;
  /** Bytes of the size prefix seen so far, when the prefix itself spans chunks. */
  private readonly sizeBuf = Buffer.alloc(FRAME_SIZE_BYTES);
  private sizeHave = 0;
  /** A frame that spans chunks: views of the bytes so far, and its size. */
  private parts: Buffer[] = [];
  /** Small pieces of a spanning frame, copied together (see `push`). */
  private stage: Buffer | null = null;
  private stageHave = 0;
  private partialHave = 0;
  private partialSize = -1;
  private failed: TributaryError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    this.max = options.frameBytesMax ?? frameBytesMax;
    this.allocFrame = options.allocFrame ?? null;
    this.copyFrames = options.copyFrames ?? false;
    if (!(Number.isInteger(this.max) && this.max >= 0 && this.max <= 0x7fff_ffff)) {
      throw new TributaryError('INVALID_ARGUMENT', `frameBytesMax ${this.max} is not a valid int32 size`);
    }
  }

  /** True when no partial frame is buffered (a clean point to close the stream). */
  get idle(): boolean {
    return this.sizeHave === 0 && this.partialSize < 0;
  }

  /** Bytes buffered toward the next frame (for output/back-pressure accounting). */
  get bufferedBytes(): number {
    return this.sizeHave + this.partialHave;
  }

  /**
   * Feeds one chunk; returns the frames it completes (without their size prefix), in order.
   * Returned frames may be subarrays of `chunk`: do not reuse the chunk's memory (unless
   * the decoder was made with `copyFrames`).
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Buffer[] = [];
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      if (this.partialSize >= 0 && this.frameBuf !== null) {
        // copyFrames: straight into the frame's own buffer.
        const frame = this.frameBuf;
        const take = Math.min(this.partialSize - this.partialHave, end - pos);
        buf.copy(frame, this.partialHave, pos, pos + take);
        this.partialHave += take;
        pos += take;
        if (this.partialHave === this.partialSize) {
          out.push(frame);
          this.frameBuf = null;
          this.partialHave = 0;
          this.partialSize = -1;
        }
        continue;
      }
      if (this.partialSize >= 0) {
        // A frame spanning chunks: keep views of the chunks and join them once, when the
        // frame is whole (one allocation of exactly its size). Small pieces are copied into a
        // staging buffer first, so a peer dribbling bytes cannot make us hold one Buffer
        // object per byte. Memory held follows what the peer sent, not what it announced.
        const take = Math.min(this.partialSize - this.partialHave, end - pos);
        if (take >= FRAME_PIECE_BYTES_MIN) {
          this.flushStage();
          this.parts.push(buf.subarray(pos, pos + take));
        } else {
          if (this.stage === null) this.stage = Buffer.allocUnsafe(Math.min(FRAME_GATHER_BYTES_MIN, this.partialSize - this.partialHave));
          const n = Math.min(take, this.stage.length - this.stageHave);
          buf.copy(this.stage, this.stageHave, pos, pos + n);
          this.stageHave += n;
          if (this.stageHave === this.stage.length) this.flushStage();
          if (n < take) {
            // The staging buffer filled mid-piece: the rest goes round the loop again.
            this.partialHave += n;
            pos += n;
            continue;
          }
        }
        this.partialHave += take;
        pos += take;
        if (this.partialHave === this.partialSize) {
          this.flushStage();
          out.push(this.parts.length === 1 ? this.parts[0]! : this.join());
          this.parts = [];
          this.partialHave = 0;
          this.partialSize = -1;
        }
        continue;
      }
      let size: number;
      if (this.sizeHave === 0 && end - pos >= FRAME_SIZE_BYTES) {
        size = buf.readInt32BE(pos);
        pos += FRAME_SIZE_BYTES;
      } else {
        const take = Math.min(FRAME_SIZE_BYTES - this.sizeHave, end - pos);
        buf.copy(this.sizeBuf, this.sizeHave, pos, pos + take);
        this.sizeHave += take;
        pos += take;
        if (this.sizeHave < FRAME_SIZE_BYTES) break;
        this.sizeHave = 0;
        size = this.sizeBuf.readInt32BE(0);
      }
      this.checkSize(size);
      if (end - pos >= size) {
        if (this.copyFrames) {
          const frame = this.alloc(size);
          buf.copy(frame, 0, pos, pos + size);
          out.push(frame);
        } else out.push(buf.subarray(pos, pos + size));
        pos += size;
      } else {
        this.partialSize = size;
        this.partialHave = 0;
        if (this.copyFrames) this.frameBuf = this.alloc(size);
      }
    }
    return out;
  }

  /**
   * copyFrames: the not yet received rest of the frame in progress, or null. A reader that can
   * choose where its next read lands (`onread` with a buffer function) reads straight into it
   * and reports the bytes with `filled`, so the bulk of a large frame is never copied.
   */
  get frameTail(): Buffer | null {
    return this.frameBuf === null ? null : this.frameBuf.subarray(this.partialHave, this.partialSize);
  }

  /** copyFrames: `n` bytes were written into `frameTail`; returns the frame if that completed it. */
  filled(n: number): Buffer[] {
    const frame = this.frameBuf;
    if (frame === null || !(Number.isInteger(n) && n >= 0 && n <= this.partialSize - this.partialHave)) {
      throw new TributaryError('INVALID_ARGUMENT', `filled(${n}) does not fit the frame in progress`);
    }
    this.partialHave += n;
    if (this.partialHave < this.partialSize) return [];
    this.frameBuf = null;
    this.partialHave = 0;
    this.partialSize = -1;
    return [frame];
  }

  private alloc(size: number): Buffer {
    return this.allocFrame ? this.allocFrame(size) : Buffer.allocUnsafe(size);
  }

  /** The parts of a finished spanning frame, copied into one buffer. */
  private join(): Buffer {
    if (this.allocFrame === null) return Buffer.concat(this.parts, this.partialSize);
    const frame = this.allocFrame(this.partialSize);
    let at = 0;
    for (const p of this.parts) at += p.copy(frame, at);
    return frame;
  }

  private flushStage(): void {
    if (this.stage === null || this.stageHave === 0) return;
    this.parts.push(this.stage.subarray(0, this.stageHave));
    this.stage = null;
    this.stageHave = 0;
  }

  private checkSize(size: number): void {
    if (size < 0) {
      this.failed = new TributaryError('MALFORMED_FRAME', `negative frame size ${size}`, { size });
    } else if (size > this.max) {
      this.failed = new TributaryError('LIMIT_EXCEEDED', `frame of ${size} bytes exceeds the limit of ${this.max}`, { size, max: this.max });
    }
    if (this.failed) throw this.failed;
  }
}

/** Prefixes `payload` with its int32 size (one copy; see `encodeResponse` for the no-copy path). */
export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.length > 0x7fff_ffff) throw new TributaryError('INVALID_ARGUMENT', `frame of ${payload.length} bytes does not fit an int32 size`);
  const out = Buffer.allocUnsafe(FRAME_SIZE_BYTES + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.set(payload, FRAME_SIZE_BYTES);
  return out;
}
