/** `tributary groups describe` reports committed offset, log end offset and lag per partition. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/index.js';
import { decodeAssignment, describeGroup, formatReport } from '../../src/tools/groups-command.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
beforeAll(async () => {
  env = await testBroker();
});
afterAll(async () => {
  await env?.stop();
});

describe('groups describe', () => {
  it('prints committed offset, log end and lag for every committed partition', async () => {
    const c = await env.connect();
    await c.request('CreateTopics', 4, { topics: [{ name: 'lagging', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
    for (const partition of [0, 1]) {
      const records = Array.from({ length: 10 + partition * 5 }, (_, i) => ({ value: Buffer.from(`v${i}`) }));
      await c.request('Produce', 7, { acks: -1, timeoutMs: 1000, topicData: [{ name: 'lagging', partitionData: [{ index: partition, records: encodeBatch({ records }) }] }] });
    }
    // A "simple" commit (no member, generation -1), as kafka-consumer-groups --reset-offsets does.
    const commit = await c.request('OffsetCommit', 2, {
      groupId: 'watchers',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1,
      topics: [{ name: 'lagging', partitions: [{ partitionIndex: 0, committedOffset: 4, committedMetadata: null }, { partitionIndex: 1, committedOffset: 15, committedMetadata: '' }] }],
    });
    expect(commit.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    const report = await describeGroup(c, 'watchers');
    expect(report.state).toBe('Empty');
    expect(report.rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag])).toEqual([
      ['lagging', 0, 4, 10, 6],
      ['lagging', 1, 15, 15, 0],
    ]);
    expect(formatReport(report)).toMatch(/lagging\s+0\s+4\s+10\s+6/);
  });

  it('decodes a consumer protocol assignment', () => {
    const b = Buffer.from('0000' + '00000001' + '0003' + Buffer.from('abc').toString('hex') + '00000002' + '00000000' + '00000002' + 'ffffffff', 'hex');
    expect([...decodeAssignment(b)]).toEqual([['abc', [0, 2]]]);
  });
});
