/**
 * Idempotent producers: InitProducerId hands out ids; a retried batch is acknowledged with its
 * original offsets and written once; a sequence gap is rejected. The kafkajs case runs through a
 * proxy that drops the connection after a Produce reached the broker but before its answer
 * reached the producer, so kafkajs retries the very same batch.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { DeflatedBatch, decodeBatch, encodeBatch } from '../../src/format/index.js';
import { ApiKey, KafkaErrorCode } from '../../src/protocol/index.js';
import { testBroker } from '../helpers/broker.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';

/** A TCP proxy that kills both sides the first time the broker answers a Produce request. */
async function droppingProxy(target: () => number): Promise<{ port: number; drops: () => number; close: () => void }> {
  let drops = 0;
  let armed = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target() });
    sockets.add(client).add(upstream);
    const produceIds = new Set<number>();
    let inBuf = Buffer.alloc(0);
    let outBuf = Buffer.alloc(0);
    client.on('data', (d) => {
      inBuf = Buffer.concat([inBuf, d]);
      while (inBuf.length >= 4 && inBuf.length >= 4 + inBuf.readInt32BE(0)) {
        const size = inBuf.readInt32BE(0);
        if (inBuf.readInt16BE(4) === ApiKey.Produce) produceIds.add(inBuf.readInt32BE(8));
        upstream.write(inBuf.subarray(0, 4 + size));
        inBuf = inBuf.subarray(4 + size);
      }
    });
    upstream.on('data', (d) => {
      outBuf = Buffer.concat([outBuf, d]);
      while (outBuf.length >= 4 && outBuf.length >= 4 + outBuf.readInt32BE(0)) {
        const size = outBuf.readInt32BE(0);
        if (armed && produceIds.has(outBuf.readInt32BE(4))) {
          armed = false;
          drops++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(outBuf.subarray(0, 4 + size));
        outBuf = outBuf.subarray(4 + size);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    drops: () => drops,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('idempotent producer', () => {
  let env: Awaited<ReturnType<typeof testBroker>>;
  let c: KafkaConnection;

  beforeAll(async () => {
    env = await testBroker();
    c = await env.connect();
    await c.request('CreateTopics', 4, { topics: [{ name: 'idem', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
  });
  afterAll(async () => {
    await env?.stop();
  });

  const produce = (records: Buffer) => c.request('Produce', 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }] });

  it('hands out distinct producer ids and refuses transactional ids', async () => {
    const a = await c.request('InitProducerId', 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    const b = await c.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(a.errorCode).toBe(0);
    expect(b.errorCode).toBe(0);
    expect(a.producerId).not.toBe(b.producerId);
    expect(a.producerEpoch).toBe(0);
    const t = await c.request('InitProducerId', 1, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000 });
    expect(t.errorCode).toBe(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('acknowledges a retried batch with its original offsets, writes it once, and rejects a gap', async () => {
    const { producerId } = await c.request('InitProducerId', 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    const batch = (seq: number, n: number) => encodeBatch({ producerId, producerEpoch: 0, baseSequence: seq, records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`s${seq + i}`) })) });
    const first = await produce(batch(0, 3));
    const retry = await produce(batch(0, 3));
    expect(retry.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: first.responses[0]!.partitionResponses[0]!.baseOffset });
    const next = await produce(batch(3, 2));
    expect(next.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    const gap = await produce(batch(9, 1));
    expect(gap.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const f = await c.request('Fetch', 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'idem', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
    const values = [...DeflatedBatch.all(f.responses[0]!.partitions[0]!.records!)].flatMap((b) => decodeBatch(b).records.map((r) => r.value!.toString()));
    expect(values).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  it('kafkajs: a Produce retried after a dropped connection leaves exactly one copy of each record', async () => {
    let brokerPort = 0;
    const proxy = await droppingProxy(() => brokerPort);
    const env2 = await testBroker({ advertisedPort: proxy.port });
    brokerPort = env2.broker.port;
    try {
      const kafka = new Kafka({ clientId: 'idem', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'once', numPartitions: 1 }] });
      await admin.disconnect();
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const messages = Array.from({ length: 20 }, (_, i) => ({ value: `once-${i}` }));
      await producer.send({ topic: 'once', acks: -1, messages });
      await producer.send({ topic: 'once', acks: -1, messages: [{ value: 'after' }] });
      await producer.disconnect();
      expect(proxy.drops()).toBe(1);

      const c2 = await env2.connect();
      const f = await c2.request('Fetch', 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'once', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
      const values = [...DeflatedBatch.all(f.responses[0]!.partitions[0]!.records!)].flatMap((b) => decodeBatch(b).records.map((r) => r.value!.toString()));
      expect(values).toEqual([...messages.map((m) => m.value), 'after']);
    } finally {
      proxy.close();
      await env2.stop();
    }
  });
});
