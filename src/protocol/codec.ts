/**
 * The one generic encoder/decoder for protocol messages, driven by the schema tables.
 *
 * A table is compiled once per (message, version) into a tree of small codecs (a "plan"):
 * every version test, nullability test, compact-or-not choice and tag lookup is resolved at
 * compile time, so encoding and decoding a Produce or Fetch walks closures only.
 *
 * Wire rules (Kafka's protocol guide, "Protocol Primitive Types"):
 *  - before a message's flexible versions: string = int16 length + UTF-8 (-1 = null),
 *    bytes/records = int32 length (-1 = null), array = int32 count (-1 = null);
 *  - in flexible versions: the compact forms, length/count + 1 as a uvarint (0 = null), and
 *    every struct (the message itself, array elements, struct fields) ends with a tagged-field
 *    section: uvarint count, then per field uvarint tag, uvarint size, value.
 *  - tagged fields are written only when they differ from their default, in tag order;
 *    unknown tags are skipped on read.
 *
 * Encoding is two passes, `size` then `write`, into one exactly-sized buffer: no growth, no
 * copies, the record bytes of a Produce or Fetch copied once. Decoding returns zero-copy
 * subarrays of the input for `bytes` and `records`: the caller must not reuse the frame.
 *
 * Decoded bodies hold every field of the table: fields absent from the decoded version have
 * their default, so handlers can read e.g. `isolationLevel` whatever the version. On encode,
 * an `undefined` field is written as its default; fields absent from the version are ignored.
 *
 * Every length read from the wire is bounded before anything is allocated: strings by
 * `stringBytesMax`, arrays by `arrayLengthMax` and by the bytes left in the frame.
 */
import type { ErrorCode } from '../errors.js';
import { TributaryError } from '../errors.js';
import { ByteReader, uvarintSize, varintSize, varlongSize, writeUVarint, writeVarint, writeVarlong } from '../format/varint.js';
import { arrayLengthMax, stringBytesMax } from '../limits.js';
import type { FieldSpec, MessageSpec, PrimitiveType } from './schema.js';
import { inVersions, parseVersions } from './schema.js';

/** A decoded struct (a message body or a nested struct). */
export type Struct = Record<string, unknown>;

/** Kafka's all-zero UUID (Uuid.ZERO_UUID), the default of uuid fields, in Kafka's base64url form. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fff_ffff;
const TWO_POW_32 = 2 ** 32;
const EMPTY = Buffer.alloc(0);

/** The code protocol decode failures are thrown with. */
const DECODE_ERROR: ErrorCode = 'MALFORMED_FRAME';

/** A compiled codec for one value of one type at one version. */
export interface Codec {
  size(v: unknown): number;
  write(buf: Buffer, pos: number, v: unknown): number;
  read(r: ByteReader): unknown;
  /** A fresh default value (arrays and structs are new objects each time). */
  dflt(): unknown;
  /** True when a tagged field with this value may be omitted. */
  isDefault(v: unknown): boolean;
  /** Fewest bytes one value takes on the wire; bounds array counts read from the wire. */
  readonly minBytes: number;
}

function badValue(what: string, v: unknown): never {
  throw new TributaryError('INVALID_ARGUMENT', `cannot encode ${String(v)} as ${what}`, { value: typeof v === 'bigint' ? v.toString() : v });
}

function tooLong(r: ByteReader, what: string, n: number, max: number): never {
  throw new TributaryError('LIMIT_EXCEEDED', `${what} of ${n} exceeds the limit of ${max}`, { pos: r.pos, length: n, max });
}

// ---- Fixed-size and varint primitives ---------------------------------------------------

function intCodec(what: string, bytes: number, lo: number, hi: number, dflt: number, write: (buf: Buffer, v: number, pos: number) => number, read: (r: ByteReader) => number): Codec {
  return {
    size: () => bytes,
    write(buf, pos, v) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) badValue(what, v);
      return write(buf, v, pos);
    },
    read,
    dflt: () => dflt,
    isDefault: (v) => v === undefined || v === dflt,
    minBytes: bytes,
  };
}

function int64Codec(dflt: number): Codec {
  return {
    size: () => 8,
    write(buf, pos, v) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) badValue('int64 (a safe integer)', v);
      const hi = Math.floor(v / TWO_POW_32);
      buf.writeInt32BE(hi, pos);
      buf.writeUInt32BE(v - hi * TWO_POW_32, pos + 4);
      return pos + 8;
    },
    read: (r) => r.readInt64(),
    dflt: () => dflt,
    isDefault: (v) => v === undefined || v === dflt,
    minBytes: 8,
  };
}

function varCodec(what: string, ok: (v: number) => boolean, size: (v: number) => number, write: (buf: Buffer, pos: number, v: number) => number, read: (r: ByteReader) => number, dflt: number): Codec {
  return {
    size: (v) => size(v as number),
    write(buf, pos, v) {
      if (typeof v !== 'number' || !ok(v)) badValue(what, v);
      return write(buf, pos, v);
    },
    read,
    dflt: () => dflt,
    isDefault: (v) => v === undefined || v === dflt,
    minBytes: 1,
  };
}

const UUID_BYTES = 16;
const UUID_CHARS = 22;

function uuidCodec(dflt: string): Codec {
  return {
    size: () => UUID_BYTES,
    write(buf, pos, v) {
      if (typeof v !== 'string' || v.length !== UUID_CHARS) badValue('uuid (22 base64url characters)', v);
      const n = buf.write(v, pos, UUID_BYTES, 'base64url');
      if (n !== UUID_BYTES || buf.toString('base64url', pos, pos + UUID_BYTES) !== v) badValue('uuid (22 base64url characters)', v);
      return pos + UUID_BYTES;
    },
    read: (r) => r.bytes(UUID_BYTES).toString('base64url'),
    dflt: () => dflt,
    isDefault: (v) => v === undefined || v === dflt,
    minBytes: UUID_BYTES,
  };
}

function fixedCodec(type: PrimitiveType, dflt: unknown): Codec {
  const num = typeof dflt === 'number' ? dflt : 0;
  switch (type) {
    case 'int8':
      return intCodec('int8', 1, -0x80, 0x7f, num, (b, v, p) => b.writeInt8(v, p), (r) => r.readInt8());
    case 'int16':
      return intCodec('int16', 2, -0x8000, 0x7fff, num, (b, v, p) => b.writeInt16BE(v, p), (r) => r.readInt16());
    case 'uint16':
      return intCodec('uint16', 2, 0, 0xffff, num, (b, v, p) => b.writeUInt16BE(v, p), (r) => r.readUInt16());
    case 'int32':
      return intCodec('int32', 4, -0x8000_0000, INT32_MAX, num, (b, v, p) => b.writeInt32BE(v, p), (r) => r.readInt32());
    case 'uint32':
      return intCodec('uint32', 4, 0, 0xffff_ffff, num, (b, v, p) => b.writeUInt32BE(v, p), (r) => r.readUInt32());
    case 'int64':
      return int64Codec(num);
    case 'varint':
      return varCodec('varint', (v) => (v | 0) === v, varintSize, writeVarint, (r) => r.readVarint(), num);
    case 'uvarint':
      return varCodec('uvarint', (v) => Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff, uvarintSize, writeUVarint, (r) => r.readUVarint(), num);
    case 'varlong':
      return varCodec('varlong', Number.isSafeInteger, varlongSize, writeVarlong, (r) => r.readVarlong(), num);
    case 'float64':
      return {
        size: () => 8,
        write(buf, pos, v) {
          if (typeof v !== 'number') badValue('float64', v);
          return buf.writeDoubleBE(v, pos);
        },
        read: (r) => r.readFloat64(),
        dflt: () => num,
        isDefault: (v) => v === undefined || Object.is(v, num),
        minBytes: 8,
      };
    case 'bool': {
      const d = dflt === true;
      return {
        size: () => 1,
        write(buf, pos, v) {
          if (typeof v !== 'boolean') badValue('bool', v);
          buf[pos] = v ? 1 : 0;
          return pos + 1;
        },
        // Kafka reads any non-zero byte as true.
        read: (r) => r.readUInt8() !== 0,
        dflt: () => d,
        isDefault: (v) => v === undefined || v === d,
        minBytes: 1,
      };
    }
    case 'uuid':
      return uuidCodec(typeof dflt === 'string' ? dflt : ZERO_UUID);
    default:
      throw new TributaryError('INVALID_ARGUMENT', `not a fixed-size type: ${type}`);
  }
}

// ---- Length-prefixed: strings, bytes, records, arrays -------------------------------------

/** Reads a length prefix: -1 (null) or a non-negative length. */
type LengthReader = (r: ByteReader) => number;

const readInt16Length: LengthReader = (r) => r.readInt16();
const readInt32Length: LengthReader = (r) => r.readInt32();
const readCompactLength: LengthReader = (r) => r.readUVarint() - 1;

function lengthPrefix(compact: boolean, wide: boolean): { size: (n: number) => number; write: (buf: Buffer, pos: number, n: number) => number; read: LengthReader; max: number } {
  if (compact) return { size: (n) => uvarintSize(n + 1), write: (buf, pos, n) => writeUVarint(buf, pos, n + 1), read: readCompactLength, max: INT32_MAX - 1 };
  if (wide) return { size: () => 4, write: (buf, pos, n) => buf.writeInt32BE(n, pos), read: readInt32Length, max: INT32_MAX };
  return { size: () => 2, write: (buf, pos, n) => buf.writeInt16BE(n, pos), read: readInt16Length, max: INT16_MAX };
}

function checkLength(r: ByteReader, n: number, nullable: boolean, what: string): boolean {
  if (n === -1) {
    if (!nullable) r.fail(`non-nullable ${what} is null`);
    return false;
  }
  if (n < 0) r.fail(`negative ${what} length ${n}`);
  return true;
}

function stringCodec(compact: boolean, nullable: boolean, dfltNullable: boolean, dflt: unknown): Codec {
  const p = lengthPrefix(compact, false);
  const d = dflt === null && dfltNullable ? null : typeof dflt === 'string' ? dflt : '';
  return {
    size(v) {
      if (v === null) return p.size(-1);
      if (typeof v !== 'string') return 0; // rejected by write
      const n = Buffer.byteLength(v, 'utf8');
      return p.size(n) + n;
    },
    write(buf, pos, v) {
      if (v === null) {
        if (!nullable) badValue('non-nullable string', v);
        return p.write(buf, pos, -1);
      }
      if (typeof v !== 'string') badValue('string', v);
      const n = Buffer.byteLength(v, 'utf8');
      if (n > p.max) badValue(`string of at most ${p.max} bytes`, `${n} bytes`);
      pos = p.write(buf, pos, n);
      return pos + buf.write(v, pos, n, 'utf8');
    },
    read(r) {
      const n = p.read(r);
      if (!checkLength(r, n, nullable, 'string')) return null;
      if (n > stringBytesMax) tooLong(r, 'string length', n, stringBytesMax);
      const b = r.bytes(n);
      return b.toString('utf8');
    },
    dflt: () => d,
    isDefault: (v) => v === undefined || v === d,
    minBytes: p.size(0),
  };
}

/**
 * A `records` value made of several buffers (whole batches read from a log), so a Fetch
 * response can be sent without copying them: `encodeChunks` leaves large ones out of the
 * encoded buffer and hands them back as separate chunks for a gathered socket write.
 */
export class RecordChunks {
  readonly length: number;
  constructor(readonly chunks: readonly Buffer[]) {
    let n = 0;
    for (const c of chunks) n += c.length;
    this.length = n;
  }
}

/** RecordChunks at least this large are spliced by reference rather than copied. */
export const SPLICE_BYTES_MIN = 4096;

/** Set while `encodeChunks` runs: the splices found by the size and write passes. */
let splicing: { skipped: number; splices: { at: number; chunks: readonly Buffer[] }[] } | null = null;

function spliced(v: RecordChunks): boolean {
  return splicing !== null && v.length >= SPLICE_BYTES_MIN;
}

/**
 * Runs a size pass and a write pass with splicing on: returns the frame as chunks, the large
 * RecordChunks by reference. `size` is the full encoded size (what the frame prefix says);
 * `write` fills a buffer of `size - skipped` bytes.
 */
export function encodeChunks(size: () => number, write: (buf: Buffer) => number): Buffer[] {
  splicing = { skipped: 0, splices: [] };
  try {
    const total = size();
    const state = splicing;
    const buf = Buffer.allocUnsafe(total - state.skipped);
    state.splices.length = 0;
    const end = write(buf);
    if (end !== buf.length) throw new TributaryError('INVALID_ARGUMENT', `encoder wrote ${end} of ${buf.length} bytes`);
    const out: Buffer[] = [];
    let from = 0;
    for (const s of state.splices) {
      if (s.at > from) out.push(buf.subarray(from, s.at));
      for (const c of s.chunks) if (c.length > 0) out.push(c);
      from = s.at;
    }
    if (from < buf.length) out.push(buf.subarray(from));
    return out;
  } finally {
    splicing = null;
  }
}

function bytesCodec(compact: boolean, nullable: boolean, dfltNullable: boolean, isRecords: boolean): Codec {
  const p = lengthPrefix(compact, true);
  // Kafka's defaults: empty for bytes, null for (nullable) records.
  const d = isRecords && dfltNullable ? null : EMPTY;
  return {
    size(v) {
      if (v === null) return p.size(-1);
      if (isRecords && v instanceof RecordChunks) {
        if (spliced(v)) splicing!.skipped += v.length;
        return p.size(v.length) + v.length;
      }
      if (!(v instanceof Uint8Array)) return 0;
      return p.size(v.length) + v.length;
    },
    write(buf, pos, v) {
      if (v === null) {
        if (!nullable) badValue('non-nullable bytes', v);
        return p.write(buf, pos, -1);
      }
      if (isRecords && v instanceof RecordChunks) {
        pos = p.write(buf, pos, v.length);
        if (spliced(v)) {
          splicing!.splices.push({ at: pos, chunks: v.chunks });
          return pos;
        }
        for (const c of v.chunks) {
          buf.set(c, pos);
          pos += c.length;
        }
        return pos;
      }
      if (!(v instanceof Uint8Array)) badValue('bytes', v);
      pos = p.write(buf, pos, v.length);
      buf.set(v, pos);
      return pos + v.length;
    },
    read(r) {
      const n = p.read(r);
      if (!checkLength(r, n, nullable, 'bytes')) return null;
      return r.bytes(n);
    },
    dflt: () => d,
    isDefault: (v) => v === undefined || v === d || (v instanceof Uint8Array && v.length === 0 && d !== null),
    minBytes: p.size(0),
  };
}

function arrayCodec(elem: Codec, compact: boolean, nullable: boolean, dfltNull: boolean): Codec {
  const p = lengthPrefix(compact, true);
  const minBytes = elem.minBytes;
  return {
    size(v) {
      if (v === null) return p.size(-1);
      if (!Array.isArray(v)) return 0;
      let n = p.size(v.length);
      for (let i = 0; i < v.length; i++) n += elem.size(v[i]);
      return n;
    },
    write(buf, pos, v) {
      if (v === null) {
        if (!nullable) badValue('non-nullable array', v);
        return p.write(buf, pos, -1);
      }
      if (!Array.isArray(v)) badValue('array', v);
      pos = p.write(buf, pos, v.length);
      for (let i = 0; i < v.length; i++) pos = elem.write(buf, pos, v[i]);
      return pos;
    },
    read(r) {
      const n = p.read(r);
      if (!checkLength(r, n, nullable, 'array')) return null;
      if (n > arrayLengthMax) tooLong(r, 'array length', n, arrayLengthMax);
      // Every element takes at least minBytes: a count the rest of the frame cannot hold is
      // rejected before anything is allocated for it.
      if (n * minBytes > r.remaining) r.fail(`array of ${n} elements cannot fit in ${r.remaining} bytes`, { length: n });
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = elem.read(r);
      return out;
    },
    dflt: () => (dfltNull ? null : []),
    isDefault: (v) => v === undefined || (dfltNull ? v === null : Array.isArray(v) && v.length === 0),
    minBytes: p.size(0),
  };
}

// ---- Structs ---------------------------------------------------------------------------

interface FieldPlan {
  readonly name: string;
  readonly codec: Codec;
  readonly tag: number;
}

function structCodec(fields: readonly FieldSpec[], version: number, flexible: boolean, where: string): Codec {
  const plain: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldPlan[] = [];
  for (const f of fields) {
    const present = inVersions(f.versions, version);
    const codec = fieldCodec(f, present ? version : -1, flexible, `${where}.${f.name}`);
    if (!present) absent.push({ name: f.name, codec, tag: -1 });
    else if (flexible && inVersions(f.taggedVersions, version)) {
      if (f.tag === undefined) throw new TributaryError('INVALID_ARGUMENT', `tagged field ${where}.${f.name} has no tag`);
      tagged.push({ name: f.name, codec, tag: f.tag });
    } else plain.push({ name: f.name, codec, tag: -1 });
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const byTag = new Map(tagged.map((t) => [t.tag, t]));
  const all = [...plain, ...tagged, ...absent];

  const dflt = (): Struct => {
    const o: Struct = {};
    for (const f of all) o[f.name] = f.codec.dflt();
    return o;
  };
  const get = (v: unknown, f: FieldPlan): unknown => {
    const x = (v as Struct)[f.name];
    return x === undefined ? f.codec.dflt() : x;
  };

  let minBytes = flexible ? 1 : 0;
  for (const f of plain) minBytes += f.codec.minBytes;

  return {
    size(v) {
      if (typeof v !== 'object' || v === null) return 0;
      let n = 0;
      for (const f of plain) n += f.codec.size(get(v, f));
      if (flexible) {
        let count = 0;
        for (const f of tagged) {
          const x = (v as Struct)[f.name];
          if (f.codec.isDefault(x)) continue;
          const s = f.codec.size(x);
          n += uvarintSize(f.tag) + uvarintSize(s) + s;
          count++;
        }
        n += uvarintSize(count);
      }
      return n;
    },
    write(buf, pos, v) {
      if (typeof v !== 'object' || v === null) badValue(`struct ${where}`, v);
      for (const f of plain) pos = f.codec.write(buf, pos, get(v, f));
      if (flexible) {
        let count = 0;
        for (const f of tagged) if (!f.codec.isDefault((v as Struct)[f.name])) count++;
        pos = writeUVarint(buf, pos, count);
        for (const f of tagged) {
          const x = (v as Struct)[f.name];
          if (f.codec.isDefault(x)) continue;
          pos = writeUVarint(buf, pos, f.tag);
          pos = writeUVarint(buf, pos, f.codec.size(x));
          pos = f.codec.write(buf, pos, x);
        }
      }
      return pos;
    },
    read(r) {
      const o: Struct = {};
      for (const f of plain) o[f.name] = f.codec.read(r);
      for (const f of tagged) o[f.name] = f.codec.dflt();
      for (const f of absent) o[f.name] = f.codec.dflt();
      if (flexible) readTaggedFields(r, o, byTag);
      return o;
    },
    dflt,
    isDefault(v) {
      if (v === undefined) return true;
      if (typeof v !== 'object' || v === null) return false;
      for (const f of all) if (!f.codec.isDefault((v as Struct)[f.name])) return false;
      return true;
    },
    minBytes,
  };
}

function readTaggedFields(r: ByteReader, o: Struct, byTag: ReadonlyMap<number, FieldPlan>): void {
  const count = r.readUVarint();
  // Each tagged field takes at least two bytes (tag, size).
  if (count * 2 > r.remaining) r.fail(`${count} tagged fields cannot fit in ${r.remaining} bytes`);
  for (let i = 0; i < count; i++) {
    const tag = r.readUVarint();
    const size = r.readUVarint();
    if (size > r.remaining) r.fail(`tagged field ${tag} of ${size} bytes overruns the frame`, { tag, size });
    const f = byTag.get(tag);
    if (f === undefined) {
      r.skip(size);
      continue;
    }
    const end = r.end;
    const stop = r.pos + size;
    r.end = stop;
    try {
      o[f.name] = f.codec.read(r);
      if (r.pos !== stop) r.fail(`tagged field ${f.name} has ${stop - r.pos} unread bytes`, { tag });
    } finally {
      r.end = end;
    }
  }
}

// ---- Fields ----------------------------------------------------------------------------

const FIXED = new Set(['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'varint', 'varlong', 'uvarint', 'float64', 'bool', 'uuid']);

/**
 * The codec for one field at `version` (-1 when the field is absent from the version: only
 * its default is used then).
 */
function fieldCodec(f: FieldSpec, version: number, messageFlexible: boolean, where: string): Codec {
  const flexible = f.flexibleVersions === undefined ? messageFlexible : inVersions(f.flexibleVersions, version);
  const nullable = version >= 0 && inVersions(f.nullableVersions, version);
  // A default of null holds for a field that is nullable in some version, even in the
  // versions where it is absent (ProduceRequest.TransactionalId before v3).
  const dfltNullable = f.nullableVersions !== undefined && f.nullableVersions !== 'none';
  const isArray = f.type.startsWith('[]');
  const base = isArray ? f.type.slice(2) : f.type;
  let elem: Codec;
  if (f.fields !== undefined) elem = structCodec(f.fields, version, messageFlexible, where);
  else if (FIXED.has(base)) elem = fixedCodec(base as PrimitiveType, isArray ? undefined : f.default);
  else if (base === 'string') elem = stringCodec(flexible, isArray ? false : nullable, !isArray && dfltNullable, isArray ? undefined : f.default);
  else if (base === 'bytes' || base === 'records') elem = bytesCodec(flexible, isArray ? false : nullable, !isArray && dfltNullable, base === 'records');
  else throw new TributaryError('INVALID_ARGUMENT', `unknown type ${f.type} for ${where}`);
  if (isArray) return arrayCodec(elem, flexible, nullable, f.default === null);
  if (f.fields !== undefined && f.nullableVersions !== undefined) {
    throw new TributaryError('INVALID_ARGUMENT', `nullable struct ${where} is not supported`);
  }
  return elem;
}

// ---- Messages --------------------------------------------------------------------------

const plans = new WeakMap<MessageSpec, Map<number, Codec>>();

/**
 * The compiled codec of `spec` at `version`, cached. Throws UNSUPPORTED_VERSION when the
 * table does not define the version.
 */
export function messageCodec(spec: MessageSpec, version: number): Codec {
  let byVersion = plans.get(spec);
  if (byVersion === undefined) plans.set(spec, (byVersion = new Map()));
  let c = byVersion.get(version);
  if (c === undefined) {
    const valid = parseVersions(spec.validVersions);
    if (!Number.isInteger(version) || version < valid.lo || version > valid.hi) {
      throw new TributaryError('UNSUPPORTED_VERSION', `${spec.name} has no version ${version} (valid: ${spec.validVersions})`, { message: spec.name, version });
    }
    c = structCodec(spec.fields, version, inVersions(spec.flexibleVersions, version), spec.name);
    byVersion.set(version, c);
  }
  return c;
}

/** Encodes `body` as `spec` at `version` (no frame). */
export function encodeMessage(spec: MessageSpec, version: number, body: Struct): Buffer {
  const c = messageCodec(spec, version);
  const buf = Buffer.allocUnsafe(c.size(body));
  const end = c.write(buf, 0, body);
  if (end !== buf.length) throw new TributaryError('INVALID_ARGUMENT', `${spec.name} v${version}: wrote ${end} of ${buf.length} bytes`);
  return buf;
}

/** Decodes `buf[pos, end)` as `spec` at `version`; every byte must be consumed. */
export function decodeMessage(spec: MessageSpec, version: number, buf: Buffer, pos = 0, end = buf.length): Struct {
  const r = new ByteReader(buf, pos, end, DECODE_ERROR);
  const body = messageCodec(spec, version).read(r) as Struct;
  r.expectEnd(`${spec.name} v${version}`);
  return body;
}

/** A reader over `buf[pos, end)` that fails with MALFORMED_FRAME. */
export function frameReader(buf: Buffer, pos = 0, end = buf.length): ByteReader {
  return new ByteReader(buf, pos, end, DECODE_ERROR);
}
