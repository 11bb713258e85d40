/**
 * Frame fuzzing against the real broker: random bytes, truncated frames, absurd lengths and
 * unknown API keys/versions get an error response or a closed connection, never a crash;
 * other connections keep working and acknowledged data stays readable.
 */
import fc from 'fast-check';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/index.js';
import { ApiKey, FrameDecoder, KafkaErrorCode, decodeResponseOf, encodeRequest } from '../../src/protocol/index.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;

beforeAll(async () => {
  env = await testBroker({ frameBytesMax: 1024 * 1024 });
});
afterAll(async () => {
  await env?.stop();
});

/** Sends bytes on a fresh socket; resolves with what came back before the socket closed or went quiet. */
function exchange(bytes: Buffer, quietMs = 150): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: env.broker.port });
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    s.on('data', (c) => {
      chunks.push(c);
      clearTimeout(timer);
      timer = setTimeout(() => done(false), quietMs);
    });
    s.on('close', () => done(true));
    s.on('error', () => undefined);
    s.on('connect', () => {
      s.write(bytes);
      timer = setTimeout(() => done(false), quietMs);
    });
  });
}

async function brokerStillServes(): Promise<void> {
  const c = await env.connect();
  const r = await c.request('ListOffsets', 1, { replicaId: -1, topics: [{ name: 'fuzz-data', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
  expect(r.topics[0]!.partitions[0]!.offset).toBe(3);
  const f = await c.request('Fetch', 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'fuzz-data', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
  expect(f.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
  c.close();
}

describe('frame fuzzing', () => {
  it('setup: acknowledged data exists', async () => {
    const c = await env.connect();
    await c.request('CreateTopics', 4, { topics: [{ name: 'fuzz-data', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
    const batch = encodeBatch({ records: [0, 1, 2].map((i) => ({ value: Buffer.from(`v${i}`) })) });
    const r = await c.request('Produce', 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'fuzz-data', partitionData: [{ index: 0, records: batch }] }] });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    c.close();
  });

  it('random byte streams never crash the broker', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (bytes) => {
        await exchange(Buffer.from(bytes), 30);
      }),
      { numRuns: 60 },
    );
    await brokerStillServes();
  });

  it('frames with random bodies behind valid headers get an answer or a closed connection', async () => {
    const keys = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 32, 33, 37, 42, 44];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 200 }), async (key, version, body) => {
        const head = Buffer.alloc(10);
        head.writeInt16BE(key, 0);
        head.writeInt16BE(version, 2);
        head.writeInt32BE(7, 4);
        head.writeInt16BE(-1, 8); // null client id
        const payload = Buffer.concat([head, Buffer.from(body)]);
        const frame = Buffer.alloc(4 + payload.length);
        frame.writeInt32BE(payload.length, 0);
        payload.copy(frame, 4);
        const { data, closed } = await exchange(frame, 40);
        // Either a whole response frame for correlation id 7, or the connection was closed.
        if (data.length > 0) {
          expect(data.readInt32BE(0)).toBe(data.length - 4);
          expect(data.readInt32BE(4)).toBe(7);
        } else expect(closed).toBe(true);
      }),
      { numRuns: 150 },
    );
    await brokerStillServes();
  });

  it('an absurd frame length closes the connection without allocating it', async () => {
    for (const size of [0x7fffffff, 1024 * 1024 + 1, -5]) {
      const b = Buffer.alloc(8);
      b.writeInt32BE(size, 0);
      const { closed } = await exchange(b, 500);
      expect(closed).toBe(true);
    }
    await brokerStillServes();
  });

  it('a truncated frame followed by a close is harmless', async () => {
    const frame = encodeRequest(ApiKey.Metadata, 1, 1, 'x', { topics: null });
    for (let cut = 1; cut < frame.length; cut += 3) await exchange(frame.subarray(0, cut), 10);
    await brokerStillServes();
  });

  it('an unknown API key closes the connection; an unknown ApiVersions version gets UNSUPPORTED_VERSION with our ranges (KIP-511)', async () => {
    const unknown = Buffer.from(encodeRequest(ApiKey.Metadata, 1, 9, 'x', { topics: null }));
    unknown.writeInt16BE(999, 4);
    expect((await exchange(unknown, 500)).closed).toBe(true);

    const av = Buffer.from(encodeRequest(ApiKey.ApiVersions, 0, 11, 'x', {}));
    av.writeInt16BE(77, 6); // version 77
    const { data } = await exchange(av, 200);
    const frames = new FrameDecoder().push(data);
    expect(frames).toHaveLength(1);
    const r = decodeResponseOf('ApiVersions', 0, frames[0]!);
    expect(r.correlationId).toBe(11);
    expect(r.body.errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION);
    expect(r.body.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)).toMatchObject({ minVersion: 0, maxVersion: 3 });
    await brokerStillServes();
  });
});

describe('client request timeout', () => {
  it('a request to a peer that never answers fails with REQUEST_TIMED_OUT', async () => {
    const { KafkaConnection } = await import('../../src/client/kafka-connection.js');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const c = await KafkaConnection.connect({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, requestTimeoutMs: 100 });
    await expect(c.request('ApiVersions', 0, {})).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' });
    c.close();
    silent.close();
  });
});
