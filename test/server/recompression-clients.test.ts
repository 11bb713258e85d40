/**
 * compression.type with real clients: kafkajs and kcat (librdkafka) produce uncompressed to a
 * gzip / snappy / lz4 / uncompressed topic; the broker stores every batch in the topic's codec
 * (read back through the storage API); kafkajs and kcat consume the same records.
 */
import { execFile } from 'node:child_process';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeflatedBatch, decodeBatch } from '../../src/format/index.js';
import { testBroker } from '../helpers/broker.js';
import { hasKcat, skipKcat } from '../helpers/tools.js';


let env: Awaited<ReturnType<typeof testBroker>>;
let kafka: Kafka;

beforeAll(async () => {
  env = await testBroker({ defaultPartitions: 1 });
  kafka = new Kafka({ clientId: 'recompress', brokers: [`127.0.0.1:${env.broker.port}`], logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await env?.stop();
});

const CODEC_IDS = { uncompressed: 0, gzip: 1, snappy: 2, lz4: 3 } as const;
type Codec = keyof typeof CODEC_IDS;

async function createTopic(topic: string, codec: Codec): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: codec }] }] });
  } finally {
    await admin.disconnect();
  }
}

/** Codec and records of every stored batch, through the storage API. */
function storedBatches(topic: string) {
  const out: { codec: number; records: { offset: number; key: string | null; value: string; headers: Record<string, string> }[] }[] = [];
  for (const buf of env.broker.engine.read(topic, 0, 0, 1 << 26).batches) {
    for (const b of DeflatedBatch.all(buf)) {
      out.push({
        codec: b.compression,
        records: decodeBatch(b).records.map((r) => ({
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value!.toString(),
          headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value!.toString()])),
        })),
      });
    }
  }
  return out;
}

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', `127.0.0.1:${env.broker.port}`, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function consumeWithKafkajs(topic: string, count: number): Promise<{ offset: string; key: string | null; value: string; h: string | undefined }[]> {
  const consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: { offset: string; key: string | null; value: string; h: string | undefined }[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push({ offset: message.offset, key: message.key?.toString() ?? null, value: message.value!.toString(), h: message.headers?.h?.toString() });
        if (got.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return got;
}

describe('kafkajs produces uncompressed, the topic stores its own codec', () => {
  for (const codec of ['gzip', 'snappy', 'lz4', 'uncompressed'] as Codec[]) {
    it(`compression.type=${codec}`, async () => {
      const topic = `kjs-${codec}`;
      await createTopic(topic, codec);
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `value-${codec}-${i}`.repeat(1 + (i % 4)), headers: { h: `h${i}` } }));
      // Three batches of ten; the last one gzip from the producer, so an uncompressed topic recompresses too.
      for (let b = 0; b < 3; b++) {
        await producer.send({ topic, messages: sent.slice(b * 10, b * 10 + 10), ...(b === 2 ? { compression: CompressionTypes.GZIP } : {}) });
      }
      await producer.disconnect();

      const stored = storedBatches(topic);
      expect(stored.map((s) => s.codec)).toEqual([CODEC_IDS[codec], CODEC_IDS[codec], CODEC_IDS[codec]]);
      expect(stored.flatMap((s) => s.records)).toEqual(sent.map((m, i) => ({ offset: i, key: m.key, value: m.value, headers: m.headers })));

      if (codec === 'gzip' || codec === 'uncompressed') {
        // kafkajs decodes these codecs itself (snappy and lz4 need plugins it does not ship).
        const got = await consumeWithKafkajs(topic, sent.length);
        expect(got).toEqual(sent.map((m, i) => ({ offset: String(i), key: m.key, value: m.value, h: m.headers.h })));
      }
      if (hasKcat) {
        const out = await kcat(['-t', topic, '-C', '-e', '-o', 'beginning', '-f', '%o %k %s\\n']);
        expect(out.trim().split('\n')).toEqual(sent.map((m, i) => `${i} ${m.key} ${m.value}`));
      }
    });
  }
});

describe.skipIf(skipKcat)('kcat produces uncompressed, the topic stores its own codec', () => {
  for (const codec of ['gzip', 'snappy', 'lz4'] as Codec[]) {
    it(`compression.type=${codec}`, async () => {
      const topic = `kcat-${codec}`;
      await createTopic(topic, codec);
      const lines = Array.from({ length: 40 }, (_, i) => `key${i % 5}:kcat-${codec}-${i}`);
      await kcat(['-t', topic, '-P', '-K:', '-z', 'none'], lines.join('\n') + '\n');
      const stored = storedBatches(topic);
      expect(stored.length).toBeGreaterThan(0);
      expect(new Set(stored.map((s) => s.codec))).toEqual(new Set([CODEC_IDS[codec]]));
      expect(stored.flatMap((s) => s.records).map((r) => `${r.key}:${r.value}`)).toEqual(lines);
      const out = await kcat(['-t', topic, '-C', '-e', '-o', 'beginning', '-f', '%o %k %s\\n']);
      expect(out.trim().split('\n')).toEqual(lines.map((l, i) => `${i} ${l.replace(':', ' ')}`));
    });
  }
});
