/**
 * Round trips for every API, request and response, at every version its table defines:
 * fast-check values encode, decode to the same values (absent fields at their defaults), and
 * the decoder consumes every byte (decodeMessage throws on trailing bytes). Plus the table
 * invariants the codec relies on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { decodeMessage, encodeMessage, messageCodec } from '../../src/protocol/codec.js';
import { RequestHeader, ResponseHeader } from '../../src/protocol/header.js';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import type { FieldSpec, MessageSpec } from '../../src/protocol/schema.js';
import { inVersions, parseVersions } from '../../src/protocol/schema.js';
import { expectedStruct, messageArb, versionsOf } from './table-values.js';

const messages: MessageSpec[] = [RequestHeader, ResponseHeader, ...Object.values(API_SPECS).flatMap((a) => [a.request, a.response])];

describe('schema tables', () => {
  for (const spec of messages) {
    it(`${spec.name}: fields are well formed`, () => {
      const valid = parseVersions(spec.validVersions);
      const check = (fields: readonly FieldSpec[], where: string): void => {
        const names = new Set<string>();
        const tags = new Map<number, string>();
        for (const f of fields) {
          expect(f.name, where).toMatch(/^[a-z][A-Za-z0-9]*$/);
          expect(names.has(f.name), `${where}.${f.name} duplicated`).toBe(false);
          names.add(f.name);
          if (f.taggedVersions !== undefined) {
            expect(f.tag, `${where}.${f.name} has a tag`).toBeTypeOf('number');
            // A tag is unique among the fields tagged in overlapping versions.
            const tv = parseVersions(f.taggedVersions);
            for (let v = tv.lo; v <= Math.min(tv.hi, valid.hi); v++) {
              expect(inVersions(spec.flexibleVersions, v), `${where}.${f.name} tagged in flexible versions only`).toBe(true);
            }
            const key = f.tag!;
            expect(tags.has(key), `${where}: tag ${key} used twice`).toBe(false);
            tags.set(key, f.name);
          }
          const array = f.type.startsWith('[]');
          if (f.fields) expect(/^(\[\])?[A-Z]/.test(f.type), `${where}.${f.name} struct type`).toBe(true);
          else expect(/^(\[\])?(int8|int16|int32|int64|uint16|uint32|varint|varlong|uvarint|float64|bool|uuid|string|bytes|records)$/.test(f.type), `${where}.${f.name}: ${f.type}`).toBe(true);
          if (f.nullableVersions !== undefined && !array) expect(['string', 'bytes', 'records']).toContain(f.type);
          if (f.fields) check(f.fields, `${where}.${f.name}`);
        }
      };
      check(spec.fields, spec.name);
      for (const v of versionsOf(spec)) expect(() => messageCodec(spec, v)).not.toThrow();
      expect(() => messageCodec(spec, valid.hi + 1)).toThrow(/no version/);
      expect(() => messageCodec(spec, -1)).toThrow(/no version/);
    });
  }
});

describe('round trip: encode -> decode gives the same body and uses every byte', () => {
  for (const spec of messages) {
    it(`${spec.name} v${spec.validVersions}`, () => {
      for (const v of versionsOf(spec)) {
        fc.assert(
          fc.property(messageArb(spec, v), (body) => {
            const bytes = encodeMessage(spec, v, body);
            const decoded = decodeMessage(spec, v, bytes);
            expect(decoded).toEqual(expectedStruct(spec.fields, v, body));
            // Re-encoding the decoded body gives the same bytes.
            expect(encodeMessage(spec, v, decoded).equals(bytes)).toBe(true);
            // One byte short is a typed error, never a RangeError.
            if (bytes.length > 0) {
              try {
                decodeMessage(spec, v, bytes.subarray(0, bytes.length - 1));
              } catch (err) {
                expect(isTributaryError(err)).toBe(true);
              }
            }
          }),
          { numRuns: 40 },
        );
      }
    });
  }
});

describe('encoder input checks', () => {
  it('rejects values that do not fit their type with INVALID_ARGUMENT', () => {
    const spec = API_SPECS.Heartbeat.request;
    expect(() => encodeMessage(spec, 0, { groupId: 'g', generationId: 2 ** 31, memberId: 'm' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeMessage(spec, 0, { groupId: null, generationId: 1, memberId: 'm' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeMessage(API_SPECS.Produce.response, 3, { responses: [{ name: 't', partitionResponses: [{ baseOffset: 2 ** 60 }] }] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeMessage(API_SPECS.Metadata.request, 10, { topics: [{ topicId: 'nope', name: 'x' }] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('fills omitted fields with their defaults', () => {
    const spec = API_SPECS.Fetch.request;
    const body = decodeMessage(spec, 11, encodeMessage(spec, 11, { maxWaitMs: 100, minBytes: 1, topics: [] }));
    expect(body).toMatchObject({ replicaId: -1, maxBytes: 0x7fffffff, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [] });
  });
});
