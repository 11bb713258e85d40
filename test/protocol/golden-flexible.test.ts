/**
 * Hand-built golden bytes for flexible versions, which kafkajs 2.2.4 does not implement.
 * Each frame is spelled out field by field from Kafka's JSON schemas with the tiny writers
 * below (independent of src/protocol), then compared with our encoder byte for byte and
 * decoded back. The rules exercised:
 *  - request header v2: int16 key, int16 version, int32 correlation id, clientId as a
 *    NON-compact nullable string (int16 length), then an empty tagged-field section (0x00);
 *  - response header v1: int32 correlation id + tagged fields; ApiVersions uses v0 always;
 *  - compact string/bytes/array: uvarint (length + 1), 0 = null;
 *  - each struct ends with its tagged fields: uvarint count, (uvarint tag, uvarint size, value)*.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/index.js';

const i8 = (v: number): number[] => [v & 0xff];
const i16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const i32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const i64 = (v: number): number[] => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(v)); return [...b]; };
const uvar = (v: number): number[] => { const out: number[] = []; while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; } out.push(v); return out; };
const str = (s: string | null): number[] => (s === null ? i16(-1) : [...i16(Buffer.byteLength(s)), ...Buffer.from(s)]);
const cstr = (s: string | null): number[] => (s === null ? [0] : [...uvar(Buffer.byteLength(s) + 1), ...Buffer.from(s)]);
const cbytes = (b: Buffer | null): number[] => (b === null ? [0] : [...uvar(b.length + 1), ...b]);
const carr = (items: number[][]): number[] => [...uvar(items.length + 1), ...items.flat()];
const NO_TAGS = [0];
const frame = (...parts: number[][]): string => { const body = parts.flat(); return Buffer.from([...i32(body.length), ...body]).toString('hex'); };
const reqHeaderV2 = (key: number, version: number, corr: number, clientId: string | null): number[] => [...i16(key), ...i16(version), ...i32(corr), ...str(clientId), ...NO_TAGS];

describe('flexible versions: hand-built golden bytes', () => {
  it('ApiVersions v3 request (header v2) and response (header v0, tagged fields)', () => {
    const req = { clientSoftwareName: 'tributary', clientSoftwareVersion: '0.1.0' };
    const golden = frame(reqHeaderV2(18, 3, 7, 'cli'), cstr('tributary'), cstr('0.1.0'), NO_TAGS);
    expect(encodeRequest(ApiKey.ApiVersions, 3, 7, 'cli', req).toString('hex')).toBe(golden);
    expect(decodeRequest(Buffer.from(golden, 'hex').subarray(4)).body).toEqual(req);

    // Response header v0 (no tagged fields) even though the body is flexible; the non-default
    // tagged field finalizedFeaturesEpoch (tag 1) is written, the default ones are not.
    const res = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 9 }], throttleTimeMs: 0, finalizedFeaturesEpoch: 5 };
    const goldenRes = frame(i32(7), i16(0), carr([[...i16(0), ...i16(3), ...i16(9), ...NO_TAGS]]), i32(0), [1], uvar(1), uvar(8), i64(5));
    expect(encodeResponse(ApiKey.ApiVersions, 3, 7, res).toString('hex')).toBe(goldenRes);
    const d = decodeResponse(ApiKey.ApiVersions, 3, Buffer.from(goldenRes, 'hex').subarray(4));
    expect(d.correlationId).toBe(7);
    expect(d.body).toMatchObject({ ...res, supportedFeatures: [], finalizedFeatures: [], zkMigrationReady: false });
  });

  it('Metadata v12 request: nullable compact array, nullable compact name, uuid', () => {
    const body = { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'orders' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true };
    const golden = frame(reqHeaderV2(3, 12, 1, null), carr([[...new Array<number>(16).fill(0), ...cstr('orders'), ...NO_TAGS]]), i8(0), i8(1), NO_TAGS);
    expect(encodeRequest(ApiKey.Metadata, 12, 1, null, body).toString('hex')).toBe(golden);
    expect(decodeRequest(Buffer.from(golden, 'hex').subarray(4)).body).toMatchObject(body);
    const all = frame(reqHeaderV2(3, 12, 1, null), [0], i8(1), i8(0), NO_TAGS);
    expect(encodeRequest(ApiKey.Metadata, 12, 1, null, { topics: null }).toString('hex')).toBe(all);
  });

  it('Produce v9 request: compact nullable records, compact nullable transactional id', () => {
    const batch = Buffer.from('000000000000000000000031', 'hex'); // opaque to protocol/
    const body = { transactionalId: null, acks: -1, timeoutMs: 1500, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }, { index: 1, records: null }] }] };
    const golden = frame(reqHeaderV2(0, 9, 42, 'p'), cstr(null), i16(-1), i32(1500),
      carr([[...cstr('t'), ...carr([[...i32(0), ...cbytes(batch), ...NO_TAGS], [...i32(1), ...cbytes(null), ...NO_TAGS]]), ...NO_TAGS]]), NO_TAGS);
    expect(encodeRequest(ApiKey.Produce, 9, 42, 'p', body).toString('hex')).toBe(golden);
    expect(decodeRequest(Buffer.from(golden, 'hex').subarray(4)).body).toEqual(body);
  });

  it('Fetch v12 request with the tagged clusterId, and response with tagged currentLeader', () => {
    const body = { clusterId: 'c', replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1000, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 10, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 100 }] }],
      forgottenTopicsData: [], rackId: '' };
    const golden = frame(reqHeaderV2(1, 12, 3, 'c1'), i32(-1), i32(500), i32(1), i32(1000), i8(1), i32(0), i32(-1),
      carr([[...cstr('t'), ...carr([[...i32(0), ...i32(-1), ...i64(10), ...i32(-1), ...i64(-1), ...i32(100), ...NO_TAGS]]), ...NO_TAGS]]),
      carr([]), cstr(''), [1], uvar(0), uvar(2), cstr('c'));
    expect(encodeRequest(ApiKey.Fetch, 12, 3, 'c1', body).toString('hex')).toBe(golden);
    expect(decodeRequest(Buffer.from(golden, 'hex').subarray(4)).body).toMatchObject(body);

    const records = Buffer.from('abcd', 'hex');
    const res = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 11, lastStableOffset: 11, logStartOffset: 0,
      currentLeader: { leaderId: 1, leaderEpoch: 0 }, abortedTransactions: null, preferredReadReplica: -1, records }] }] };
    const goldenRes = frame(i32(3), NO_TAGS /* response header v1 */, i32(0), i16(0), i32(0),
      carr([[...cstr('t'), ...carr([[...i32(0), ...i16(0), ...i64(11), ...i64(11), ...i64(0), 0, ...i32(-1), ...cbytes(records), 1, ...uvar(1), ...uvar(9), ...i32(1), ...i32(0), ...NO_TAGS]]), ...NO_TAGS]]), NO_TAGS);
    expect(encodeResponse(ApiKey.Fetch, 12, 3, res).toString('hex')).toBe(goldenRes);
    expect(decodeResponse(ApiKey.Fetch, 12, Buffer.from(goldenRes, 'hex').subarray(4)).body).toMatchObject(res);
  });

  it('Fetch v13 request names topics by id', () => {
    const id = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    const body = { maxWaitMs: 0, minBytes: 0, topics: [{ topicId: id.toString('base64url'), partitions: [] }] };
    const golden = frame(reqHeaderV2(1, 13, 0, ''), i32(-1), i32(0), i32(0), i32(0x7fffffff), i8(0), i32(0), i32(-1),
      carr([[...id, ...carr([]), ...NO_TAGS]]), carr([]), cstr(''), NO_TAGS);
    expect(encodeRequest(ApiKey.Fetch, 13, 0, '', body).toString('hex')).toBe(golden);
  });

  it('JoinGroup v6, Heartbeat v4, OffsetCommit v8, CreateTopics v5 response with a tagged field', () => {
    const meta = Buffer.from([0, 1, 2]);
    expect(encodeRequest(ApiKey.JoinGroup, 6, 1, 'x', { groupId: 'g', sessionTimeoutMs: 10, rebalanceTimeoutMs: 20, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: meta }] }).toString('hex'))
      .toBe(frame(reqHeaderV2(11, 6, 1, 'x'), cstr('g'), i32(10), i32(20), cstr(''), cstr(null), cstr('consumer'), carr([[...cstr('range'), ...cbytes(meta), ...NO_TAGS]]), NO_TAGS));
    expect(encodeRequest(ApiKey.Heartbeat, 4, 2, 'x', { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: 'i' }).toString('hex'))
      .toBe(frame(reqHeaderV2(12, 4, 2, 'x'), cstr('g'), i32(1), cstr('m'), cstr('i'), NO_TAGS));
    expect(encodeRequest(ApiKey.OffsetCommit, 8, 3, 'x', { groupId: 'g', generationIdOrMemberEpoch: 1, memberId: 'm', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }] }).toString('hex'))
      .toBe(frame(reqHeaderV2(8, 8, 3, 'x'), cstr('g'), i32(1), cstr('m'), cstr(null), carr([[...cstr('t'), ...carr([[...i32(0), ...i64(5), ...i32(-1), ...cstr(null), ...NO_TAGS]]), ...NO_TAGS]]), NO_TAGS));
    const res = { throttleTimeMs: 0, topics: [{ name: 't', errorCode: 0, errorMessage: null, topicConfigErrorCode: 40, numPartitions: 1, replicationFactor: 1, configs: null }] };
    const golden = frame(i32(4), NO_TAGS, i32(0), carr([[...cstr('t'), ...i16(0), ...cstr(null), ...i32(1), ...i16(1), 0, 1, ...uvar(0), ...uvar(2), ...i16(40)]]), NO_TAGS);
    expect(encodeResponse(ApiKey.CreateTopics, 5, 4, res).toString('hex')).toBe(golden);
    expect(decodeResponse(ApiKey.CreateTopics, 5, Buffer.from(golden, 'hex').subarray(4)).body).toEqual({ ...res, topics: [{ ...res.topics[0], topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }] });
  });

  it('skips unknown tagged fields on decode', () => {
    // Heartbeat v4 with an unknown tag 7 (3 bytes) in the request body's tagged fields.
    const golden = frame(reqHeaderV2(12, 4, 2, 'x'), cstr('g'), i32(1), cstr('m'), cstr(null), [1], uvar(7), uvar(3), [9, 9, 9]);
    expect(decodeRequest(Buffer.from(golden, 'hex').subarray(4)).body).toEqual({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
  });
});
