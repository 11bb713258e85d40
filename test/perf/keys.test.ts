/** Key generation and partitioning of the load generator. */
import { describe, expect, it } from 'vitest';
import { Rng, keyIdSource, keyWidth, murmur2, partitionForKey, writeKey } from '../../src/perf/keys.js';
import { recordsPerBatch } from '../../src/perf/producer.js';
import { encodeBatch } from '../../src/format/index.js';

describe('murmur2', () => {
  it("matches Kafka's Utils.murmur2 test vectors", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [s, want] of cases) expect(murmur2(Buffer.from(s)), s).toBe(want);
    expect(partitionForKey(Buffer.from('foobar'), 7)).toBe((-790332482 & 0x7fffffff) % 7);
  });
});

describe('keys', () => {
  it('writes fixed-width decimal keys', () => {
    expect(keyWidth(1)).toBe(1);
    expect(keyWidth(1000)).toBe(3);
    expect(keyWidth(1001)).toBe(4);
    const b = Buffer.alloc(4);
    writeKey(b, 0, 4, 42);
    expect(b.toString()).toBe('0042');
  });

  it('uniform draws cover the key space evenly', () => {
    const src = keyIdSource({ kind: 'uniform', keys: 10 }, new Rng(7))!;
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) counts[src.next()]!++;
    for (const c of counts) expect(c).toBeGreaterThan(1500);
  });

  it('zipf draws stay in range and favour low ids', () => {
    const src = keyIdSource({ kind: 'zipf', keys: 1000, exponent: 0.99 }, new Rng(7))!;
    const counts = new Array<number>(1000).fill(0);
    for (let i = 0; i < 50_000; i++) {
      const id = src.next();
      expect(id >= 0 && id < 1000).toBe(true);
      counts[id]!++;
    }
    expect(counts[0]!).toBeGreaterThan(counts[10]!);
    expect(counts[0]!).toBeGreaterThan(50_000 / 20); // the hottest key is far above uniform (50)
    expect(keyIdSource({ kind: 'none' }, new Rng(1))).toBeNull();
  });

  it('recordsPerBatch keeps an uncompressed batch within --batch-size', () => {
    for (const [batch, size, key] of [
      [16384, 100, 0],
      [16384, 100, 6],
      [1000, 10, 3],
      [100, 1000, 0],
    ] as const) {
      const n = recordsPerBatch(batch, size, key);
      const bytes = encodeBatch({ records: Array.from({ length: n }, () => ({ key: key ? Buffer.alloc(key) : null, value: Buffer.alloc(size), timestamp: Date.now() })) });
      if (n > 1) expect(bytes.length).toBeLessThanOrEqual(batch);
      expect(n).toBeGreaterThanOrEqual(1);
    }
  });
});
