/**
 * The shape of a protocol message table, mirroring Kafka's message JSON schemas
 * (clients/src/main/resources/common/message/*.json).
 *
 * Each API has one request table and one response table. A field lists the versions it is
 * present in; nested structs (and arrays of structs) carry their own `fields`, whose version
 * ranges are in terms of the *message* version, as in Kafka. Field names are the camelCase of
 * Kafka's PascalCase names, and are the property names of decoded bodies.
 *
 * Differences from the JSON files, all mechanical:
 *  - defaults are JavaScript values (`-1`, `null`, `true`), not strings;
 *  - common structs are inlined (or shared as constants) instead of named in `commonStructs`;
 *  - `about`, `entityType`, `mapKey`, `ignorable` are omitted (documentation / Java-only).
 */
import { TributaryError } from '../errors.js';

/** A version range as Kafka writes it: `'3+'`, `'0-7'`, `'5'`, or `'none'`. */
export type Versions = `${number}+` | `${number}-${number}` | `${number}` | 'none';

/** Types whose values are encoded without a length: fixed or varint. */
export type FixedType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'uint32' | 'varint' | 'varlong' | 'uvarint' | 'float64' | 'bool' | 'uuid';
/** Types with a length prefix (int16/int32 before flexible versions, uvarint+1 after). */
export type LengthType = 'string' | 'bytes' | 'records';
export type PrimitiveType = FixedType | LengthType;

/** A field's default: a primitive value, `null` (for nullable fields), or omitted. */
export type DefaultValue = number | string | boolean | null;

export interface FieldSpec {
  readonly name: string;
  /** A primitive, `[]primitive`, a struct name (with `fields`), or `[]StructName` (with `fields`). */
  readonly type: string;
  readonly versions: Versions;
  readonly nullableVersions?: Versions;
  /** Versions in which the field is sent in the tagged-field section (requires `tag`). */
  readonly taggedVersions?: Versions;
  readonly tag?: number;
  readonly default?: DefaultValue;
  /** Overrides the message's flexible versions for this field (RequestHeader.ClientId: 'none'). */
  readonly flexibleVersions?: Versions;
  readonly fields?: readonly FieldSpec[];
}

export interface MessageSpec {
  readonly name: string;
  readonly apiKey: number;
  readonly type: 'request' | 'response' | 'header';
  readonly validVersions: Versions;
  readonly flexibleVersions: Versions;
  readonly fields: readonly FieldSpec[];
}

/** One API: its key and its two tables. */
export interface ApiSpec {
  readonly apiKey: number;
  readonly name: string;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

/** A parsed version range: [lo, hi] inclusive; `lo > hi` is the empty range ('none'). */
export interface VersionRange {
  readonly lo: number;
  readonly hi: number;
}

const NONE: VersionRange = { lo: 1, hi: 0 };
const INT16_MAX = 0x7fff;

export function parseVersions(v: Versions): VersionRange {
  if (v === 'none') return NONE;
  let m = /^(\d+)\+$/.exec(v);
  if (m) return { lo: Number(m[1]), hi: INT16_MAX };
  m = /^(\d+)-(\d+)$/.exec(v);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(v);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new TributaryError('INVALID_ARGUMENT', `bad version range '${v}'`, { versions: v });
}

export function inVersions(v: Versions | undefined, version: number): boolean {
  if (v === undefined) return false;
  const r = parseVersions(v);
  return version >= r.lo && version <= r.hi;
}
