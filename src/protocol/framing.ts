/**
 * Kafka's framing: every request and response is an int32 size followed by that many bytes.
 *
 * `FrameDecoder` turns an arbitrarily chunked byte stream (socket 'data' events) into whole
 * frames. Any split of the same stream yields the same frames. It copies only when a frame
 * spans chunks: a frame wholly inside one chunk is returned as a subarray of it, and a frame
 * that spans chunks is assembled once into a buffer of exactly its size, so the work is
 * linear in the bytes received however small the chunks are. A spanning frame is gathered
 * in a buffer that starts at `FRAME_GATHER_BYTES_MIN` and doubles (capped at the frame's size):
 * memory follows the bytes actually received, not the size a peer announces (a 4-byte
 * "100 MiB frame" costs 64 KiB), and each byte is copied at most twice on average.
 *
 * A size below 0 or above `frameBytesMax` is rejected (MALFORMED_FRAME / LIMIT_EXCEEDED)
 * before any buffer is allocated for it; the decoder is then unusable (the stream has lost
 * its framing) and the connection should be closed.
 */
import { TributaryError } from '../errors.js';
import { frameBytesMax } from '../limits.js';

/** Bytes of the size prefix. */
export const FRAME_SIZE_BYTES = 4;
/** First allocation for a frame that spans chunks. */
export const FRAME_GATHER_BYTES_MIN = 64 * 1024;

export interface FrameDecoderOptions {
  /** Largest frame accepted (default `frameBytesMax`). */
  frameBytesMax?: number;
}

export class FrameDecoder {
  private readonly max: number;
  /** Bytes of the size prefix seen so far, when the prefix itself spans chunks. */
  private readonly sizeBuf = Buffer.alloc(FRAME_SIZE_BYTES);
  private sizeHave = 0;
  /** A frame that spans chunks: the bytes so far (in a buffer that grows), and its size. */
  private acc: Buffer = Buffer.alloc(0);
  private partialHave = 0;
  private partialSize = -1;
  private failed: TributaryError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    this.max = options.frameBytesMax ?? frameBytesMax;
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
   * Returned frames may be subarrays of `chunk`: do not reuse the chunk's memory.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Buffer[] = [];
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      if (this.partialSize >= 0) {
        const take = Math.min(this.partialSize - this.partialHave, end - pos);
        if (this.partialHave + take > this.acc.length) {
          const cap = Math.min(this.partialSize, Math.max(FRAME_GATHER_BYTES_MIN, 2 * this.acc.length, this.partialHave + take));
          const grown = Buffer.allocUnsafe(cap);
          this.acc.copy(grown, 0, 0, this.partialHave);
          this.acc = grown;
        }
        buf.copy(this.acc, this.partialHave, pos, pos + take);
        this.partialHave += take;
        pos += take;
        if (this.partialHave === this.partialSize) {
          out.push(this.acc);
          this.acc = Buffer.alloc(0);
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
        out.push(buf.subarray(pos, pos + size));
        pos += size;
      } else {
        this.partialSize = size;
        this.partialHave = 0;
      }
    }
    return out;
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
