/**
 * Reused frame buffers end to end: large produce requests pipelined on several connections
 * (each joined into a pooled buffer that is reused once its appends settle), some of them
 * rejected, then everything read back by a client that reads into one reused buffer and joins
 * responses into pooled buffers too. Every acknowledged batch must come back byte for byte at
 * its offset; a reuse too early would show up as wrong or duplicated records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeflatedBatch, encodeBatch } from '../../src/format/index.js';
import { CRC_OFFSET } from '../../src/format/record-batch.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { FramePool, KafkaErrorCode } from '../../src/protocol/index.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;

beforeAll(async () => {
  env = await testBroker();
  const c = await env.connect();
  const r = await c.request('CreateTopics', 5, { topics: [{ name: 'reuse', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
  expect(r.topics[0]!.errorCode).toBe(0);
});
afterAll(async () => {
  await env?.stop();
});

/** A batch of ~`bytes` whose every value names its connection, request and record. */
function batch(conn: number, req: number, partition: number, bytes: number): Buffer {
  const records = [];
  for (let i = 0; i * 1024 < bytes; i++) {
    const tag = `c${conn}-r${req}-p${partition}-i${i}:`;
    records.push({ key: Buffer.from(tag), value: Buffer.concat([Buffer.from(tag), Buffer.alloc(1000 - tag.length, (conn * 31 + req * 7 + i) & 0xff)]) });
  }
  return encodeBatch({ records });
}

describe('frame buffer reuse', () => {
  it('pipelined large produces on 3 connections, some corrupt, all read back intact', async () => {
    const conns = await Promise.all([0, 1, 2].map(() => env.connect()));
    const sent = new Map<string, Buffer>(); // "partition:baseOffset" -> the batch as sent
    const requests: Promise<void>[] = [];
    let corrupted = 0;
    for (let r = 0; r < 24; r++) {
      conns.forEach((c, ci) => {
        // Some batches are over workerCrcBytesMin: their CRC is checked on the worker pool, so
        // the appends behind them wait in the partition's queue, reading their request's bytes
        // after the handler has moved on. Those frames must not be reused until then.
        const big = (r + ci) % 4 === 0 ? 600_000 : 0;
        const parts = [0, 1].map((p) => ({ p, bytes: batch(ci, r, p, (p === 0 && big) || 70_000 + ((r * 13 + ci * 5 + p * 3) % 7) * 40_000) }));
        const corrupt = (r + ci) % 5 === 0;
        if (corrupt) {
          const b = parts[1]!.bytes;
          b[CRC_OFFSET] = b[CRC_OFFSET]! ^ 0xff;
          corrupted++;
        }
        requests.push(
          c
            .request('Produce', 7, { acks: -1, timeoutMs: 10_000, topicData: [{ name: 'reuse', partitionData: parts.map((x) => ({ index: x.p, records: x.bytes })) }] })
            .then((resp) => {
              for (const pr of resp.responses[0]!.partitionResponses) {
                const x = parts.find((q) => q.p === pr.index)!;
                if (corrupt && pr.index === 1) {
                  expect(pr.errorCode).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
                  continue;
                }
                expect(pr.errorCode).toBe(0);
                sent.set(`${pr.index}:${pr.baseOffset}`, x.bytes);
              }
            }),
        );
      });
    }
    await Promise.all(requests);
    expect(corrupted).toBeGreaterThan(0);
    expect(sent.size).toBe(24 * 3 * 2 - corrupted);

    const pool = new FramePool();
    const reader = await KafkaConnection.connect({ host: '127.0.0.1', port: env.broker.port, framePool: pool, readBufferBytes: 64 * 1024 });
    try {
      let checked = 0;
      for (const partition of [0, 1]) {
        let offset = 0;
        for (;;) {
          const { body, release } = await reader.requestFramed('Fetch', 11, {
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 8 << 20,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [{ topic: 'reuse', partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
            forgottenTopicsData: [],
            rackId: '',
          });
          const records = body.responses[0]!.partitions[0]!.records;
          let got = 0;
          for (const b of records ? DeflatedBatch.all(records) : []) {
            const original = sent.get(`${partition}:${b.baseOffset}`);
            expect(original, `batch at ${partition}:${b.baseOffset}`).toBeDefined();
            // Equal after the fields the log stamps (base offset, leader epoch); the CRC covers the rest.
            expect(b.bytes.subarray(CRC_OFFSET).equals(original!.subarray(CRC_OFFSET))).toBe(true);
            b.verifyCrc();
            offset = b.nextOffset;
            got++;
            checked++;
          }
          release();
          if (got === 0) break;
        }
      }
      expect(checked).toBe(sent.size);
      expect(pool.retainedBytes).toBeGreaterThan(0);
    } finally {
      reader.close();
    }
  });
});
