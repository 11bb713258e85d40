/**
 * A current client that speaks flexible versions and topic ids: @platformatic/kafka (pure JS,
 * Kafka 3.5+ protocol: Metadata v12, Fetch v13+ by topic id, JoinGroup v9, ...). Admin,
 * keyed produce with headers, and a consumer group reading everything back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
beforeAll(async () => {
  env = await testBroker();
});
afterAll(async () => {
  await env?.stop();
});

describe('@platformatic/kafka (flexible versions, topic ids)', () => {
  it('creates a topic, produces keyed records with headers and consumes them in a group', async () => {
    const bootstrapBrokers = [`127.0.0.1:${env.broker.port}`];
    const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers });
    await admin.createTopics({ topics: ['plt'], partitions: 3, replicas: 1 });
    expect(await admin.listTopics()).toContain('plt');
    await admin.close();

    const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers, serializers: stringSerializers });
    const messages = Array.from({ length: 60 }, (_, i) => ({ topic: 'plt', key: `k${i % 6}`, value: `v${i}`, headers: { n: String(i) } }));
    await producer.send({ messages });
    await producer.close();

    const consumer = new Consumer({ groupId: 'plt-group', clientId: 'plt-consumer', bootstrapBrokers, deserializers: stringDeserializers });
    const stream = await consumer.consume({ autocommit: true, topics: ['plt'], mode: 'earliest', sessionTimeout: 10_000, heartbeatInterval: 500 });
    const seen: { key: string; value: string; header: string; partition: number; offset: bigint }[] = [];
    const timer = setTimeout(() => void stream.close(), 20_000);
    for await (const m of stream) {
      seen.push({ key: m.key, value: m.value, header: String(m.headers.get('n')), partition: m.partition, offset: m.offset });
      if (seen.length === messages.length) break;
    }
    clearTimeout(timer);
    await stream.close();
    await consumer.close();

    expect(seen).toHaveLength(messages.length);
    expect(new Set(seen.map((s) => s.value))).toEqual(new Set(messages.map((m) => m.value)));
    for (const s of seen) expect(s.value).toBe(`v${s.header}`);
    // One key, one partition; offsets increase within a partition.
    const partitionOf = new Map<string, number>();
    for (const s of seen) {
      expect(partitionOf.get(s.key) ?? s.partition).toBe(s.partition);
      partitionOf.set(s.key, s.partition);
    }
    for (const p of [0, 1, 2]) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => s.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  });
});
