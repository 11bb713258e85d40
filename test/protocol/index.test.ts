/** The public API: headers, version checks, unsupported requests, correlation ids, error table. */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, TributaryError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import type { RequestBody } from '../../src/protocol/index.js';
import {
  API_SPECS, ApiKey, KAFKA_ERRORS, KafkaErrorCode, SUPPORTED_APIS, apiVersionsResponseKeys, decodeRequest, decodeResponse, decodeResponseOf, encodeRequest,
  encodeResponse, kafkaErrorByCode, kafkaErrorCode, peekRequestHeader, requestHeaderVersion, responseCorrelationId, responseHeaderVersion,
} from '../../src/protocol/index.js';
import { parseVersions } from '../../src/protocol/schema.js';

describe('header versions', () => {
  it('flexible request versions use header v2, others v1; ApiVersions responses always v0', () => {
    expect(requestHeaderVersion(API_SPECS.Produce.request, 8)).toBe(1);
    expect(requestHeaderVersion(API_SPECS.Produce.request, 9)).toBe(2);
    expect(responseHeaderVersion(API_SPECS.Produce.response, 9)).toBe(1);
    expect(responseHeaderVersion(API_SPECS.Fetch.response, 11)).toBe(0);
    expect(requestHeaderVersion(API_SPECS.ApiVersions.request, 3)).toBe(2);
    expect(responseHeaderVersion(API_SPECS.ApiVersions.response, 3)).toBe(0);
  });
});

describe('decodeRequest', () => {
  it('narrows the body by apiName', () => {
    const frame = encodeRequest(ApiKey.Heartbeat, 4, 9, 'c', { groupId: 'g', generationId: 1, memberId: 'm' }).subarray(4);
    const req = decodeRequest(frame);
    if (req.apiName !== 'Heartbeat') throw new Error('wrong api');
    const body: RequestBody<'Heartbeat'> = req.body;
    expect(body.groupInstanceId).toBeNull();
    // The body type comes from the table: known fields are typed, unknown ones do not compile.
    const gen: number = body.generationId;
    expect(gen).toBe(1);
    // @ts-expect-error a field the Heartbeat table does not have
    expect(body.noSuchField).toBeUndefined();
    expect(req.header).toEqual({ requestApiKey: 12, requestApiVersion: 4, correlationId: 9, clientId: 'c' });
  });

  it('reports unknown keys and unsupported versions as UNSUPPORTED_VERSION with what is needed to answer', () => {
    // ApiVersions v9 from a future client (KIP-511): header v2 we cannot know, but key, version,
    // correlation id are enough to answer with an ApiVersions v0 response.
    const frame = Buffer.from([0, 18, 0, 9, 0, 0, 0, 77, 0, 3, 0x61, 0x62, 0x63, 0]);
    try {
      decodeRequest(frame);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TributaryError);
      expect((err as TributaryError).code).toBe('UNSUPPORTED_VERSION');
      expect((err as TributaryError).context).toMatchObject({ apiKey: 18, apiVersion: 9, correlationId: 77, clientId: 'abc', knownApi: true });
    }
    expect(() => decodeRequest(Buffer.from([0x7f, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION', context: expect.objectContaining({ knownApi: false }) }));
    // Produce v2 is in the tables but not advertised.
    const v2 = encodeRequest(ApiKey.Produce, 2, 1, null, { acks: 1, timeoutMs: 1, topicData: [] }).subarray(4);
    expect(() => decodeRequest(v2)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    expect(decodeRequest(v2, { versions: 'schema' }).apiName).toBe('Produce');
    expect(peekRequestHeader(frame)).toEqual({ requestApiKey: 18, requestApiVersion: 9, correlationId: 77 });
    expect(() => decodeRequest(Buffer.alloc(3))).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME' }));
  });

  it('ignores and counts bytes after the body, as Kafka does; rejects them when asked', () => {
    const frame = encodeRequest(ApiKey.Heartbeat, 0, 1, null, { groupId: 'g', generationId: 1, memberId: 'm' }).subarray(4);
    expect(decodeRequest(frame).trailingBytes).toBe(0);
    const padded = Buffer.concat([frame, Buffer.from([0, 1, 2])]);
    const req = decodeRequest(padded);
    expect(req.trailingBytes).toBe(3);
    expect(req.body).toEqual(decodeRequest(frame).body);
    expect(() => decodeRequest(padded, { trailingBytes: 'reject' })).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME', context: expect.objectContaining({ trailing: 3 }) }));
    // Trailing bytes never excuse a body that is itself short: every truncation still fails.
    for (let n = 8; n < frame.length; n++) expect(() => decodeRequest(frame.subarray(0, n)), `truncated at ${n}`).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME' }));
  });
});

describe('responses', () => {
  it('the ApiVersions answer is generated from api-keys.ts and round-trips', () => {
    const frame = encodeResponse(ApiKey.ApiVersions, 3, 5, { errorCode: 0, apiKeys: apiVersionsResponseKeys(), throttleTimeMs: 0 });
    expect(responseCorrelationId(frame.subarray(4))).toBe(5);
    const { body } = decodeResponseOf('ApiVersions', 3, frame.subarray(4));
    expect(body.apiKeys).toEqual(SUPPORTED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })));
    // KIP-511: an unsupported ApiVersions version is answered in v0.
    const v0 = encodeResponse(ApiKey.ApiVersions, 0, 6, { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, apiKeys: apiVersionsResponseKeys() });
    expect(decodeResponse(ApiKey.ApiVersions, 0, v0.subarray(4)).body.errorCode).toBe(35);
  });
});

describe('api-keys.ts', () => {
  it('every supported range lies within the schema tables, keys match', () => {
    for (const a of SUPPORTED_APIS) {
      const spec = API_SPECS[a.name];
      expect(spec.apiKey).toBe(a.apiKey);
      const valid = parseVersions(spec.request.validVersions);
      expect(a.minVersion).toBeGreaterThanOrEqual(valid.lo);
      expect(a.maxVersion).toBeLessThanOrEqual(valid.hi);
      expect(spec.response.validVersions).toBe(spec.request.validVersions);
    }
    expect(new Set(SUPPORTED_APIS.map((a) => a.name)).size).toBe(Object.keys(API_SPECS).length);
  });
});

describe('error-codes.ts', () => {
  it('has Kafka codes -1..128, unique, with known values', () => {
    const codes = KAFKA_ERRORS.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (let c = -1; c <= 128; c++) expect(kafkaErrorByCode(c), `code ${c}`).toBeDefined();
    expect(kafkaErrorByCode(6)).toEqual({ code: 6, name: 'NOT_LEADER_OR_FOLLOWER', retriable: true });
    expect(kafkaErrorByCode(36)).toEqual({ code: 36, name: 'TOPIC_ALREADY_EXISTS', retriable: false });
    expect(KafkaErrorCode.UNKNOWN_MEMBER_ID).toBe(25);
    expect(KafkaErrorCode.REBALANCE_IN_PROGRESS).toBe(27);
  });

  it('maps every TributaryError code to a Kafka error', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const n = kafkaErrorCode(code);
      expect(n, code).toBeGreaterThan(0);
      expect(kafkaErrorByCode(n)!.name).toBe(ERROR_CODES[code]);
      expect(kafkaErrorCode(new TributaryError(code, 'x'))).toBe(n);
    }
    expect(kafkaErrorCode(new RangeError('x'))).toBe(-1);
    expect(kafkaErrorCode('OFFSET_OUT_OF_RANGE')).toBe(1);
  });
});
