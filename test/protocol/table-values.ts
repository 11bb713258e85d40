/**
 * Test helpers that read the schema tables independently of the codec: fast-check
 * arbitraries for a message at a version, and the body the decoder must return for a given
 * input (absent fields replaced by their defaults, worked out here from the table rules).
 */
import fc from 'fast-check';
import { ZERO_UUID } from '../../src/protocol/codec.js';
import type { FieldSpec, MessageSpec } from '../../src/protocol/schema.js';
import { inVersions } from '../../src/protocol/schema.js';

type Obj = Record<string, unknown>;

const INT: Record<string, [number, number]> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x8000_0000, 0x7fff_ffff],
  uint32: [0, 0xffff_ffff],
  varint: [-0x8000_0000, 0x7fff_ffff],
  uvarint: [0, 0xffff_ffff],
};

function prim(type: string): fc.Arbitrary<unknown> {
  const r = INT[type];
  if (r) return fc.integer({ min: r[0], max: r[1] });
  switch (type) {
    case 'int64':
    case 'varlong':
      return fc.oneof(fc.constantFrom(-1, 0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER), fc.maxSafeInteger());
    case 'float64':
      return fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    case 'string':
      return fc.string({ maxLength: 12, unit: 'grapheme' });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
    default:
      throw new Error(`no arbitrary for ${type}`);
  }
}

function fieldArb(f: FieldSpec, version: number): fc.Arbitrary<unknown> {
  const nullable = inVersions(f.nullableVersions, version);
  const isArray = f.type.startsWith('[]');
  const base = isArray ? f.type.slice(2) : f.type;
  const elem = f.fields ? structArb(f.fields, version) : prim(base);
  const one = isArray ? fc.array(elem, { maxLength: 3 }) : elem;
  return nullable ? fc.option(one, { nil: null, freq: 4 }) : one;
}

/** Values for the fields present at `version` (absent fields are left out). */
export function structArb(fields: readonly FieldSpec[], version: number): fc.Arbitrary<Obj> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) if (inVersions(f.versions, version)) rec[f.name] = fieldArb(f, version);
  return fc.record(rec);
}

export function messageArb(spec: MessageSpec, version: number): fc.Arbitrary<Obj> {
  return structArb(spec.fields, version);
}

/** The default of a field, by Kafka's rules (explicit default, else 0 / '' / false / [] / empty / null for records). */
export function fieldDefault(f: FieldSpec): unknown {
  const nullableSomewhere = f.nullableVersions !== undefined && f.nullableVersions !== 'none';
  if (f.type.startsWith('[]')) return f.default === null ? null : [];
  if (f.fields) return defaults(f.fields);
  if (f.default !== undefined) return f.default === null && !nullableSomewhere ? '' : f.default;
  switch (f.type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return nullableSomewhere ? null : Buffer.alloc(0);
    default:
      return 0;
  }
}

function defaults(fields: readonly FieldSpec[]): Obj {
  const o: Obj = {};
  for (const f of fields) o[f.name] = fieldDefault(f);
  return o;
}

/** What decoding `input` (valid at `version`) must give: every field, defaults where absent. */
export function expectedStruct(fields: readonly FieldSpec[], version: number, input: Obj): Obj {
  const o: Obj = {};
  for (const f of fields) {
    if (!inVersions(f.versions, version) || input[f.name] === undefined) {
      o[f.name] = fieldDefault(f);
      continue;
    }
    const v = input[f.name];
    if (f.fields && v !== null) {
      o[f.name] = Array.isArray(v) ? v.map((e: Obj) => expectedStruct(f.fields!, version, e)) : expectedStruct(f.fields, version, v as Obj);
    } else o[f.name] = v;
  }
  return o;
}

/** Every version number in a message's validVersions. */
export function versionsOf(spec: MessageSpec): number[] {
  const m = /^(\d+)-(\d+)$/.exec(spec.validVersions);
  if (!m) throw new Error(`unexpected validVersions ${spec.validVersions}`);
  const out: number[] = [];
  for (let v = Number(m[1]); v <= Number(m[2]); v++) out.push(v);
  return out;
}
