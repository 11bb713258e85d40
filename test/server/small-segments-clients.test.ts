/**
 * Issue 9's reproduction with real consumers: a partition of many 64 KiB segments holding
 * 1,500 one-record batches of mixed sizes (10 B to 30 KiB), read from offset 0 with small and
 * large per-partition fetch sizes by librdkafka 2.15 (max.partition.fetch.bytes 1, 4, 16 and
 * 100 KiB), kcat (librdkafka 2.0.2) and kafkajs. Before the fix every one of them saw a gap
 * where a read that ran out of budget inside a segment jumped to the next one.
 */
import { execFile } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/index.js';
import { testBroker } from '../helpers/broker.js';
import { rdkafkaReadPartition, skipRdkafka } from '../helpers/rdkafka.js';
import { skipKcat } from '../helpers/tools.js';

const TOPIC = 'small-segments';
const COUNT = 1500;
let env: Awaited<ReturnType<typeof testBroker>>;
let brokers: string;

/**
 * Value sizes from 10 B to 30 KiB, log-uniform from a fixed-seed generator: budgets run out
 * anywhere in a segment and the next segment often starts with a small batch (with this seed
 * the old read skipped records 2, 11, 23 and 15 times at 1, 4, 16 and 100 KiB).
 */
const sizes = (() => {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: COUNT }, () => Math.round(10 * Math.pow(3072, next())));
})();
const value = (i: number) => `${i}:`.padEnd(sizes[i]!, 'x');

beforeAll(async () => {
  env = await testBroker();
  brokers = `127.0.0.1:${env.broker.port}`;
  await env.broker.engine.createTopic(TOPIC, { partitions: 1, config: { 'segment.bytes': String(64 * 1024) } });
  for (let i = 0; i < COUNT; i++) {
    await env.broker.engine.append(TOPIC, 0, encodeBatch({ records: [{ key: Buffer.from(`k${i}`), value: Buffer.from(value(i)) }] }));
  }
  expect(env.broker.engine.describeTopic(TOPIC).partitions[0]!.segments).toBeGreaterThan(50);
});
afterAll(async () => {
  await env?.stop();
});

/** Asserts offsets 0..COUNT-1 in order, each once, with the values produced. */
function expectAll(got: { offset: number; value: string }[]): void {
  const gaps = got.filter((m, i) => m.offset !== i).slice(0, 3);
  expect(gaps, 'first out-of-place offsets').toEqual([]);
  expect(got.length).toBe(COUNT);
  for (const m of got) expect(m.value === value(m.offset), `value at ${m.offset}`).toBe(true);
}

describe.skipIf(skipRdkafka)('librdkafka 2.15 over many small segments', () => {
  for (const kib of [1, 4, 16, 100]) {
    it(`reads every record with max.partition.fetch.bytes=${kib} KiB`, async () => {
      const got = await rdkafkaReadPartition(brokers, TOPIC, 0, 0, COUNT - 1, { 'max.partition.fetch.bytes': kib * 1024, 'fetch.max.bytes': Math.max(kib * 1024, 1 << 20) });
      expectAll(got.map((m) => ({ offset: m.offset, value: m.value!.toString() })));
    });
  }
});

describe.skipIf(skipKcat)('kcat (librdkafka 2.0.2) over many small segments', () => {
  for (const kib of [1, 16]) {
    it(`reads every record with fetch.message.max.bytes=${kib} KiB`, async () => {
      const out = await new Promise<string>((resolve, reject) =>
        execFile('kcat', ['-b', brokers, '-t', TOPIC, '-C', '-e', '-o', 'beginning', '-X', `fetch.message.max.bytes=${kib * 1024}`, '-f', '%o %s\\n'], { maxBuffer: 64 << 20, timeout: 60_000 }, (err, stdout, stderr) =>
          err ? reject(Object.assign(err, { stderr })) : resolve(stdout),
        ),
      );
      const got = out
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => ({ offset: Number(l.slice(0, l.indexOf(' '))), value: l.slice(l.indexOf(' ') + 1) }));
      expectAll(got);
    });
  }
});

describe('kafkajs over many small segments', () => {
  for (const kib of [4, 100]) {
    it(`reads every record with maxBytesPerPartition=${kib} KiB`, async () => {
      const kafka = new Kafka({ clientId: 'small-segments', brokers: [brokers], logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `small-segments-${kib}`, maxBytesPerPartition: kib * 1024, maxBytes: Math.max(kib * 1024, 1 << 20) });
      await consumer.connect();
      const got: { offset: number; value: string }[] = [];
      try {
        await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`kafkajs read ${got.length} of ${COUNT} in 30 s`)), 30_000);
          void consumer.run({
            eachMessage: async ({ message }) => {
              got.push({ offset: Number(message.offset), value: message.value!.toString() });
              if (Number(message.offset) === COUNT - 1) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
      } finally {
        await consumer.disconnect();
      }
      expectAll(got);
    });
  }
});
