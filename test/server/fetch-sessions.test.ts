/**
 * Incremental fetch sessions (KIP-227) through the real broker, with Tributary's protocol
 * client speaking each case on the wire: a full fetch opens a session, incremental fetches
 * carry only what changed, forgotten partitions leave, every session error, a pipelined
 * duplicate, the cache and partition bounds, long polls; then a real client that uses
 * sessions (kafka-ts 1.5.0) consuming through one session across many fetches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/batch-builder.js';
import { KafkaErrorCode } from '../../src/protocol/index.js';
import type { ResponseBody } from '../../src/protocol/index.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
let c: KafkaConnection;
let topicId: string;

beforeAll(async () => {
  env = await testBroker({ fetchSessions: { slots: 4, partitionsMax: 3 } });
  c = await env.connect();
  for (const t of ['fs', 'fs2', 'fs3', 'wide']) await env.broker.engine.createTopic(t, { partitions: t === 'wide' ? 4 : 3 });
  topicId = env.broker.engine.topicId('fs');
});
afterAll(async () => {
  await env?.stop();
});

const produce = (topic: string, partition: number, ...values: string[]) => env.broker.engine.append(topic, partition, encodeBatch({ records: values.map((v) => ({ value: Buffer.from(v) })) }));

interface FetchArgs {
  sessionId?: number;
  sessionEpoch?: number;
  topic?: string;
  partitions?: { partition: number; fetchOffset: number }[];
  forgotten?: number[];
  maxWaitMs?: number;
}

function fetch(version: number, a: FetchArgs): Promise<ResponseBody<'Fetch'>> {
  const topic = a.topic ?? 'fs';
  const byId = version >= 13;
  const ref = byId ? { topicId: topic === 'fs' ? topicId : env.broker.engine.topicId(topic) } : { topic };
  return c.request('Fetch', version, {
    replicaId: -1,
    maxWaitMs: a.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: a.sessionId ?? 0,
    sessionEpoch: a.sessionEpoch ?? -1,
    topics: a.partitions === undefined || a.partitions.length === 0 ? [] : [{ ...ref, partitions: a.partitions.map((p) => ({ ...p, partitionMaxBytes: 1 << 16 })) }],
    forgottenTopicsData: a.forgotten ? [{ ...ref, partitions: a.forgotten }] : [],
  });
}

/** The response's partitions as `partition:records-bytes>0?:highWatermark`, in response order. */
const seen = (r: ResponseBody<'Fetch'>): string[] => r.responses.flatMap((t) => t.partitions.map((p) => `${p.partitionIndex}:${(p.records?.length ?? 0) > 0 ? 'data' : '-'}:${p.highWatermark}`));

const all3 = (offsets = [0, 0, 0]) => offsets.map((fetchOffset, partition) => ({ partition, fetchOffset }));

for (const version of [7, 12, 13, 16]) {
  describe(`Fetch v${version}`, () => {
    it('a full fetch opens a session; incremental fetches carry only what changed; forgotten partitions leave', async () => {
      const topic = `fs${version === 7 ? '' : version === 12 ? '2' : '3'}`;
      if (version === 16) await env.broker.engine.createTopic('fs16', { partitions: 3 });
      const t = version === 16 ? 'fs16' : topic;
      await produce(t, 0, 'a');
      const full = await fetch(version, { topic: t, sessionEpoch: 0, partitions: all3() });
      expect(full.errorCode).toBe(0);
      expect(full.sessionId).toBeGreaterThan(0);
      expect(seen(full)).toEqual(['0:data:1', '1:-:0', '2:-:0']);
      const id = full.sessionId;

      // Epoch 1: the client moved p0 to 1; nothing new anywhere: nothing to say.
      const r1 = await fetch(version, { topic: t, sessionId: id, sessionEpoch: 1, partitions: [{ partition: 0, fetchOffset: 1 }] });
      expect([r1.errorCode, r1.sessionId, seen(r1)]).toEqual([0, id, []]);

      // Records on p2 (cached offset 0): only p2, with its data and new high watermark.
      await produce(t, 2, 'x', 'y');
      const r2 = await fetch(version, { topic: t, sessionId: id, sessionEpoch: 2 });
      expect(seen(r2)).toEqual(['2:data:2']);

      // p2 forgotten; records on p2 and p1: only p1 (p2 is no longer fetched).
      await produce(t, 2, 'z');
      await produce(t, 1, 'q');
      const r3 = await fetch(version, { topic: t, sessionId: id, sessionEpoch: 3, forgotten: [2] });
      expect(seen(r3)).toEqual(['1:data:1']);

      // The order of the session moved p1 (data) behind p0: with data on both, p0 comes first.
      await produce(t, 0, 'b');
      await produce(t, 1, 'r');
      const r4 = await fetch(version, { topic: t, sessionId: id, sessionEpoch: 4, partitions: [{ partition: 1, fetchOffset: 1 }] });
      expect(seen(r4)).toEqual(['0:data:2', '1:data:2']);

      // Epoch -1 closes the session and fetches sessionless (session id 0, every partition named).
      const closing = await fetch(version, { topic: t, sessionId: id, sessionEpoch: -1, partitions: all3([2, 2, 3]) });
      expect([closing.sessionId, seen(closing)]).toEqual([0, ['0:-:2', '1:-:2', '2:-:3']]);
      expect((await fetch(version, { topic: t, sessionId: id, sessionEpoch: 5 })).errorCode).toBe(KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    });
  });
}

describe('session errors', () => {
  it('unknown session, wrong epoch, topic ids switched, a session left empty, incremental without a session', async () => {
    const full = await fetch(12, { sessionEpoch: 0, partitions: all3() });
    const id = full.sessionId;
    expect(id).toBeGreaterThan(0);
    const notFound = await fetch(12, { sessionId: id + 1 === 0x7fffffff ? 1 : id + 1, sessionEpoch: 1 });
    expect([notFound.errorCode, notFound.sessionId, notFound.responses]).toEqual([KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, []]);
    expect((await fetch(12, { sessionId: 0, sessionEpoch: 3 })).errorCode).toBe(KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const stale = await fetch(12, { sessionId: id, sessionEpoch: 2 });
    expect([stale.errorCode, stale.responses]).toEqual([KafkaErrorCode.INVALID_FETCH_SESSION_EPOCH, []]);
    // Created by v12 (names): a v13 request (ids) cannot continue it.
    expect((await fetch(13, { sessionId: id, sessionEpoch: 1 })).errorCode).toBe(KafkaErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    // The epoch did not move on any of those errors; forgetting every partition closes it.
    const emptied = await fetch(12, { sessionId: id, sessionEpoch: 1, forgotten: [0, 1, 2] });
    expect([emptied.errorCode, emptied.sessionId, emptied.responses]).toEqual([0, 0, []]);
    expect((await fetch(12, { sessionId: id, sessionEpoch: 2 })).errorCode).toBe(KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('a full fetch naming a session replaces it with a new one', async () => {
    const a = (await fetch(12, { sessionEpoch: 0, partitions: all3() })).sessionId;
    const b = (await fetch(12, { sessionId: a, sessionEpoch: 0, partitions: all3() })).sessionId;
    expect(b).toBeGreaterThan(0);
    expect(b).not.toBe(a);
    expect((await fetch(12, { sessionId: a, sessionEpoch: 1 })).errorCode).toBe(KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect((await fetch(12, { sessionId: b, sessionEpoch: 1 })).errorCode).toBe(0);
  });

  it('a pipelined request of the same session answers the one that waited with INVALID_FETCH_SESSION_EPOCH', async () => {
    const id = (await fetch(12, { sessionEpoch: 0, partitions: all3([9, 9, 9].map((_, p) => env.broker.engine.listOffsets('fs', p, 'latest').offset)) })).sessionId;
    const waiting = fetch(12, { sessionId: id, sessionEpoch: 1, maxWaitMs: 300 }); // nothing new: long-polls
    const next = fetch(12, { sessionId: id, sessionEpoch: 2 }); // handled while the first waits
    const [w, n] = await Promise.all([waiting, next]);
    expect([w.errorCode, w.sessionId]).toEqual([KafkaErrorCode.INVALID_FETCH_SESSION_EPOCH, id]);
    expect(n.errorCode).toBe(0);
    expect((await fetch(12, { sessionId: id, sessionEpoch: 3 })).errorCode).toBe(0);
  });
});

describe('long poll and bounds', () => {
  it('an incremental fetch long-polls on every partition of its session and answers with the one that got data', async () => {
    const ends = [0, 1, 2].map((p) => env.broker.engine.listOffsets('fs', p, 'latest').offset);
    const id = (await fetch(12, { sessionEpoch: 0, partitions: all3(ends) })).sessionId;
    const polled = fetch(12, { sessionId: id, sessionEpoch: 1, maxWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    await produce('fs', 1, 'late');
    const r = await polled;
    expect(seen(r)).toEqual([`1:data:${ends[1]! + 1}`]);
  });

  it('no session for a fetch over the per-session bound; an incremental fetch growing past it loses its session', async () => {
    const wide = await fetch(12, { topic: 'wide', sessionEpoch: 0, partitions: [0, 1, 2, 3].map((partition) => ({ partition, fetchOffset: 0 })) });
    expect([wide.errorCode, wide.sessionId, wide.responses[0]!.partitions.length]).toEqual([0, 0, 4]);
    const id = (await fetch(12, { topic: 'wide', sessionEpoch: 0, partitions: [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }] })).sessionId;
    expect(id).toBeGreaterThan(0);
    const grown = await fetch(12, { topic: 'wide', sessionId: id, sessionEpoch: 1, partitions: [{ partition: 2, fetchOffset: 0 }, { partition: 3, fetchOffset: 0 }] });
    expect([grown.errorCode, grown.sessionId]).toEqual([KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0]);
    expect((await fetch(12, { topic: 'wide', sessionId: id, sessionEpoch: 1 })).errorCode).toBe(KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // Adding two while forgetting two stays within the bound: the size after the update counts.
    const swap = (await fetch(12, { topic: 'wide', sessionEpoch: 0, partitions: [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 })) })).sessionId;
    const swapped = await fetch(12, { topic: 'wide', sessionId: swap, sessionEpoch: 1, partitions: [{ partition: 3, fetchOffset: 0 }], forgotten: [0, 1] });
    expect([swapped.errorCode, swapped.sessionId]).toEqual([0, swap]);
  });

  it('a full cache gives no session to a new fetch (4 slots, all young) and counts it', async () => {
    const before = env.broker.stats().fetchSessions;
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await fetch(12, { sessionEpoch: 0, partitions: all3() })).sessionId);
    const after = env.broker.stats().fetchSessions;
    expect(after.sessions).toBe(4);
    expect(ids.filter((id) => id === 0).length).toBe(6 - Math.max(0, 4 - before.sessions));
    expect(after.refused - before.refused).toBe(ids.filter((id) => id === 0).length);
    expect(after.partitionsCached).toBeLessThanOrEqual(4 * 3);
  });
});

describe('a real client with sessions: kafka-ts 1.5.0', () => {
  it('consumes everything through one session across many incremental fetches (Fetch v16, topic ids)', async () => {
    const fresh = await testBroker();
    try {
      await fresh.broker.engine.createTopic('kts', { partitions: 3 });
      const { createKafkaClient, setLogger } = await import('kafka-ts');
      setLogger({ debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never);
      const kafka = createKafkaClient({ clientId: 'kts', bootstrapServers: [{ host: '127.0.0.1', port: fresh.broker.port }] });
      const got: string[] = [];
      const consumer = await kafka.startConsumer({
        groupId: 'kts-group',
        topics: ['kts'],
        fromTimestamp: -2n,
        maxWaitMs: 100,
        onBatch: (messages) => {
          for (const m of messages) got.push(m.value ?? '');
        },
      });
      const producer = kafka.createProducer({ allowTopicAutoCreation: false });
      const want: string[] = [];
      // Rounds of records to one partition at a time: each round is news for one partition only.
      for (let round = 0; round < 12; round++) {
        const batch = [`r${round}-a`, `r${round}-b`];
        want.push(...batch);
        await producer.send(batch.map((value) => ({ topic: 'kts', partition: round % 3, value })));
        const deadline = Date.now() + 10_000;
        while (got.length < want.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      }
      await producer.close();
      await consumer.close();
      expect([...got].sort()).toEqual([...want].sort());
      // One session served every fetch: kafka-ts only opens a new one when a response has none
      // or a session error, so a broker that refused its incremental fetches would show many.
      const stats = fresh.broker.stats().fetchSessions;
      expect(stats.created).toBe(1);
      expect(stats.evictions + stats.refused).toBe(0);
    } finally {
      await fresh.stop();
    }
  });
});
