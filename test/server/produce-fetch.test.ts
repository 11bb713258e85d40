/**
 * Produce and Fetch through the real server with Tributary's own protocol client: per-partition
 * errors, acks, long polls, size limits, pipelining and back-pressure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeflatedBatch, decodeBatch, encodeBatch } from '../../src/format/index.js';
import { CRC_OFFSET } from '../../src/format/record-batch.js';
import { KafkaErrorCode } from '../../src/protocol/index.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
let c: KafkaConnection;

beforeAll(async () => {
  env = await testBroker({ inflightRequestsMax: 4 });
  c = await env.connect();
  const r = await c.request('CreateTopics', 5, {
    topics: [
      { name: 'pf', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'small', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [{ name: 'max.message.bytes', value: '200' }] },
    ],
    timeoutMs: 1000,
  });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0, 0]);
});
afterAll(async () => {
  await env?.stop();
});

const batchOf = (...values: string[]) => encodeBatch({ records: values.map((v) => ({ key: Buffer.from(`k-${v}`), value: Buffer.from(v) })) });

function produce(topic: string, parts: { index: number; records: Buffer | null }[], acks = -1, version = 7) {
  return c.request('Produce', version, { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: parts }] });
}

function fetch(topic: string, partition: number, fetchOffset: number, opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {}, version = 11) {
  return c.request('Fetch', version, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 0,
    maxBytes: opts.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: opts.partitionMaxBytes ?? 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

function valuesOf(records: Buffer | null): string[] {
  if (!records) return [];
  const out: string[] = [];
  for (const b of DeflatedBatch.all(records)) for (const r of decodeBatch(b).records) out.push(r.value!.toString());
  return out;
}

describe('produce', () => {
  it('a corrupt batch fails its partition with CORRUPT_MESSAGE while the good partition in the same request is written', async () => {
    const bad = batchOf('x');
    bad.writeUInt8(bad.readUInt8(CRC_OFFSET) ^ 0xff, CRC_OFFSET);
    const r = await produce('pf', [
      { index: 0, records: batchOf('a', 'b') },
      { index: 1, records: bad },
    ]);
    const [p0, p1] = r.responses[0]!.partitionResponses as [object, object];
    expect(p0).toMatchObject({ index: 0, errorCode: 0, baseOffset: 0 });
    expect(p1).toMatchObject({ index: 1, errorCode: KafkaErrorCode.CORRUPT_MESSAGE });
    // Nothing of the bad batch was written.
    const f = await fetch('pf', 1, 0);
    expect(f.responses[0]!.partitions[0]!.highWatermark).toBe(0);
    expect(valuesOf(f.responses[0]!.partitions[0]!.records)).toEqual([]);
  });

  it('answers MESSAGE_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_RECORD and INVALID_REQUIRED_ACKS per partition', async () => {
    const big = encodeBatch({ records: [{ value: Buffer.alloc(500, 1) }] });
    const r1 = await produce('small', [{ index: 0, records: big }]);
    expect(r1.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.MESSAGE_TOO_LARGE);
    const r2 = await produce('pf', [{ index: 7, records: batchOf('z') }]);
    expect(r2.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const r3 = await produce('pf', [{ index: 0, records: Buffer.concat([batchOf('y1'), batchOf('y2')]) }]);
    expect(r3.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.INVALID_RECORD);
    const r4 = await produce('pf', [{ index: 0, records: batchOf('y3').subarray(0, 40) }]);
    expect(r4.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.INVALID_RECORD);
    const r5 = await produce('pf', [{ index: 0, records: batchOf('y4') }], 2);
    expect(r5.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.INVALID_REQUIRED_ACKS);
    const f = await fetch('pf', 0, 0);
    expect(valuesOf(f.responses[0]!.partitions[0]!.records)).toEqual(['a', 'b']);
  });

  it('acks=0 gets no response but the data is written, in order with later requests', async () => {
    await c.send('Produce', 7, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'pf', partitionData: [{ index: 0, records: batchOf('c') }] }] });
    const r = await produce('pf', [{ index: 0, records: batchOf('d') }]);
    expect(r.responses[0]!.partitionResponses[0]!.baseOffset).toBe(3);
    const f = await fetch('pf', 0, 0);
    expect(valuesOf(f.responses[0]!.partitions[0]!.records)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('auto-creates a topic on produce with the default partition count', async () => {
    const r = await produce('auto-made', [{ index: 0, records: batchOf('hello') }], 1, 3);
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    const m = await c.request('Metadata', 1, { topics: [{ name: 'auto-made' }] });
    expect(m.topics[0]!.partitions).toHaveLength(1);
  });

  it('pipelined requests beyond the in-flight limit are all answered, in order', async () => {
    const order: number[] = [];
    const all = Array.from({ length: 40 }, (_, i) => produce('pf', [{ index: 1, records: batchOf(`p${i}`) }]).then((r) => order.push(r.responses[0]!.partitionResponses[0]!.baseOffset)));
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});

describe('fetch', () => {
  it('returns at least one whole batch even when it is larger than maxBytes', async () => {
    const f = await fetch('pf', 1, 5, { maxBytes: 10, partitionMaxBytes: 10 });
    const p = f.responses[0]!.partitions[0]!;
    expect(valuesOf(p.records)).toEqual(['p5']);
  });

  it('starts at the batch holding the fetch offset', async () => {
    const f = await fetch('pf', 0, 1);
    expect(valuesOf(f.responses[0]!.partitions[0]!.records)[0]).toBe('a');
  });

  it('answers OFFSET_OUT_OF_RANGE past the end', async () => {
    const f = await fetch('pf', 0, 1000);
    expect(f.responses[0]!.partitions[0]!).toMatchObject({ errorCode: KafkaErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: 4, logStartOffset: 0 });
  });

  it('long-polls until data arrives', async () => {
    const start = Date.now();
    const pending = fetch('pf', 0, 4, { maxWaitMs: 10_000, minBytes: 1 });
    setTimeout(() => void produce('pf', [{ index: 0, records: batchOf('late') }]), 200);
    const f = await pending;
    expect(valuesOf(f.responses[0]!.partitions[0]!.records)).toEqual(['late']);
    expect(Date.now() - start).toBeLessThan(9_000);
  });

  it('returns empty after maxWaitMs when nothing arrives', async () => {
    const f = await fetch('pf', 0, 5, { maxWaitMs: 150, minBytes: 1 });
    expect(f.responses[0]!.partitions[0]!.records).toEqual(Buffer.alloc(0));
  });

  it('v13+ names topics by id: the same batches by topic id, UNKNOWN_TOPIC_ID for an unknown one', async () => {
    const m = await c.request('Metadata', 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'pf' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const topicId = m.topics[0]!.topicId;
    const byId = (id: string) =>
      c.request('Fetch', 16, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topicId: id, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1, lastFetchedEpoch: -1 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
    const known = await byId(topicId);
    expect(known.responses[0]!.topicId).toBe(topicId);
    expect(valuesOf(known.responses[0]!.partitions[0]!.records)).toEqual(valuesOf((await fetch('pf', 0, 0)).responses[0]!.partitions[0]!.records));
    const unknown = await byId('AAAAAAAAAAAAAAAAAAAAAQ');
    expect(unknown.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_ID);
  });

  it('serves v4 and v12 (flexible) the same batches', async () => {
    const a = await fetch('pf', 0, 0, {}, 4);
    const b = await fetch('pf', 0, 0, {}, 12);
    expect(valuesOf(a.responses[0]!.partitions[0]!.records)).toEqual(valuesOf(b.responses[0]!.partitions[0]!.records));
  });
});

describe('metadata and admin', () => {
  it('advertises the configured address', async () => {
    const env2 = await testBroker({ advertisedHost: 'kafka.example', advertisedPort: 19092 });
    const c2 = await env2.connect();
    const m = await c2.request('Metadata', 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(m.brokers).toEqual([{ nodeId: 0, host: 'kafka.example', port: 19092, rack: null }]);
    await env2.stop();
  });

  it('rejects invalid topic names and replication factors with Kafka codes', async () => {
    const r = await c.request('CreateTopics', 4, {
      topics: [
        { name: '../evil', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
        { name: 'badcfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: 'soon' }] },
        { name: 'pf', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(r.topics.map((t) => t.errorCode)).toEqual([KafkaErrorCode.INVALID_TOPIC_EXCEPTION, KafkaErrorCode.INVALID_REPLICATION_FACTOR, KafkaErrorCode.INVALID_CONFIG, KafkaErrorCode.TOPIC_ALREADY_EXISTS]);
  });

  it('describes and alters topic configs', async () => {
    const inc = await c.request('IncrementalAlterConfigs', 0, { resources: [{ resourceType: 2, resourceName: 'pf', configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }], validateOnly: false });
    expect(inc.responses[0]!.errorCode).toBe(0);
    const d = await c.request('DescribeConfigs', 1, { resources: [{ resourceType: 2, resourceName: 'pf', configurationKeys: ['retention.ms', 'segment.bytes'] }], includeSynonyms: false });
    const byName = Object.fromEntries(d.results[0]!.configs.map((e) => [e.name, e]));
    expect(byName['retention.ms']).toMatchObject({ value: '3600000', configSource: 1 });
    expect(byName['segment.bytes']).toMatchObject({ configSource: 5 });
    const bad = await c.request('AlterConfigs', 0, { resources: [{ resourceType: 2, resourceName: 'pf', configs: [{ name: 'no.such.key', value: '1' }] }], validateOnly: false });
    expect(bad.responses[0]!.errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
    // AlterConfigs replaces the whole set: retention.ms returns to its default.
    const all = await c.request('AlterConfigs', 0, { resources: [{ resourceType: 2, resourceName: 'pf', configs: [{ name: 'segment.ms', value: '60000' }] }], validateOnly: false });
    expect(all.responses[0]!.errorCode).toBe(0);
    const d2 = await c.request('DescribeConfigs', 1, { resources: [{ resourceType: 2, resourceName: 'pf', configurationKeys: ['retention.ms', 'segment.ms'] }], includeSynonyms: false });
    expect(Object.fromEntries(d2.results[0]!.configs.map((e) => [e.name, e.configSource]))).toEqual({ 'retention.ms': 5, 'segment.ms': 1 });
  });

  it('adds partitions and deletes records and topics', async () => {
    const cp = await c.request('CreatePartitions', 1, { topics: [{ name: 'pf', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(cp.results[0]!.errorCode).toBe(0);
    const cp2 = await c.request('CreatePartitions', 1, { topics: [{ name: 'pf', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(cp2.results[0]!.errorCode).toBe(KafkaErrorCode.INVALID_PARTITIONS);
    const dr = await c.request('DeleteRecords', 1, { topics: [{ name: 'pf', partitions: [{ partitionIndex: 1, offset: 10 }] }], timeoutMs: 1000 });
    expect(dr.topics[0]!.partitions[0]).toMatchObject({ lowWatermark: 10, errorCode: 0 });
    const f = await fetch('pf', 1, 3);
    expect(f.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.OFFSET_OUT_OF_RANGE);
    const dt = await c.request('DeleteTopics', 4, { topicNames: ['auto-made', 'never-was'], timeoutMs: 1000 });
    expect(dt.responses.map((r) => r.errorCode)).toEqual([0, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  });
});
