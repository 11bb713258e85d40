/**
 * Golden bytes from an independent implementation: kafkajs 2.2.4's request encoders (the
 * bytes a real kafkajs client puts on the wire) must equal our encoding of the same request,
 * frame for frame (size prefix, header v1, body), for every version kafkajs implements; our
 * decoder must read kafkajs's bytes back to the same body. For responses, kafkajs's decoders
 * must read what we encode.
 *
 * kafkajs names arguments its own way, so each case states the same request twice: once as
 * kafkajs arguments, once as a body with Kafka's field names.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ApiKey, decodeRequest, encodeRequest, encodeResponse } from '../../src/protocol/index.js';
import type { ApiName } from '../../src/protocol/index.js';

const require = createRequire(import.meta.url);
type KjsRequest = { apiKey: number; apiVersion: number; encode: () => Promise<unknown> };
const kjsEncodeFrame = require('kafkajs/src/protocol/request.js') as (a: { correlationId: number; clientId: string; request: KjsRequest }) => Promise<{ buffer: Buffer }>;
const kjsRequest = (dir: string, v: number): ((args: unknown) => KjsRequest) => require(`kafkajs/src/protocol/requests/${dir}/v${v}/request.js`);
const kjsResponse = (dir: string, v: number): { decode: (b: Buffer) => Promise<unknown> } => require(`kafkajs/src/protocol/requests/${dir}/v${v}/response.js`);
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number | string): unknown };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (a: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (a: object) => unknown;

const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

interface Case {
  api: ApiName;
  dir: string;
  versions: number[];
  kjs: (v: number) => unknown;
  ours: (v: number) => object;
}

const topicsMd = ['orders', 'päyments'];
const metadataBytes = Buffer.from([0, 1, 0, 0, 0, 1, 0, 1, 116, 0, 0, 0, 0]);

const cases: Case[] = [
  { api: 'ApiVersions', dir: 'apiVersions', versions: range(0, 2), kjs: () => undefined, ours: () => ({}) },
  { api: 'Metadata', dir: 'metadata', versions: range(0, 6), kjs: () => ({ topics: topicsMd, allowAutoTopicCreation: false }), ours: (v) => ({ topics: topicsMd.map((name) => ({ name })), allowAutoTopicCreation: v < 4 ? true : false }) },
  { api: 'Metadata', dir: 'metadata', versions: range(1, 6), kjs: () => ({ topics: [] }) /* kafkajs writes [] as null */, ours: () => ({ topics: null }) },
  {
    api: 'Fetch', dir: 'fetch', versions: range(0, 11),
    kjs: () => ({ replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: 'rack-a',
      topics: [{ topic: 't1', partitions: [{ partition: 0, fetchOffset: '42', maxBytes: 1048576 }, { partition: 3, fetchOffset: '9007199254740991', maxBytes: 1 }] }] }),
    ours: (v) => ({ replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: v >= 3 ? 10485760 : 0x7fffffff, isolationLevel: v >= 4 ? 1 : 0, sessionId: 0, sessionEpoch: -1, rackId: v >= 11 ? 'rack-a' : '',
      topics: [{ topic: 't1', partitions: [{ partition: 0, fetchOffset: 42, partitionMaxBytes: 1048576 }, { partition: 3, fetchOffset: Number.MAX_SAFE_INTEGER, partitionMaxBytes: 1 }] }] }),
  },
  {
    api: 'ListOffsets', dir: 'listOffsets', versions: range(0, 3),
    kjs: () => ({ replicaId: -1, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 1, timestamp: -2 }, { partition: 2, timestamp: '1700000000000' }] }] }),
    ours: (v) => ({ replicaId: -1, isolationLevel: v >= 2 ? 1 : 0, topics: [{ name: 't', partitions: [{ partitionIndex: 1, timestamp: -2, maxNumOffsets: 1 }, { partitionIndex: 2, timestamp: 1700000000000, maxNumOffsets: 1 }] }] }),
  },
  {
    api: 'CreateTopics', dir: 'createTopics', versions: range(0, 3),
    kjs: () => ({ timeout: 3000, validateOnly: true, topics: [{ topic: 'new', numPartitions: 3, replicationFactor: 1, replicaAssignment: [{ partition: 0, replicas: [1] }], configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }),
    ours: (v) => ({ timeoutMs: 3000, validateOnly: v >= 1, topics: [{ name: 'new', numPartitions: 3, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [{ name: 'cleanup.policy', value: 'compact' }] }] }),
  },
  { api: 'DeleteTopics', dir: 'deleteTopics', versions: range(0, 1), kjs: () => ({ topics: ['a', 'b'], timeout: 1000 }), ours: () => ({ topicNames: ['a', 'b'], timeoutMs: 1000 }) },
  {
    api: 'CreatePartitions', dir: 'createPartitions', versions: range(0, 1),
    kjs: () => ({ timeout: 2000, validateOnly: false, topicPartitions: [{ topic: 't', count: 4, assignments: [[1], [1]] }] }),
    ours: () => ({ timeoutMs: 2000, validateOnly: false, topics: [{ name: 't', count: 4, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }] }),
  },
  {
    api: 'DescribeConfigs', dir: 'describeConfigs', versions: range(0, 2),
    kjs: () => ({ includeSynonyms: true, resources: [{ type: 2, name: 't', configNames: ['retention.ms'] }, { type: 4, name: '1', configNames: [] /* written as null */ }] }),
    ours: (v) => ({ includeSynonyms: v >= 1, resources: [{ resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms'] }, { resourceType: 4, resourceName: '1', configurationKeys: null }] }),
  },
  {
    api: 'AlterConfigs', dir: 'alterConfigs', versions: range(0, 1),
    kjs: () => ({ validateOnly: true, resources: [{ type: 2, name: 't', configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'x', value: null }] }] }),
    ours: () => ({ validateOnly: true, resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', value: '1000' }, { name: 'x', value: null }] }] }),
  },
  {
    api: 'DeleteRecords', dir: 'deleteRecords', versions: range(0, 1),
    kjs: () => ({ timeout: 100, topics: [{ topic: 't', partitions: [{ partition: 0, offset: '17' }, { partition: 1, offset: '-1' }] }] }),
    ours: () => ({ timeoutMs: 100, topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 17 }, { partitionIndex: 1, offset: -1 }] }] }),
  },
  { api: 'FindCoordinator', dir: 'findCoordinator', versions: [0], kjs: () => ({ groupId: 'grp' }), ours: () => ({ key: 'grp' }) },
  { api: 'FindCoordinator', dir: 'findCoordinator', versions: range(1, 2), kjs: () => ({ coordinatorKey: 'txn-1', coordinatorType: 1 }), ours: () => ({ key: 'txn-1', keyType: 1 }) },
  {
    api: 'JoinGroup', dir: 'joinGroup', versions: range(0, 5),
    kjs: () => ({ groupId: 'g', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', groupInstanceId: null, protocolType: 'consumer', groupProtocols: [{ name: 'RoundRobinAssigner', metadata: metadataBytes }] }),
    ours: (v) => ({ groupId: 'g', sessionTimeoutMs: 30000, rebalanceTimeoutMs: v >= 1 ? 60000 : -1, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata: metadataBytes }] }),
  },
  {
    api: 'SyncGroup', dir: 'syncGroup', versions: range(0, 3),
    kjs: () => ({ groupId: 'g', generationId: 3, memberId: 'm-1', groupInstanceId: null, groupAssignment: [{ memberId: 'm-1', memberAssignment: metadataBytes }] }),
    ours: () => ({ groupId: 'g', generationId: 3, memberId: 'm-1', groupInstanceId: null, assignments: [{ memberId: 'm-1', assignment: metadataBytes }] }),
  },
  {
    api: 'Heartbeat', dir: 'heartbeat', versions: range(0, 3),
    kjs: () => ({ groupId: 'g', groupGenerationId: 7, memberId: 'm-1', groupInstanceId: null }),
    ours: () => ({ groupId: 'g', generationId: 7, memberId: 'm-1', groupInstanceId: null }),
  },
  { api: 'LeaveGroup', dir: 'leaveGroup', versions: range(0, 2), kjs: () => ({ groupId: 'g', memberId: 'm-1' }), ours: () => ({ groupId: 'g', memberId: 'm-1' }) },
  { api: 'LeaveGroup', dir: 'leaveGroup', versions: [3], kjs: () => ({ groupId: 'g', members: [{ memberId: 'm-1' }, { memberId: 'm-2', groupInstanceId: 'i-2' }] }), ours: () => ({ groupId: 'g', members: [{ memberId: 'm-1', groupInstanceId: null }, { memberId: 'm-2', groupInstanceId: 'i-2' }] }) },
  {
    api: 'OffsetCommit', dir: 'offsetCommit', versions: range(0, 5),
    kjs: () => ({ groupId: 'g', groupGenerationId: 4, memberId: 'm', retentionTime: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset: '100', timestamp: 1700000000000, metadata: null }, { partition: 1, offset: '5', timestamp: 1700000000000, metadata: 'meta' }] }] }),
    ours: (v) => ({ groupId: 'g', generationIdOrMemberEpoch: v >= 1 ? 4 : -1, memberId: v >= 1 ? 'm' : '', retentionTimeMs: -1,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 100, commitTimestamp: v === 1 ? 1700000000000 : -1, committedMetadata: null }, { partitionIndex: 1, committedOffset: 5, commitTimestamp: v === 1 ? 1700000000000 : -1, committedMetadata: 'meta' }] }] }),
  },
  {
    api: 'OffsetFetch', dir: 'offsetFetch', versions: range(1, 4),
    kjs: () => ({ groupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0 }, { partition: 2 }] }] }),
    ours: () => ({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 2] }] }),
  },
  { api: 'ListGroups', dir: 'listGroups', versions: range(0, 2), kjs: () => undefined, ours: () => ({}) },
  { api: 'DescribeGroups', dir: 'describeGroups', versions: range(0, 2), kjs: () => ({ groupIds: ['g1', 'g2'] }), ours: () => ({ groups: ['g1', 'g2'] }) },
  { api: 'DeleteGroups', dir: 'deleteGroups', versions: range(0, 1), kjs: () => ['g1', 'g2'], ours: () => ({ groupsNames: ['g1', 'g2'] }) },
  { api: 'InitProducerId', dir: 'initProducerId', versions: range(0, 1), kjs: () => ({ transactionalId: null, transactionTimeout: 5000 }), ours: () => ({ transactionalId: null, transactionTimeoutMs: 5000 }) },
];

async function kjsFrame(dir: string, v: number, args: unknown, correlationId: number, clientId: string): Promise<Buffer> {
  const request = kjsRequest(dir, v)(args);
  return Buffer.from((await kjsEncodeFrame({ correlationId, clientId, request })).buffer);
}

describe('requests: our bytes equal kafkajs 2.2.4 bytes, and we decode kafkajs bytes', () => {
  for (const c of cases) {
    for (const v of c.versions) {
      it(`${c.api} v${v}`, async () => {
        const golden = await kjsFrame(c.dir, v, c.kjs(v), 0x01020304, 'kafkajs-golden');
        const ours = encodeRequest(ApiKey[c.api], v, 0x01020304, 'kafkajs-golden', c.ours(v));
        expect(ours.toString('hex')).toBe(golden.toString('hex'));
        const req = decodeRequest(golden.subarray(4), { versions: 'schema' });
        expect(req.apiName).toBe(c.api);
        expect(req.header).toEqual({ requestApiKey: ApiKey[c.api], requestApiVersion: v, correlationId: 0x01020304, clientId: 'kafkajs-golden' });
        expect(req.body).toMatchObject(c.ours(v));
      });
    }
  }

  it('Produce v3-v7 with real record batches (records carried as opaque bytes)', async () => {
    const messages = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1700000000000, headers: { h: 'x' } },
      { key: null, value: Buffer.from('second'), timestamp: 1700000000005 },
    ];
    const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: m.timestamp - 1700000000000 }));
    const batch = (await RecordBatch({ records, firstTimestamp: 1700000000000, maxTimestamp: 1700000000005, producerId: Long.fromValue(-1), producerEpoch: 0, firstSequence: 0, transactional: false, lastOffsetDelta: 1 })).buffer;
    for (const v of range(3, 7)) {
      const golden = await kjsFrame('produce', v, { acks: -1, timeout: 30000, transactionalId: null, producerId: Long.fromValue(-1), producerEpoch: 0, compression: 0, topicData: [{ topic: 'events', partitions: [{ partition: 2, firstSequence: 0, messages }] }] }, 9, 'p');
      const body = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'events', partitionData: [{ index: 2, records: batch }] }] };
      expect(encodeRequest(ApiKey.Produce, v, 9, 'p', body).toString('hex'), `v${v}`).toBe(golden.toString('hex'));
      const req = decodeRequest(golden.subarray(4));
      expect(req.body).toEqual(body);
    }
  });
});

describe('responses: kafkajs 2.2.4 decoders read what we encode', () => {
  const body = async (dir: string, v: number, frame: Buffer): Promise<unknown> => kjsResponse(dir, v).decode(frame.subarray(8)); // size + correlation id

  it('ApiVersions v0-2', async () => {
    for (const v of range(0, 2)) {
      const frame = encodeResponse(ApiKey.ApiVersions, v, 1, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 9 }], throttleTimeMs: 0 });
      expect(await body('apiVersions', v, frame)).toMatchObject({ errorCode: 0, apiVersions: [{ apiKey: 0, minVersion: 3, maxVersion: 9 }] });
    }
  });

  it('Metadata v0-6', async () => {
    for (const v of range(0, 6)) {
      const frame = encodeResponse(ApiKey.Metadata, v, 1, {
        brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }], clusterId: 'c1', controllerId: 1,
        topics: [{ errorCode: 0, name: 'orders', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
      });
      const d = (await body('metadata', v, frame)) as { brokers: unknown[]; topicMetadata: { topic: string; partitionMetadata: { leader: number }[] }[] };
      expect(d.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: 'localhost', port: 9092 })]);
      expect(d.topicMetadata[0]).toMatchObject({ topic: 'orders', partitionMetadata: [{ leader: 1 }] });
    }
  });

  it('FindCoordinator v0-2, JoinGroup v0-5, SyncGroup v0-3, Heartbeat v0-3', async () => {
    for (const v of range(0, 2)) {
      const d = await body('findCoordinator', v, encodeResponse(ApiKey.FindCoordinator, v, 1, { errorCode: 0, nodeId: 1, host: 'h', port: 9092 }));
      expect(d).toMatchObject({ errorCode: 0, coordinator: { nodeId: 1, host: 'h', port: 9092 } });
    }
    for (const v of range(0, 5)) {
      const frame = encodeResponse(ApiKey.JoinGroup, v, 1, { errorCode: 0, generationId: 2, protocolName: 'RoundRobinAssigner', leader: 'm1', memberId: 'm1', members: [{ memberId: 'm1', metadata: metadataBytes }] });
      expect(await body('joinGroup', v, frame)).toMatchObject({ errorCode: 0, generationId: 2, groupProtocol: 'RoundRobinAssigner', leaderId: 'm1', memberId: 'm1', members: [{ memberId: 'm1', memberMetadata: metadataBytes }] });
    }
    for (const v of range(0, 3)) {
      const d = await body('syncGroup', v, encodeResponse(ApiKey.SyncGroup, v, 1, { errorCode: 0, assignment: metadataBytes }));
      expect(d).toMatchObject({ errorCode: 0, memberAssignment: metadataBytes });
      expect(await body('heartbeat', v, encodeResponse(ApiKey.Heartbeat, v, 1, { errorCode: 0 }))).toMatchObject({ errorCode: 0 });
    }
  });

  it('Produce v3-7 and ListOffsets v0-3', async () => {
    for (const v of range(3, 7)) {
      const frame = encodeResponse(ApiKey.Produce, v, 1, { responses: [{ name: 'events', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 1234, logStartOffset: 0 }] }] });
      expect(await body('produce', v, frame)).toMatchObject({ topics: [{ topicName: 'events', partitions: [{ partition: 2, errorCode: 0, baseOffset: '1234' }] }] });
    }
    for (const v of range(0, 3)) {
      const frame = encodeResponse(ApiKey.ListOffsets, v, 1, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [77], timestamp: -1, offset: 77 }] }] });
      const d = (await body('listOffsets', v, frame)) as { responses: { partitions: { offset?: string; offsets?: string[] }[] }[] };
      const p = d.responses[0]!.partitions[0]!;
      expect(v === 0 ? p.offsets : p.offset).toEqual(v === 0 ? ['77'] : '77');
    }
  });
});
