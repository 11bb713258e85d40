/**
 * The load generator against a real in-process broker on loopback: short runs with few
 * records. These check that the counts, bytes and result shape are right, never how fast
 * anything is (performance is measured by benchmarks, not asserted by tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerfResult } from '../../src/perf/index.js';
import { runConsume, runE2e, runProduce } from '../../src/perf/index.js';
import { CompressionCodec, DeflatedBatch, zstdBackend } from '../../src/format/index.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
let bootstrap: string;

beforeAll(async () => {
  env = await testBroker();
  bootstrap = `127.0.0.1:${env.broker.port}`;
});
afterAll(async () => {
  await env?.stop();
});

function expectSaneLatency(l: { count: number; minMs: number; p50Ms: number; p90Ms: number; p99Ms: number; p999Ms: number; maxMs: number }): void {
  expect(l.count).toBeGreaterThan(0);
  expect(l.minMs).toBeGreaterThan(0);
  expect(l.p50Ms).toBeGreaterThanOrEqual(l.minMs);
  expect(l.p90Ms).toBeGreaterThanOrEqual(l.p50Ms);
  expect(l.p99Ms).toBeGreaterThanOrEqual(l.p90Ms);
  expect(l.p999Ms).toBeGreaterThanOrEqual(l.p99Ms);
  expect(l.maxMs).toBeGreaterThanOrEqual(l.p999Ms);
}

/** Resolves once the topic's high watermarks add up to `records` (bounded: fails after 20 s). */
function waitForRecords(topic: string, records: number): Promise<void> {
  const engine = env.broker.engine;
  const total = () => engine.describeTopic(topic).partitions.reduce((n, p) => n + p.highWatermark, 0);
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      off();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const off = engine.onEndOffsetChange((t) => {
      if (t === topic && total() >= records) done();
    });
    const timer = setTimeout(() => done(new Error(`${topic}: ${total()} of ${records} records after 20 s`)), 20_000);
    if (engine.hasTopic(topic) && total() >= records) done();
  });
}

describe('produce then consume', () => {
  it('consumes exactly the records and batch bytes produced (3 partitions, keyed, lz4, 2 producers)', async () => {
    const p = await runProduce({ bootstrap, topic: 'pc', partitions: 3, records: 5000, recordSizeBytes: 64, keyDistribution: { kind: 'uniform', keys: 100 }, compression: 'lz4', producers: 2, batchSizeBytes: 4096 });
    expect(p.target).toMatchObject({ topic: 'pc', partitions: 3, topicCreated: true });
    expect(p.produce!.records).toBe(5000);
    expect(p.produce!.errors).toEqual({});
    expect(p.produce!.bytes).toBeGreaterThan(0);
    expect(p.produce!.payloadBytes).toBe(5000 * (64 + 2));
    expectSaneLatency(p.produce!.latencyMs!);
    expect(p.produce!.latencyMs!.count).toBe(p.produce!.batches);

    const c = await runConsume({ bootstrap, topic: 'pc', consumers: 2 });
    expect(c.consume!.records).toBe(5000);
    expect(c.consume!.bytes).toBe(p.produce!.bytes);
    expect(c.produce).toBeNull();
    expectSaneLatency(c.consume!.fetchLatencyMs);

    // --records stops consumers early; --from latest finds nothing new and times out.
    const some = await runConsume({ bootstrap, topic: 'pc', records: 10 });
    expect(some.consume!.records).toBeGreaterThanOrEqual(10);
    const none = await runConsume({ bootstrap, topic: 'pc', from: 'latest', durationS: 0.3, fetchMaxWaitMs: 50 });
    expect(none.consume!.records).toBe(0);
  });

  it.skipIf(zstdBackend === null)('--compression zstd: the batches are stored as zstd and e2e reads every record back (inflated)', async () => {
    const r = await runE2e({ bootstrap, topic: 'perf-zstd', partitions: 1, rate: 400, durationS: 0.5, recordSizeBytes: 200, compression: 'zstd', lingerMs: 5 });
    expect(r.produce!.errors).toEqual({});
    expect(r.consume!.records).toBe(r.produce!.records);
    expect(r.e2e).toMatchObject({ missing: 0, foreign: 0 });
    const stored = env.broker.engine.read('perf-zstd', 0, 0, 1 << 24).batches.flatMap((b) => [...DeflatedBatch.all(b)]);
    expect(stored.length).toBeGreaterThan(0);
    for (const b of stored) expect(b.compression).toBe(CompressionCodec.zstd);
  });

  it('acks=0 sends without responses and reports no produce latency', async () => {
    const p = await runProduce({ bootstrap, topic: 'acks0', records: 2000, acks: 0, recordSizeBytes: 10 });
    expect(p.produce!.records).toBe(2000);
    expect(p.produce!.latencyMs).toBeNull();
    // No acknowledgements: the produce can return before the broker has appended everything.
    await waitForRecords('acks0', 2000);
    const c = await runConsume({ bootstrap, topic: 'acks0' });
    expect(c.consume!.records).toBe(2000);
  });

  it('consume of a missing topic fails clearly', async () => {
    await expect(runConsume({ bootstrap, topic: 'no-such-topic' })).rejects.toThrow(/topic 'no-such-topic' does not exist/);
  });
});

describe('rate limiting and e2e', () => {
  it('e2e at a fixed low rate: every record arrives, percentiles are ordered and positive', async () => {
    const r: PerfResult = await runE2e({ bootstrap, topic: 'e2e', partitions: 2, rate: 500, durationS: 1, recordSizeBytes: 32, compression: 'gzip', lingerMs: 2 });
    expect(r.mode).toBe('e2e');
    const p = r.produce!;
    const c = r.consume!;
    // 500 rec/s for 1 s: the schedule fixes the count (whatever the timer jitter).
    expect(p.records).toBeGreaterThanOrEqual(495);
    expect(p.records).toBeLessThanOrEqual(501);
    expect(c.records).toBe(p.records);
    expect(r.e2e!.missing).toBe(0);
    expect(r.e2e!.foreign).toBe(0);
    expect(r.e2e!.latencyMs.count).toBe(p.records);
    expectSaneLatency(r.e2e!.latencyMs);
    expectSaneLatency(p.latencyMs!);
    // Roughly the rate asked for (loose: this is a shared 2-core machine).
    expect(p.recordsPerSec).toBeGreaterThan(250);
    expect(p.recordsPerSec).toBeLessThan(1000);
  });

  it('warmup records are sent but not counted', async () => {
    const r = await runProduce({ bootstrap, topic: 'warm', rate: 1000, warmupS: 0.3, durationS: 0.5, recordSizeBytes: 16 });
    expect(r.produce!.warmupRecords).toBeGreaterThan(200);
    // Warmup is decided per batch (by its due time), so the boundary batch may add a few.
    expect(r.produce!.records).toBeGreaterThan(400);
    expect(r.produce!.records).toBeLessThanOrEqual(530);
    const c = await runConsume({ bootstrap, topic: 'warm' });
    expect(c.consume!.records).toBe(r.produce!.records + r.produce!.warmupRecords);
  });

  it('an AbortSignal ends a run early with what was measured', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 300);
    const r = await runProduce({ bootstrap, topic: 'abort', rate: 200, durationS: 30 }, { signal: ctl.signal });
    expect(r.aborted).toBe(true);
    expect(r.produce!.records).toBeGreaterThan(0);
    expect(r.produce!.records).toBeLessThan(1000);
  });
});
