/**
 * The read-path property (test/storage/read-model.test.ts) at the protocol level: a consumer
 * that fetches several partitions of a topic with many small segments, with random
 * `maxBytes` and `partitionMaxBytes` (small and large) at several Fetch versions (by topic
 * name and by topic id), and continues each partition from the offset after the last batch
 * it got, receives every produced record exactly once, in order; every response keeps
 * within `maxBytes` and each partition within its `partitionMaxBytes`, except the first
 * batch of the first non-empty partition, which comes whole whatever its size (KIP-74).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { DeflatedBatch, decodeBatch, encodeBatch } from '../../src/format/index.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
let c: KafkaConnection;
let topics = 0;

beforeAll(async () => {
  env = await testBroker();
  c = await env.connect();
});
afterAll(async () => {
  await env?.stop();
});

const PARTITIONS = 3;

/** Creates a topic with many small segments and produces `sizes[p]` one-record batches of those value sizes to partition p. */
async function fill(segmentBytes: number, sizes: number[][]): Promise<{ name: string; topicId: string; values: string[][] }> {
  const name = `fm-${topics++}`;
  const created = await c.request('CreateTopics', 7, {
    topics: [{ name, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: String(segmentBytes) }] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(created.topics[0]!.errorCode).toBe(0);
  const values: string[][] = sizes.map(() => []);
  for (let i = 0; i < Math.max(...sizes.map((s) => s.length)); i++) {
    const partitionData = sizes.flatMap((s, p) => {
      if (i >= s.length) return [];
      const v = `${p}:${i}:` + 'v'.repeat(s[i]!);
      values[p]!.push(v);
      return [{ index: p, records: encodeBatch({ records: [{ key: Buffer.from(`k${i}`), value: Buffer.from(v) }] }) }];
    });
    const r = await c.request('Produce', 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name, partitionData }] });
    for (const p of r.responses[0]!.partitionResponses) expect(p.errorCode).toBe(0);
  }
  return { name, topicId: created.topics[0]!.topicId, values };
}

interface Budget {
  version: number;
  maxBytes: number;
  partitionMaxBytes: number[];
}

async function consumeAll(topic: { name: string; topicId: string; values: string[][] }, b: Budget): Promise<string[][]> {
  const next = Array.from({ length: PARTITIONS }, () => 0);
  const got: string[][] = next.map(() => []);
  const ends = topic.values.map((v) => v.length);
  for (let round = 0; next.some((n, p) => n < ends[p]!); round++) {
    expect(round, 'fetches make progress').toBeLessThan(20_000);
    const r = await c.request('Fetch', b.version, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: b.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: topic.name,
          topicId: topic.topicId,
          partitions: next.map((fetchOffset, p) => ({ partition: p, fetchOffset, partitionMaxBytes: b.partitionMaxBytes[p]!, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    expect(r.errorCode).toBe(0);
    let total = 0;
    let batchesInResponse = 0;
    let firstNonEmpty = true;
    for (const part of r.responses[0]!.partitions) {
      expect(part.errorCode).toBe(0);
      const p = part.partitionIndex;
      const records = part.records;
      if (!records || records.length === 0) continue;
      const batches = [...DeflatedBatch.all(records)];
      const bytes = records.length;
      const oneBatch = batches.length === 1;
      // KIP-74: only the first batch of the first non-empty partition may exceed the limits.
      if (!(firstNonEmpty && oneBatch)) expect(bytes, `partition ${p} within partitionMaxBytes`).toBeLessThanOrEqual(b.partitionMaxBytes[p]!);
      firstNonEmpty = false;
      total += bytes;
      batchesInResponse += batches.length;
      expect(batches[0]!.lastOffset, 'the first batch holds the offset asked for').toBeGreaterThanOrEqual(next[p]!);
      for (const batch of batches) {
        for (const rec of decodeBatch(batch).records) if (rec.offset >= next[p]!) got[p]!.push(rec.value!.toString());
        next[p] = batch.lastOffset + 1;
      }
    }
    // Past maxBytes only as one oversized batch, alone in the response.
    if (total > b.maxBytes) expect(batchesInResponse, `${total} bytes for maxBytes ${b.maxBytes}`).toBe(1);
  }
  return got;
}

describe('Fetch against a model', () => {
  it('every record once, in order, within maxBytes and partitionMaxBytes (KIP-74 aside)', async () => {
    // Budgets around segment and batch sizes find the seams; large ones check the plain case.
    const limit = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 400 }) }, { weight: 3, arbitrary: fc.integer({ min: 400, max: 4000 }) }, { weight: 1, arbitrary: fc.integer({ min: 4000, max: 1 << 20 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 200, max: 1500 }), fc.integer({ min: 1500, max: 8000 })),
        fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 50, max: 600 }), fc.integer({ min: 600, max: 4000 })), { minLength: 0, maxLength: 60 }), { minLength: PARTITIONS, maxLength: PARTITIONS }),
        fc.constantFrom(4, 11, 12, 13, 16),
        limit,
        fc.array(limit, { minLength: PARTITIONS, maxLength: PARTITIONS }),
        async (segmentBytes, sizes, version, maxBytes, partitionMaxBytes) => {
          const topic = await fill(segmentBytes, sizes);
          expect(await consumeAll(topic, { version, maxBytes, partitionMaxBytes })).toEqual(topic.values);
        },
      ),
      { numRuns: Number(process.env.FETCH_MODEL_RUNS ?? 40) },
    );
  });
});
