/**
 * Kafka's variable-length integers and a bounds-checked big-endian reader.
 *
 * Formats (Kafka ByteUtils, the same as protobuf's):
 *  - uvarint: unsigned, 7 bits per byte, least significant group first, high bit = "more
 *    bytes follow". At most 5 bytes for 32 bits; the 5th byte may carry only 4 bits.
 *    Used by records (through varint) and by the protocol's compact strings and arrays.
 *  - varint: an int32 zigzag-encoded ((v << 1) ^ (v >> 31)) and written as a uvarint.
 *  - varlong: an int64 zigzag-encoded and written in at most 10 bytes. We hold int64s as
 *    JavaScript numbers, so only the safe-integer range (|v| <= 2^53 - 1) is accepted;
 *    anything else is rejected, never rounded.
 *
 * Non-canonical (over-long) encodings within those byte limits are accepted on read, as
 * Kafka accepts them; writers always emit the shortest form.
 *
 * `ByteReader` is a cursor (buf, pos, end) rather than functions returning (value, next)
 * pairs so a decode loop allocates nothing per field. Every read is bounds-checked against
 * `end` and fails with a TributaryError carrying the code the reader was built with
 * (INVALID_BATCH for records, MALFORMED_FRAME for protocol frames), because what the
 * failure means depends on what is being read.
 */
import type { ErrorCode } from '../errors.js';
import { TributaryError } from '../errors.js';

/** Most bytes a 32-bit uvarint / varint may take. */
export const VARINT_BYTES_MAX = 5;
/** Most bytes a 64-bit varlong may take. */
export const VARLONG_BYTES_MAX = 10;

const TWO_POW_27 = 2 ** 27;
/** Bits 28.. of a safe zigzag value must stay below 2^26 (see readVarlong). */
const VARLONG_HIGH_SAFE_LIMIT = 2 ** 26;

function badArgument(what: string, v: number): never {
  throw new TributaryError('INVALID_ARGUMENT', `${what}: ${v} is out of range`, { value: v });
}

function overrun(pos: number, size: number): never {
  throw new TributaryError('INVALID_ARGUMENT', `varint write of ${size} bytes at ${pos} overruns the buffer`, { pos, size });
}

// ---- Sizes ----------------------------------------------------------------------------

/** Bytes the uvarint encoding of `v` (an unsigned 32-bit integer) takes. */
export function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x20_0000) return 3;
  if (v < 0x1000_0000) return 4;
  return 5;
}

/** Bytes the varint (zigzag int32) encoding of `v` takes. */
export function varintSize(v: number): number {
  return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0);
}

/** Bytes the varlong (zigzag int64) encoding of `v` (a safe integer) takes. */
export function varlongSize(v: number): number {
  if (v >= -0x4000_0000 && v < 0x4000_0000) return varintSize(v);
  // Zigzag magnitude: 2v for v >= 0, -2v - 1 for v < 0; count 7-bit groups by division,
  // which stays exact for safe integers (the quotient is only ever compared).
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    n++;
  }
  return n;
}

// ---- Writers --------------------------------------------------------------------------
// Each writes at `pos` and returns the position after the value. The caller sizes the buffer
// with the *Size functions; a write that would run past the end throws instead of being
// silently dropped by the typed array.

/** Writes `v`, an unsigned 32-bit integer, as a uvarint. */
export function writeUVarint(buf: Uint8Array, pos: number, v: number): number {
  if (!(v >= 0 && v <= 0xffff_ffff && Number.isInteger(v))) badArgument('uvarint', v);
  if (pos + uvarintSize(v) > buf.length) overrun(pos, uvarintSize(v));
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `v`, an int32, as a zigzag varint. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  if ((v | 0) !== v) badArgument('varint', v);
  return writeUVarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
}

/** Writes `v`, a safe integer, as a zigzag varlong. */
export function writeVarlong(buf: Uint8Array, pos: number, v: number): number {
  if (v >= -0x4000_0000 && v < 0x4000_0000 && (v | 0) === v) return writeUVarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
  if (!Number.isSafeInteger(v)) badArgument('varlong', v);
  const size = varlongSize(v);
  if (pos + size > buf.length) overrun(pos, size);
  // Split the zigzag value z into low 28 bits and the rest without ever forming z itself,
  // which can exceed 2^53: z = 2|v| - (v < 0), so low bit = sign, the rest = |v| (- 1).
  const neg = v < 0;
  const m = neg ? -v - 1 : v; // z = 2m + neg
  let lo = ((m % TWO_POW_27) * 2 + (neg ? 1 : 0)) >>> 0; // low 28 bits of z
  let hi = Math.floor(m / TWO_POW_27); // z >> 28
  for (let i = 0; i < 4; i++) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  while (hi >= 0x80) {
    buf[pos++] = (hi & 0x7f) | 0x80;
    hi = Math.floor(hi / 0x80);
  }
  buf[pos++] = hi;
  return pos;
}

// ---- Reader ---------------------------------------------------------------------------

/** A bounds-checked cursor over `buf[pos, end)`. Reads advance `pos`. */
export class ByteReader {
  buf: Buffer;
  pos: number;
  end: number;
  /** The error code every failed read throws with. */
  readonly code: ErrorCode;

  constructor(buf: Buffer, pos = 0, end = buf.length, code: ErrorCode = 'INVALID_BATCH') {
    if (pos < 0 || end > buf.length || pos > end) {
      throw new TributaryError('INVALID_ARGUMENT', `reader range [${pos}, ${end}) is outside a buffer of ${buf.length} bytes`, { pos, end });
    }
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.code = code;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws this reader's error code with `message` and the current position. */
  fail(message: string, context: Record<string, unknown> = {}): never {
    throw new TributaryError(this.code, message, { pos: this.pos, ...context });
  }

  private need(n: number): void {
    if (this.end - this.pos < n) this.fail(`truncated: ${n} bytes needed at ${this.pos}, ${this.end - this.pos} left`, { need: n });
  }

  /** Throws unless every byte up to `end` has been read. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} trailing bytes after ${what}`, { trailing: this.end - this.pos });
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  readInt8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  readUInt8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  readInt16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  readUInt16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  readInt32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  readUInt32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A big-endian int64 as a number; values outside the safe-integer range are rejected. */
  readInt64(): number {
    this.need(8);
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    const v = hi * 0x1_0000_0000 + lo;
    if (!Number.isSafeInteger(v)) this.fail(`int64 ${this.buf.readBigInt64BE(this.pos)} is outside the safe integer range`);
    this.pos += 8;
    return v;
  }
  readFloat64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** An unsigned 32-bit uvarint. */
  readUVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) this.fail('truncated varint');
      const b = buf[pos++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return v >>> 0;
      }
    }
    if (pos >= end) this.fail('truncated varint');
    const b = buf[pos++]!;
    // The 5th byte holds bits 28-31 only; anything more is not a 32-bit varint.
    if (b > 0x0f) this.fail('varint is longer than 32 bits');
    this.pos = pos;
    return (v | (b << 28)) >>> 0;
  }

  /** A zigzag int32 varint. */
  readVarint(): number {
    const z = this.readUVarint();
    return (z >>> 1) ^ -(z & 1);
  }

  /** A zigzag int64 varlong as a number; values outside the safe-integer range are rejected. */
  readVarlong(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    // Low 28 bits with int arithmetic (the common case ends here) ...
    let lo = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) this.fail('truncated varlong');
      const b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return (lo >>> 1) ^ -(lo & 1);
      }
    }
    // ... then bits 28-63 as an exact float (at most 36 bits).
    let hi = 0;
    let scale = 1;
    for (let i = 4; ; i++) {
      if (i === VARLONG_BYTES_MAX) this.fail('varlong is longer than 10 bytes');
      if (pos >= end) this.fail('truncated varlong');
      const b = buf[pos++]!;
      hi += (b & 0x7f) * scale;
      scale *= 0x80;
      if (b < 0x80) break;
    }
    // z = hi * 2^28 + lo; |v| = z >> 1 (+1 if negative). hi < 2^26 keeps it below 2^53.
    if (hi >= VARLONG_HIGH_SAFE_LIMIT) this.fail('varlong is outside the safe integer range');
    const m = hi * TWO_POW_27 + (lo >>> 1);
    const v = lo & 1 ? -m - 1 : m;
    if (!Number.isSafeInteger(v)) this.fail('varlong is outside the safe integer range');
    this.pos = pos;
    return v;
  }

  /** The next `n` bytes as a zero-copy subarray. */
  bytes(n: number): Buffer {
    if (n < 0) this.fail(`negative length ${n}`);
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}
