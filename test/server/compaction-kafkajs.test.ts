/**
 * A compacted topic seen through kafkajs: after cleaning, a consumer reading from the start
 * gets exactly the latest value per key at its original offset; a tombstoned key is gone once
 * delete.retention.ms has passed.
 */
import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from '../helpers/broker.js';

describe('compacted topic (kafkajs)', () => {
  it('serves the latest value per key with original offsets, tombstones dropped after delete.retention.ms', async () => {
    const env = await testBroker();
    try {
      const kafka = new Kafka({ clientId: 'compact', brokers: [`127.0.0.1:${env.broker.port}`], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [
          {
            topic: 'table',
            numPartitions: 1,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.bytes', value: '1024' },
              { name: 'delete.retention.ms', value: '0' },
              { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            ],
          },
        ],
      });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const latest = new Map<string, { value: string | null; offset: number }>();
      let offset = 0;
      for (let round = 0; round < 20; round++) {
        for (const key of ['a', 'b', 'c', 'd']) {
          const value = key === 'd' && round === 19 ? null : `${key}-${round}`;
          await producer.send({ topic: 'table', messages: [{ key, value }] });
          latest.set(key, { value, offset: offset++ });
        }
      }
      // Filler (over two segments' worth) so every record above sits in a closed segment.
      for (let i = 0; i < 30; i++) await producer.send({ topic: 'table', messages: [{ key: 'z', value: `tail-${i}` }] });
      const lastOffset = offset + 29;
      await producer.disconnect();

      // Two passes: the first marks the tombstone with its delete horizon, the second (with
      // delete.retention.ms=0, already past it) drops it.
      await env.broker.engine.compact('table', 0, { force: true });
      await env.broker.engine.compact('table', 0, { force: true });

      const consumer = kafka.consumer({ groupId: 'reader', maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'table', fromBeginning: true });
      const seen: { key: string; value: string | null; offset: number }[] = [];
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(seen)}`)), 20_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push({ key: message.key!.toString(), value: message.value?.toString() ?? null, offset: Number(message.offset) });
              if (Number(message.offset) === lastOffset) {
                clearTimeout(t);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      const expected = ['a', 'b', 'c'].map((key) => ({ key, ...latest.get(key)! })).sort((x, y) => x.offset - y.offset);
      expect(seen.filter((s) => s.key !== 'z')).toEqual(expected);
      expect(seen.at(-1)).toMatchObject({ key: 'z', value: 'tail-29', offset: lastOffset });
      // Offsets only grow, and the filler's older duplicates in closed segments were cleaned too.
      expect(seen.map((s) => s.offset)).toEqual([...seen.map((s) => s.offset)].sort((x, y) => x - y));
      expect(seen.filter((s) => s.key === 'z').length).toBeLessThan(30);
    } finally {
      await env.stop();
    }
  });
});
