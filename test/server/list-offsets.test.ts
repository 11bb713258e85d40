/**
 * ListOffsets v0-10 through the real broker: every sentinel at every version (what the
 * version carries is answered as Kafka answers it without tiered storage, the rest is
 * UNSUPPORTED_VERSION), unknown partitions (the high-watermark rule is tested in
 * test/storage/max-timestamp.test.ts), and real clients asking
 * for MAX_TIMESTAMP (librdkafka 2.15.1's admin listOffsets, kafka-ts' ListOffsets v10) and by
 * time (kafka-python).
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/batch-builder.js';
import { KafkaErrorCode, SUPPORTED_APIS } from '../../src/protocol/index.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { testBroker } from '../helpers/broker.js';
import { rdkafka, skipRdkafka } from '../helpers/rdkafka.js';

let env: Awaited<ReturnType<typeof testBroker>>;
let c: KafkaConnection;

/** Record timestamps of topic `lo` (offsets 0..5): the largest, 900, is at offsets 2 and 4. */
const TIMESTAMPS = [100, 500, 900, 300, 900, 200];

beforeAll(async () => {
  env = await testBroker();
  c = await env.connect();
  await env.broker.engine.createTopic('lo', { partitions: 2 });
  await env.broker.engine.append('lo', 0, encodeBatch({ records: TIMESTAMPS.slice(0, 3).map((timestamp, i) => ({ value: Buffer.from(`v${i}`), timestamp })) }));
  await env.broker.engine.append('lo', 0, encodeBatch({ records: TIMESTAMPS.slice(3).map((timestamp, i) => ({ value: Buffer.from(`v${i + 3}`), timestamp })), compression: 'lz4' }));
});
afterAll(async () => {
  await env?.stop();
});

async function listOffsets(version: number, timestamp: number, topic = 'lo', partitionIndex = 0) {
  const r = await c.request('ListOffsets', version, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 1000 });
  return r.topics[0]!.partitions[0]!;
}

describe('ListOffsets sentinels by version', () => {
  it('advertises exactly v0-10', () => {
    expect(SUPPORTED_APIS.find((a) => a.name === 'ListOffsets')).toMatchObject({ minVersion: 0, maxVersion: 10 });
  });

  const answers: Record<number, { offset: number; timestamp: number; leaderEpoch: number }> = {
    [-1]: { offset: 6, timestamp: -1, leaderEpoch: 0 },
    [-2]: { offset: 0, timestamp: -1, leaderEpoch: 0 },
    [-3]: { offset: 2, timestamp: 900, leaderEpoch: 0 },
    [-4]: { offset: 0, timestamp: -1, leaderEpoch: 0 },
    [-5]: { offset: -1, timestamp: -1, leaderEpoch: -1 },
    600: { offset: 2, timestamp: 900, leaderEpoch: 0 },
    901: { offset: -1, timestamp: -1, leaderEpoch: -1 },
  };
  const since: Record<number, number> = { [-1]: 0, [-2]: 0, [-3]: 7, [-4]: 8, [-5]: 9, 600: 0, 901: 0, [-6]: 99, [-7]: 99 };

  for (let version = 1; version <= 10; version++) {
    it(`v${version}`, async () => {
      for (const ts of [-1, -2, -3, -4, -5, -6, -7, 600, 901]) {
        const p = await listOffsets(version, ts);
        if (version >= since[ts]!) {
          const want = answers[ts]!;
          expect(p, `timestamp ${ts}`).toMatchObject({ errorCode: 0, offset: want.offset, timestamp: want.timestamp, ...(version >= 4 ? { leaderEpoch: want.leaderEpoch } : {}) });
        } else {
          expect(p, `timestamp ${ts}`).toMatchObject({ errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, offset: -1, timestamp: -1 });
        }
      }
    });
  }

  it('v0 answers in oldStyleOffsets', async () => {
    expect((await listOffsets(0, -1)).oldStyleOffsets).toEqual([6]);
    expect((await listOffsets(0, 600)).oldStyleOffsets).toEqual([2]);
    expect((await listOffsets(0, -3)).errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION);
  });

  it('an empty partition has no max timestamp; an unknown partition is UNKNOWN_TOPIC_OR_PARTITION for every sentinel', async () => {
    expect(await listOffsets(10, -3, 'lo', 1)).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1, leaderEpoch: -1 });
    for (const ts of [-1, -2, -3, -4, -5, 0]) {
      expect((await listOffsets(10, ts, 'lo', 7)).errorCode, `timestamp ${ts}`).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect((await listOffsets(10, ts, 'no-such-topic')).errorCode, `timestamp ${ts}`).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });
});

type CkjsAdmin = { connect(): void; disconnect(): void; listOffsets(p: object[], o: object, cb: (err: unknown, offsets: { topic: string; partition: number; offset: number; timestamp: number; leaderEpoch?: number }[]) => void): void };
const ckjs = rdkafka as { AdminClient: { create(c: object): CkjsAdmin }; OffsetSpec: { MAX_TIMESTAMP: unknown; EARLIEST: unknown; LATEST: unknown } } | null;

describe('real clients', () => {
  it.skipIf(skipRdkafka)('librdkafka 2.15.1 admin listOffsets: MAX_TIMESTAMP, EARLIEST, LATEST', async () => {
    const admin = ckjs!.AdminClient.create({ 'bootstrap.servers': `127.0.0.1:${env.broker.port}`, log_level: 0 });
    const list = (offset: unknown) =>
      new Promise<{ offset: number; timestamp: number }[]>((resolve, reject) => admin.listOffsets([{ topic: 'lo', partition: 0, offset }], { timeout: 10_000 }, (err, res) => (err ? reject(err) : resolve(res))));
    try {
      expect((await list(ckjs!.OffsetSpec.MAX_TIMESTAMP))[0]).toMatchObject({ offset: 2, timestamp: 900 });
      expect((await list(ckjs!.OffsetSpec.EARLIEST))[0]).toMatchObject({ offset: 0 });
      expect((await list(ckjs!.OffsetSpec.LATEST))[0]).toMatchObject({ offset: 6 });
    } finally {
      admin.disconnect();
    }
  });

  it('kafka-ts 1.5.0: ListOffsets v10 with MAX_TIMESTAMP, EARLIEST_LOCAL and LATEST_TIERED', async () => {
    const { API, createKafkaClient, setLogger } = await import('kafka-ts');
    setLogger({ debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never);
    const cluster = createKafkaClient({ clientId: 'lo-kts', bootstrapServers: [{ host: '127.0.0.1', port: env.broker.port }] }).createCluster();
    await cluster.connect();
    try {
      const ask = async (timestamp: bigint) => {
        const r = await cluster.sendRequest(API.LIST_OFFSETS, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }], timeoutMs: 5000 } as never);
        return (r as { topics: { partitions: { errorCode: number; offset: bigint; timestamp: bigint; leaderEpoch: number }[] }[] }).topics[0]!.partitions[0]!;
      };
      expect(await ask(-3n)).toMatchObject({ errorCode: 0, offset: 2n, timestamp: 900n, leaderEpoch: 0 });
      expect(await ask(-4n)).toMatchObject({ errorCode: 0, offset: 0n, timestamp: -1n });
      expect(await ask(-5n)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    } finally {
      await cluster.disconnect();
    }
  });

  it('kafka-python 2.0.2 offsets_for_times (ListOffsets v1 by time)', async () => {
    const script = `
import sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1])
tp = TopicPartition('lo', 0)
r = c.offsets_for_times({tp: 600})[tp]
print(r.offset, r.timestamp)
print(c.offsets_for_times({tp: 901})[tp])
c.close()
`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/python3', ['-c', script, `127.0.0.1:${env.broker.port}`], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    expect(out.trim().split('\n')).toEqual(['2 900', 'None']);
  });
});
