/**
 * zstd through the real broker: the KIP-110 Produce rule (v7+) and Fetch at every version with
 * Tributary's own protocol client, ListOffsets by time inside a zstd batch, the start-up log
 * line, and real clients producing zstd: kcat (librdkafka 2.0.2), a compacted topic fed zstd
 * batches by kcat, and librdkafka 2.15.1 (@confluentinc/kafka-javascript). kafkajs has no
 * built-in zstd and is not used here.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionCodec, DeflatedBatch, decodeBatch, encodeBatch, zstdBackend } from '../../src/format/index.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import type { Logger } from '../../src/logger.js';
import { KafkaErrorCode } from '../../src/protocol/index.js';
import { testBroker } from '../helpers/broker.js';
import { rdkafka, requireRdkafka, skipRdkafka } from '../helpers/rdkafka.js';
import { skipKcat } from '../helpers/tools.js';


const ckjs = rdkafka;

let env: Awaited<ReturnType<typeof testBroker>>;
let c: KafkaConnection;
const infoLines: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (obj, msg) => void infoLines.push({ obj: obj as Record<string, unknown>, msg }),
  warn: (obj, msg) => void infoLines.push({ obj: obj as Record<string, unknown>, msg }),
  error: () => undefined,
};

beforeAll(async () => {
  env = await testBroker({ defaultPartitions: 1, logger });
  c = await env.connect();
});
afterAll(async () => {
  await env?.stop();
});

const zstdBatch = (values: string[], timestamp0 = Date.now()) =>
  encodeBatch({ compression: 'zstd', records: values.map((v, i) => ({ key: Buffer.from(`k${i % 3}`), value: Buffer.from(v), timestamp: timestamp0 + i })) });
const plainBatch = (values: string[]) => encodeBatch({ records: values.map((v) => ({ key: Buffer.from('k'), value: Buffer.from(v) })) });

function produce(topic: string, records: Buffer, version: number) {
  return c.request('Produce', version, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
}

function fetch(topic: string, fetchOffset: number, version: number) {
  return c.request('Fetch', version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

/** The stored batches of partition 0 of `topic`, from offset 0. */
function stored(topic: string): DeflatedBatch[] {
  const out: DeflatedBatch[] = [];
  for (const buf of env.broker.engine.read(topic, 0, 0, 1 << 24).batches) out.push(...DeflatedBatch.all(buf));
  return out;
}

describe('the broker', () => {
  it('logs once at start which zstd backend it uses', () => {
    const listening = infoLines.filter((l) => l.msg === 'broker listening');
    expect(listening).toHaveLength(1);
    if (zstdBackend === 'native') expect(listening[0]!.obj.zstd).toMatch(/^native 1\.\d+\.\d+$/);
    else expect(listening[0]!.obj.zstd).toBe(zstdBackend ?? 'none');
  });
});

describe.skipIf(zstdBackend === null)('KIP-110 and versions', () => {
  it('Produce v3-v6 with a zstd batch is UNSUPPORTED_COMPRESSION_TYPE and writes nothing; v7 and v9 append it', async () => {
    for (const v of [3, 4, 5, 6]) {
      const r = await produce('zstd-versions', zstdBatch(['a', 'b']), v);
      expect(r.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE, baseOffset: -1 });
    }
    // Other codecs are fine at v3.
    expect((await produce('zstd-versions', plainBatch(['p']), 3)).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect((await produce('zstd-versions', zstdBatch(['c', 'd']), 7)).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 1 });
    expect((await produce('zstd-versions', zstdBatch(['e']), 9)).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(stored('zstd-versions').map((b) => b.compression)).toEqual([0, CompressionCodec.zstd, CompressionCodec.zstd]);
  });

  it('Fetch serves zstd batches as stored at every version, v4 included (kafka-python 2.0.2 fetches with v4 and reads zstd), as Kafka does for compression.type=producer', async () => {
    const topic = 'zstd-fetch';
    const z = zstdBatch(['z2', 'z3']);
    expect((await produce(topic, plainBatch(['p0', 'p1']), 9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect((await produce(topic, z, 9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect((await produce(topic, plainBatch(['p4']), 9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    for (const v of [4, 9, 10, 12]) {
      const p = (await fetch(topic, 0, v)).responses[0]!.partitions[0]!;
      expect(p.errorCode, `v${v}`).toBe(0);
      const batches = [...DeflatedBatch.all(p.records!)];
      expect(batches.map((b) => b.compression)).toEqual([0, CompressionCodec.zstd, 0]);
      expect(batches.flatMap((b) => decodeBatch(b).records.map((r) => r.value!.toString()))).toEqual(['p0', 'p1', 'z2', 'z3', 'p4']);
      // Byte for byte what the producer sent, but for what the log stamps: base offset and leader epoch (bytes 0-15, outside the CRC).
      expect(batches[1]!.bytes.subarray(16).equals(z.subarray(16))).toBe(true);
    }
  });
});

describe.skipIf(zstdBackend === null)('ListOffsets by time', () => {
  it('finds the exact record inside a zstd batch (the batch is inflated to look)', async () => {
    const t0 = 1_700_000_000_000;
    expect((await produce('zstd-time', zstdBatch(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'], t0), 9)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    for (const [ts, offset] of [
      [t0 - 1, 0],
      [t0 + 3, 3],
      [t0 + 6, 6],
      [t0 + 7, -1],
    ] as const) {
      const r = await c.request('ListOffsets', 4, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'zstd-time', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: ts }] }] });
      expect(r.topics[0]!.partitions[0], `timestamp ${ts}`).toMatchObject({ errorCode: 0, offset, timestamp: offset >= 0 ? t0 + offset : -1 });
    }
  });
});

function kcat(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', `127.0.0.1:${env.broker.port}`, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe.skipIf(skipKcat || zstdBackend === null)('kcat -z zstd (librdkafka 2.0.2)', () => {
  it('produces zstd batches (stored as codec 4) and consumes the same records back', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `key${i % 5}:value-zstd-${i} ${'the same words again and again '.repeat(3).trim()}`);
    const p = await kcat(['-t', 'kcat-zstd', '-P', '-K:', '-z', 'zstd'], lines.join('\n') + '\n');
    expect(p.stderr).not.toMatch(/error|fail/i);
    const batches = stored('kcat-zstd');
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(b.compression).toBe(CompressionCodec.zstd);
    const got = await kcat(['-t', 'kcat-zstd', '-C', '-e', '-o', 'beginning', '-f', '%o %k %s\\n']);
    expect(got.stderr).not.toMatch(/PROTOERR|parse failure|invalid|decompress/i);
    expect(got.stdout.trim().split('\n')).toEqual(lines.map((l, i) => `${i} ${l.replace(':', ' ')}`));
  });

  it('a compacted topic fed zstd batches by kcat keeps the latest value per key at its offset, tombstones dropped, batches still zstd', async () => {
    const topic = 'kcat-zstd-table';
    const created = await c.request('CreateTopics', 5, {
      topics: [
        {
          name: topic,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '1024' },
            { name: 'delete.retention.ms', value: '0' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          ],
        },
      ],
      timeoutMs: 1000,
    });
    expect(created.topics[0]!.errorCode).toBe(0);
    const pad = 'zstd compacted value padding '.repeat(4);
    const latest = new Map<string, { offset: number; value: string | null }>();
    let offset = 0;
    for (let round = 0; round < 8; round++) {
      // One kcat run = one zstd batch of the four keys; in the last round d is a tombstone (-Z: empty = NULL).
      const lines = ['a', 'b', 'c', 'd'].map((key) => `${key}:${key === 'd' && round === 7 ? '' : `${key}-${round} ${pad}`}`);
      await kcat(['-t', topic, '-P', '-K:', '-Z', '-z', 'zstd', '-X', 'linger.ms=50'], lines.join('\n') + '\n');
      for (const line of lines) {
        const [key, value] = line.split(':') as [string, string];
        latest.set(key, { offset: offset++, value: value === '' ? null : value });
      }
    }
    // Filler so every record above sits in a closed segment.
    for (let i = 0; i < 10; i++) await kcat(['-t', topic, '-P', '-K:', '-z', 'zstd'], `z:tail-${i} ${pad}\n`);
    const lastOffset = offset + 9;
    const before = stored(topic);
    expect(before.every((b) => b.compression === CompressionCodec.zstd)).toBe(true);

    await env.broker.engine.compact(topic, 0, { force: true }); // marks d's tombstone with its delete horizon
    await env.broker.engine.compact(topic, 0, { force: true }); // delete.retention.ms=0: drops it

    const after = stored(topic);
    expect(after.every((b) => b.compression === CompressionCodec.zstd)).toBe(true);
    expect(after.reduce((n, b) => n + b.recordCount, 0)).toBeLessThan(before.reduce((n, b) => n + b.recordCount, 0));
    const got = await kcat(['-t', topic, '-C', '-e', '-o', 'beginning', '-f', '%o %k %S %s\\n']);
    const seen = got.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [o, k, len, ...rest] = l.split(' ');
        return { offset: Number(o), key: k!, value: len === '-1' ? null : rest.join(' ') };
      });
    const expected = ['a', 'b', 'c'].map((key) => ({ key, ...latest.get(key)! })).sort((x, y) => x.offset - y.offset);
    expect(seen.filter((s) => s.key !== 'z')).toEqual(expected);
    expect(seen.at(-1)).toMatchObject({ key: 'z', offset: lastOffset });
    expect(seen.map((s) => s.offset)).toEqual([...seen.map((s) => s.offset)].sort((x, y) => x - y));
  });
});

interface RdProducer {
  connect(opts: object, cb: (err: unknown) => void): void;
  produce(topic: string, partition: number, value: Buffer, key: Buffer, timestamp: number): void;
  flush(timeoutMs: number, cb: (err: unknown) => void): void;
  disconnect(cb: () => void): void;
  on(ev: string, cb: (...args: unknown[]) => void): void;
  setPollInterval(ms: number): void;
}
interface RdConsumer {
  connect(opts: object, cb: (err: unknown) => void): void;
  assign(a: { topic: string; partition: number; offset: number }[]): void;
  consume(n: number, cb: (err: unknown, msgs: { offset: number; key?: Buffer; value: Buffer | null; timestamp: number }[]) => void): void;
  disconnect(cb: () => void): void;
}

describe.skipIf(skipRdkafka || zstdBackend === null)('@confluentinc/kafka-javascript (librdkafka 2.15.1), compression.codec=zstd', () => {
  it('produces zstd batches and consumes them back', async () => {
    const K = (ckjs ?? requireRdkafka()) as { Producer: new (c: object) => RdProducer; KafkaConsumer: new (c: object, t: object) => RdConsumer };
    const brokers = `127.0.0.1:${env.broker.port}`;
    const topic = 'ckjs-zstd';
    const n = 100;
    const value = (i: number) => Buffer.from(`ckjs zstd value ${i} ${'repeated text for compression '.repeat(4)}`);
    const t0 = 1_700_000_000_000;

    const p = new K.Producer({ 'metadata.broker.list': brokers, 'compression.codec': 'zstd', 'linger.ms': 20, dr_cb: true });
    // Connect with this topic's metadata only (no all-topics request).
    await new Promise<void>((resolve, reject) => p.connect({ topic, allTopics: false, timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
    let delivered = 0;
    const errors: unknown[] = [];
    const done = new Promise<void>((resolve) =>
      p.on('delivery-report', (err) => {
        if (err) errors.push(err);
        if (++delivered === n) resolve();
      }),
    );
    p.setPollInterval(20);
    for (let i = 0; i < n; i++) p.produce(topic, 0, value(i), Buffer.from(`k${i % 7}`), t0 + i);
    await new Promise<void>((resolve, reject) => p.flush(10_000, (err) => (err ? reject(err) : resolve())));
    await done;
    await new Promise<void>((resolve) => p.disconnect(() => resolve()));
    expect(errors).toEqual([]);
    const batches = stored(topic);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(b.compression).toBe(CompressionCodec.zstd);

    const consumer = new K.KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': 'ckjs-zstd', 'enable.auto.commit': false }, {});
    await new Promise<void>((resolve, reject) => consumer.connect({ topic, allTopics: false, timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
    consumer.assign([{ topic, partition: 0, offset: 0 }]);
    const got: { offset: number; key: string; value: string; timestamp: number }[] = [];
    const deadline = Date.now() + 20_000;
    while (got.length < n && Date.now() < deadline) {
      const msgs = await new Promise<Parameters<Parameters<RdConsumer['consume']>[1]>[1]>((resolve, reject) => consumer.consume(50, (err, m) => (err ? reject(err) : resolve(m))));
      for (const m of msgs) got.push({ offset: m.offset, key: m.key!.toString(), value: m.value!.toString(), timestamp: m.timestamp });
    }
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    expect(got).toEqual(Array.from({ length: n }, (_, i) => ({ offset: i, key: `k${i % 7}`, value: value(i).toString(), timestamp: t0 + i })));
  });
});
