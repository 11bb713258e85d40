/**
 * TypeScript types of message bodies, derived from the schema tables at compile time, so a
 * table is the only place a field is declared.
 *
 * `Decoded<Fields>` is what the decoder returns: every field of the table (absent ones hold
 * their default), `| null` where some version makes the field nullable. `Input<Fields>` is
 * what the encoder accepts: every field optional (omitted = default), bytes as Uint8Array.
 */
import type { RecordChunks } from './codec.js';
import type { FieldSpec } from './schema.js';

type NumberType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'uint32' | 'varint' | 'varlong' | 'uvarint' | 'float64';

/** `records` to encode may also be RecordChunks (batches passed by reference, see codec.ts). */
type RecordsValue<B> = B extends Buffer ? B : B | RecordChunks;

type Prim<T, B> = T extends NumberType
  ? number
  : T extends 'bool'
    ? boolean
    : T extends 'uuid' | 'string'
      ? string
      : T extends 'bytes'
        ? B
        : T extends 'records'
          ? RecordsValue<B>
          : unknown;

type NullIf<F> = F extends { nullableVersions: string } ? null : never;

type Value<F, B, Wrap extends 'decoded' | 'input'> = F extends { type: `[]${string}`; fields: infer S extends readonly FieldSpec[] }
  ? Struct<S, B, Wrap>[] | NullIf<F>
  : F extends { type: `[]${infer E}` }
    ? Prim<E, B>[] | NullIf<F>
    : F extends { fields: infer S extends readonly FieldSpec[] }
      ? Struct<S, B, Wrap>
      : F extends { type: infer T }
        ? Prim<T, B> | NullIf<F>
        : never;

type Struct<S extends readonly FieldSpec[], B, Wrap extends 'decoded' | 'input'> = Wrap extends 'decoded'
  ? { [F in S[number] as F['name']]: Value<F, B, Wrap> }
  : { [F in S[number] as F['name']]?: Value<F, B, Wrap> };

/** A decoded body of a table with these fields. */
export type Decoded<S extends readonly FieldSpec[]> = Struct<S, Buffer, 'decoded'>;
/** An encodable body of a table with these fields. */
export type Input<S extends readonly FieldSpec[]> = Struct<S, Uint8Array, 'input'>;
