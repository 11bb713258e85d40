/**
 * Committed offsets live in the compacted internal topic __consumer_offsets: after many commits
 * and a cleaning pass the topic holds about one record per key, and a restarted broker still
 * returns every group's latest commit.
 */
import { describe, expect, it } from 'vitest';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startBroker } from '../../src/server/broker.js';
import { OFFSETS_TOPIC } from '../../src/server/offset-store.js';
import { tmpDir } from '../helpers/tmp-dir.js';

describe('__consumer_offsets compaction', () => {
  it('keeps the latest commit per key through cleaning and a restart', async () => {
    const d = tmpDir();
    try {
      let broker = await startBroker({ dataDir: d.dir, port: 0 });
      await broker.engine.alterTopicConfig(OFFSETS_TOPIC, { 'segment.bytes': 4096 });
      let c = await KafkaConnection.connect({ host: '127.0.0.1', port: broker.port });
      await c.request('CreateTopics', 4, { topics: [{ name: 'src', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
      const latest = new Map<string, number>();
      for (let i = 0; i < 300; i++) {
        const group = `g${i % 3}`;
        const partitionIndex = i % 4;
        const r = await c.request('OffsetCommit', 2, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          retentionTimeMs: -1,
          topics: [{ name: 'src', partitions: [{ partitionIndex, committedOffset: i, committedMetadata: null }] }],
        });
        expect(r.topics[0]!.partitions[0]!.errorCode).toBe(0);
        latest.set(`${group}/${partitionIndex}`, i);
      }
      const before = broker.engine.describeTopic(OFFSETS_TOPIC).partitions[0]!;
      const cleaned = await broker.engine.compact(OFFSETS_TOPIC, 0, { force: true });
      expect(cleaned.length).toBeGreaterThan(0);
      const after = broker.engine.describeTopic(OFFSETS_TOPIC).partitions[0]!;
      expect(after.sizeBytes).toBeLessThan(before.sizeBytes / 2);
      expect(after.logEndOffset).toBe(before.logEndOffset);
      c.close();
      await broker.close();

      broker = await startBroker({ dataDir: d.dir, port: 0 });
      c = await KafkaConnection.connect({ host: '127.0.0.1', port: broker.port });
      for (const group of ['g0', 'g1', 'g2']) {
        const r = await c.request('OffsetFetch', 1, { groupId: group, topics: [{ name: 'src', partitionIndexes: [0, 1, 2, 3] }] });
        for (const p of r.topics[0]!.partitions) {
          expect(p.committedOffset, `${group}/${p.partitionIndex}`).toBe(latest.get(`${group}/${p.partitionIndex}`) ?? -1);
        }
      }
      c.close();
      await broker.close();
    } finally {
      d.cleanup();
    }
  });
});
