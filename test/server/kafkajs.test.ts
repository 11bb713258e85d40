/**
 * kafkajs 2.x against the real broker over loopback: admin, keyed produce with headers,
 * gzip, consume in order, seek, ListOffsets by timestamp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, EachMessagePayload, Producer } from 'kafkajs';
import { startBroker } from '../../src/server/broker.js';
import type { Broker } from '../../src/server/broker.js';
import { tmpDir } from '../helpers/tmp-dir.js';

let broker: Broker;
let kafka: Kafka;
let admin: Admin;
let cleanup: () => void;

beforeAll(async () => {
  const t = tmpDir();
  cleanup = t.cleanup;
  broker = await startBroker({ dataDir: t.dir, port: 0 });
  kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.close();
  cleanup?.();
});

type Seen = { partition: number; offset: string; key: string | null; value: string | null; headers: Record<string, string>; timestamp: string };

async function consumeAll(topic: string, groupId: string, expected: number, fromBeginning = true): Promise<Seen[]> {
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning });
  const seen: Seen[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${seen.length}/${expected} messages`)), 30_000);
    consumer
      .run({
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          seen.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers, timestamp: message.timestamp });
          if (seen.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe('kafkajs', () => {
  it('creates and lists topics', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'keyed', numPartitions: 3 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'keyed', numPartitions: 3 }] })).toBe(false);
    const topics = await admin.listTopics();
    expect(topics).toContain('keyed');
    const meta = await admin.fetchTopicMetadata({ topics: ['keyed'] });
    expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
  });

  it('produces keyed records with headers (plain and gzip) and consumes them in order per partition', async () => {
    const producer: Producer = kafka.producer();
    await producer.connect();
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const sent: { key: string; value: string }[] = [];
    for (let round = 0; round < 4; round++) {
      const messages = keys.map((key, i) => ({ key, value: `v-${round}-${i}`, headers: { round: String(round), key } }));
      const res = await producer.send({ topic: 'keyed', messages, compression: round % 2 ? CompressionTypes.GZIP : CompressionTypes.None });
      for (const r of res) expect(r.errorCode).toBe(0);
      sent.push(...messages.map((m) => ({ key: m.key, value: m.value })));
    }
    await producer.disconnect();

    const seen = await consumeAll('keyed', 'g-keyed', sent.length);
    expect(seen).toHaveLength(sent.length);
    // The same key always lands on the same partition.
    const partitionOf = new Map<string, number>();
    for (const m of seen) {
      const p = partitionOf.get(m.key!);
      if (p !== undefined) expect(m.partition).toBe(p);
      partitionOf.set(m.key!, m.partition);
      expect(m.headers.key).toBe(m.key);
      expect(Number(m.timestamp)).toBeGreaterThan(Date.now() - 120_000);
    }
    // In order per partition: offsets increase and values follow the send order per key.
    for (const p of [0, 1, 2]) {
      const inP = seen.filter((m) => m.partition === p);
      const offsets = inP.map((m) => Number(m.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      for (const key of keys) {
        const vals = inP.filter((m) => m.key === key).map((m) => m.value);
        expect(vals).toEqual(sent.filter((s) => s.key === key && partitionOf.get(key) === p).map((s) => s.value));
      }
    }
    expect(new Set(seen.map((m) => `${m.key}/${m.value}`))).toEqual(new Set(sent.map((m) => `${m.key}/${m.value}`)));
  });

  it('rewinds with seek and re-reads from an earlier offset', async () => {
    await admin.createTopics({ topics: [{ topic: 'rewind', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'rewind', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'g-rewind', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'rewind', fromBeginning: true });
    const values: string[] = [];
    let sought = false;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${values.join(',')}`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString());
            if (values.length === 10 && !sought) {
              sought = true;
              consumer.seek({ topic: 'rewind', partition: 0, offset: '7' });
            }
            if (values.length === 13) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(values.slice(10)).toEqual(['m7', 'm8', 'm9']);
  });

  it('finds offsets by timestamp (ListOffsets)', async () => {
    await admin.createTopics({ topics: [{ topic: 'times', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 100_000;
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: 'times', messages: [{ value: `t${i}`, timestamp: String(base + i * 1000) }] });
    }
    await producer.disconnect();
    const at = await admin.fetchTopicOffsetsByTimestamp('times', base + 2500);
    expect(at).toEqual([{ partition: 0, offset: '3' }]);
    const latest = await admin.fetchTopicOffsets('times');
    expect(latest[0]).toMatchObject({ partition: 0, offset: '5', high: '5', low: '0' });
    const after = await admin.fetchTopicOffsetsByTimestamp('times', base + 10_000);
    expect(after).toEqual([{ partition: 0, offset: '5' }]);
  });
});
