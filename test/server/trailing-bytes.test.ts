/**
 * Bytes after a request body are ignored, as Apache Kafka ignores them; bodies that do not
 * parse still close the connection.
 *
 * The motivating frame is real: librdkafka 2.15.1 (@confluentinc/kafka-javascript 1.10.1)
 * listing all topics sends MetadataRequest v12 as `00 | 00 00 00 | 01 00 00`: it writes the
 * null topic array as one byte but leaves the 4-byte placeholder it reserved for the count, so
 * the body Kafka parses is topics=null, allowAutoTopicCreation=false,
 * includeTopicAuthorizedOperations=false, no tagged fields, and the real values follow as 3
 * stray bytes (confluentinc/librdkafka#5049). Kafka answers it; a broker that insists on every
 * byte being used closes the connection and every client that lists topics breaks.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, FrameDecoder, decodeResponseOf, encodeFrame, encodeRequest } from '../../src/protocol/index.js';
import { testBroker } from '../helpers/broker.js';
import { rdkafka, skipRdkafka } from '../helpers/rdkafka.js';

/** The frame as captured (test/protocol/fixtures/frames/librdkafka-2.15.json), size prefix removed. */
const LIBRDKAFKA_ALL_TOPICS_METADATA_V12 = Buffer.from('0003000c00000003000b676f6c64656e2d636b6a730000000000010000', 'hex');

const ckjs = rdkafka as { KafkaJS: { Kafka: new (o: object) => { admin(): { connect(): Promise<void>; listTopics(): Promise<string[]>; disconnect(): Promise<void> } } } } | null;

let env: Awaited<ReturnType<typeof testBroker>>;
beforeAll(async () => {
  env = await testBroker();
  const c = await env.connect();
  await c.request('CreateTopics', 5, { topics: [{ name: 'listed', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 });
});
afterAll(async () => {
  await env?.stop();
});

/** A raw client socket: write frames, read whole response frames, see when it closes. */
async function rawClient(): Promise<{ send: (frame: Buffer) => void; next: () => Promise<Buffer>; closed: Promise<void>; destroy: () => void }> {
  const socket = net.connect({ host: '127.0.0.1', port: env.broker.port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const decoder = new FrameDecoder({ frameBytesMax: 1 << 24, copyFrames: true });
  const frames: Buffer[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    frames.push(...decoder.push(chunk));
    wake?.();
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return {
    send: (frame) => socket.write(encodeFrame(frame)),
    next: async () => {
      while (frames.length === 0) {
        await Promise.race([new Promise<void>((r) => (wake = r)), closed.then(() => Promise.reject(new Error('connection closed')))]);
      }
      return frames.shift()!;
    },
    closed,
    destroy: () => socket.destroy(),
  };
}

describe('trailing bytes after a request body', () => {
  it("answers librdkafka 2.15's all-topics MetadataRequest v12 and counts the 3 stray bytes", async () => {
    const before = env.broker.stats().requestTrailingBytes.find((c) => c.api === 'Metadata')?.requests ?? 0;
    const c = await rawClient();
    c.send(LIBRDKAFKA_ALL_TOPICS_METADATA_V12);
    const res = decodeResponseOf('Metadata', 12, await c.next());
    expect(res.correlationId).toBe(3);
    expect(res.body.topics.map((t) => t.name).sort()).toContain('listed');
    // The connection stays usable.
    c.send(encodeRequest(ApiKey.ApiVersions, 3, 4, 'raw', { clientSoftwareName: 't', clientSoftwareVersion: '1' }).subarray(4));
    expect(decodeResponseOf('ApiVersions', 3, await c.next()).body.errorCode).toBe(0);
    c.destroy();
    expect(env.broker.stats().requestTrailingBytes).toContainEqual({ api: 'Metadata', apiKey: 3, requests: before + 1, bytes: 3 * (before + 1) });
  });

  it('ignores trailing bytes after any API body (a Heartbeat v0 with 5 extra bytes gets its answer)', async () => {
    const c = await rawClient();
    const frame = encodeRequest(ApiKey.Heartbeat, 0, 9, 'raw', { groupId: 'nobody', generationId: 1, memberId: 'm' }).subarray(4);
    c.send(Buffer.concat([frame, Buffer.from('0102030405', 'hex')]));
    const res = decodeResponseOf('Heartbeat', 0, await c.next());
    expect(res.correlationId).toBe(9);
    c.destroy();
    expect(env.broker.stats().requestTrailingBytes).toContainEqual({ api: 'Heartbeat', apiKey: 12, requests: 1, bytes: 5 });
  });

  it('still closes the connection on a body that does not parse (truncated field, bad length, bad tagged fields)', async () => {
    const metadata = encodeRequest(ApiKey.Metadata, 12, 1, 'raw', { topics: [{ name: 'listed' }] }).subarray(4);
    const headerV2 = 4 + 4 + 2 + 3 + 1; // key, version, correlation id, client id "raw", header tags
    const bad = [
      metadata.subarray(0, metadata.length - 2), // truncated: the body's last fields are missing
      Buffer.concat([metadata.subarray(0, headerV2), Buffer.from([0x7f])]), // topics count 126 with nothing after it
      Buffer.concat([metadata.subarray(0, metadata.length - 1), Buffer.from([0x01, 0x05, 0x09])]), // one tagged field of 9 bytes, 0 present
    ];
    for (const frame of bad) {
      const c = await rawClient();
      c.send(frame);
      await c.closed; // no response, the broker hangs up
      await expect(c.next()).rejects.toThrow('connection closed');
    }
  });

  it.skipIf(skipRdkafka)('librdkafka 2.15.1 (@confluentinc/kafka-javascript) lists topics', async () => {
    const kafka = new ckjs!.KafkaJS.Kafka({ kafkaJS: { brokers: [`127.0.0.1:${env.broker.port}`], logLevel: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toContain('listed');
    } finally {
      await admin.disconnect();
    }
  });
});
