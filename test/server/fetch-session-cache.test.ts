/**
 * The fetch session cache (KIP-227) against a model: random creations, uses, growth,
 * removals and the passing of time, on the real FetchSessionCache and on a model that states
 * Kafka's eviction rules as plainly as possible (sort, take the first); after every step both
 * hold the same sessions, the same partition count and the same counters. Plus the session's
 * own rules: epochs, updates, which partitions a response must carry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CachedPartition, FetchSessionCacheSettings } from '../../src/server/fetch-session-cache.js';
import { FINAL_EPOCH, FetchSession, FetchSessionCache, nextEpoch, partitionKeyOf } from '../../src/server/fetch-session-cache.js';

const params = { fetchOffset: 0, partitionMaxBytes: 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 };
const partitions = (n: number, topic = 't'): CachedPartition[] => Array.from({ length: n }, (_, i) => ({ topic, partition: i, ...params, highWatermark: -1, localLogStartOffset: -1 }));

interface ModelSession {
  id: number;
  created: number;
  lastUsed: number;
  size: number;
  /** The size when last touched (what eviction looks at). */
  cachedSize: number;
  evictableByAll: boolean;
}

/** Kafka's FetchSessionCache rules for unprivileged sessions, plus Tributary's partition bounds. */
class Model {
  sessions: ModelSession[] = [];
  created = 0;
  evictions = 0;
  refused = 0;
  constructor(readonly s: FetchSessionCacheSettings) {}

  total(): number {
    return this.sessions.reduce((n, x) => n + x.cachedSize, 0);
  }

  create(id: number, size: number, now: number): boolean {
    if (size > this.s.partitionsMax || size > this.s.totalPartitionsMax || this.s.slots <= 0) {
      this.refused++;
      return false;
    }
    while (this.sessions.length >= this.s.slots || this.total() + size > this.s.totalPartitionsMax) {
      const lru = [...this.sessions].sort((a, b) => a.lastUsed - b.lastUsed || a.id - b.id)[0];
      const small = this.sessions.filter((x) => x.evictableByAll).sort((a, b) => a.cachedSize - b.cachedSize || a.id - b.id)[0];
      const victim = lru && now - lru.lastUsed > this.s.evictionMs ? lru : small && size > small.cachedSize ? small : undefined;
      if (!victim) {
        this.refused++;
        return false;
      }
      this.sessions = this.sessions.filter((x) => x !== victim);
      this.evictions++;
    }
    const x: ModelSession = { id, created: now, lastUsed: now, size, cachedSize: size, evictableByAll: false };
    this.sessions.push(x);
    this.created++;
    this.touch(x, now);
    return true;
  }

  touch(x: ModelSession, now: number): void {
    x.lastUsed = now;
    x.cachedSize = x.size;
    x.evictableByAll = now - x.created > this.s.evictionMs;
  }
}

type Op = { kind: 'create'; size: number } | { kind: 'use'; pick: number; grow: number } | { kind: 'remove'; pick: number } | { kind: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('create' as const), size: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('use' as const), pick: fc.nat(), grow: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 90, max: 130 }), fc.constantFrom(50, 100, 101)) }) },
);

describe('FetchSessionCache against a model of Kafka eviction', () => {
  it('holds the same sessions, partitions and counters after every step', () => {
    fc.assert(
      fc.property(
        fc.record({ slots: fc.integer({ min: 0, max: 5 }), partitionsMax: fc.integer({ min: 1, max: 10 }), totalPartitionsMax: fc.integer({ min: 10, max: 30 }) }),
        fc.array(opArb, { minLength: 1, maxLength: 80 }),
        (bounds, ops) => {
          const settings: FetchSessionCacheSettings = { ...bounds, evictionMs: 100 };
          let nextId = 1;
          const cache = new FetchSessionCache(settings, () => nextId);
          const model = new Model(settings);
          const live = new Map<number, FetchSession>();
          let now = 1_000;
          for (const op of ops) {
            if (op.kind === 'create') {
              const s = cache.maybeCreate(now, false, partitions(op.size));
              const ok = model.create(nextId, op.size, now);
              expect(s !== null, `create ${op.size}`).toBe(ok);
              if (s) {
                expect(s.id).toBe(nextId);
                expect(s.epoch).toBe(1);
                live.set(s.id, s);
              }
              nextId++;
            } else if (op.kind === 'use' || op.kind === 'remove') {
              if (model.sessions.length === 0) continue;
              const m = model.sessions[op.pick % model.sessions.length]!;
              const s = cache.get(m.id)!;
              if (op.kind === 'remove') {
                expect(cache.remove(s)).toBe(true);
                model.sessions = model.sessions.filter((x) => x !== m);
              } else {
                if (!cache.fitsGrowth(s, s.size + op.grow)) continue; // the fetch path closes such a session instead
                s.update(partitions(op.grow, `g${now}-${op.pick}`).map((p) => ({ topic: p.topic, partition: p.partition, params })), []);
                m.size += op.grow;
                cache.touch(s, now);
                model.touch(m, now);
              }
            } else {
              now += op.ms;
            }
            expect([...live.keys()].filter((id) => cache.get(id) !== undefined).sort((a, b) => a - b)).toEqual(model.sessions.map((x) => x.id).sort((a, b) => a - b));
            expect(cache.stats()).toEqual({ sessions: model.sessions.length, partitionsCached: model.total(), created: model.created, evictions: model.evictions, refused: model.refused });
            expect(cache.size).toBeLessThanOrEqual(Math.max(settings.slots, 0));
            expect(cache.stats().partitionsCached).toBeLessThanOrEqual(settings.totalPartitionsMax);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Kafka examples: a stale session gives way; a young one does not; a larger session evicts the smallest old one', () => {
    let id = 0;
    const cache = new FetchSessionCache({ slots: 2, partitionsMax: 100, totalPartitionsMax: 1000, evictionMs: 100 }, () => ++id);
    const a = cache.maybeCreate(0, false, partitions(3))!;
    const b = cache.maybeCreate(0, false, partitions(5))!;
    expect(cache.maybeCreate(50, false, partitions(10))).toBeNull(); // both young, neither stale
    cache.touch(a, 150);
    cache.touch(b, 150); // both older than 100 ms now, neither stale
    expect(cache.maybeCreate(160, false, partitions(3))).toBeNull(); // not larger than the smallest (a, 3)
    const c = cache.maybeCreate(160, false, partitions(4))!; // evicts a
    expect([cache.get(a.id), cache.get(b.id), cache.get(c.id)]).toEqual([undefined, b, c]);
    const d = cache.maybeCreate(251, false, partitions(1))!; // b unused for 101 ms: stale
    expect(cache.get(b.id)).toBeUndefined();
    expect(cache.get(d.id)).toBe(d);
    expect(cache.stats()).toMatchObject({ sessions: 2, partitionsCached: 5, created: 4, evictions: 2, refused: 2 });
    // The bounds are strict, as in Kafka: exactly evictionMs old is not old enough.
    const edge = new FetchSessionCache({ slots: 1, evictionMs: 100 }, () => 1000 + ++id);
    const e = edge.maybeCreate(0, false, partitions(1))!;
    edge.touch(e, 100);
    expect(edge.maybeCreate(200, false, partitions(5))).toBeNull(); // e: 100 ms old when touched, unused for 100 ms
    expect(edge.maybeCreate(201, false, partitions(5))).not.toBeNull(); // unused for 101 ms: stale
    // Zero slots: no sessions at all (Kafka's max.incremental.fetch.session.cache.slots=0).
    expect(new FetchSessionCache({ slots: 0 }).maybeCreate(0, false, partitions(1))).toBeNull();
  });
});

describe('FetchSession', () => {
  it('epochs start at 1 after the initial 0, move on by one, wrap from INT32_MAX to 1, and stay final', () => {
    expect(new FetchSession(7, false, 0).epoch).toBe(1);
    expect(nextEpoch(1)).toBe(2);
    expect(nextEpoch(0x7fffffff)).toBe(1);
    expect(nextEpoch(FINAL_EPOCH)).toBe(FINAL_EPOCH);
    expect(nextEpoch(-5)).toBe(FINAL_EPOCH);
  });

  it('updates add, change and forget partitions; a response carries what changed; records move a partition to the end', () => {
    const s = new FetchSession(1, false, 0);
    const p = (partition: number, fetchOffset = 0) => ({ topic: 't', partition, params: { ...params, fetchOffset } });
    expect(s.update([p(0), p(1), p(2)], [])).toBe(3);
    expect(s.update([p(1, 9)], [{ topic: 't', partition: 2 }, { topic: 't', partition: 7 }])).toBe(0);
    expect([...s.partitions.values()].map((c) => [c.partition, c.fetchOffset])).toEqual([[0, 0], [1, 9]]);

    const k0 = partitionKeyOf('t', 0);
    const k1 = partitionKeyOf('t', 1);
    const quiet = { errorCode: 0, highWatermark: 5, logStartOffset: 0, recordBytes: 0 };
    expect(s.mustRespond(k0, quiet, true)).toBe(true); // first news of its high watermark
    expect(s.mustRespond(k0, quiet, true)).toBe(false); // nothing new
    expect(s.mustRespond(k0, { ...quiet, highWatermark: 6 }, false)).toBe(true); // a peek does not update
    expect(s.mustRespond(k0, { ...quiet, highWatermark: 6 }, true)).toBe(true);
    expect(s.mustRespond(k0, { ...quiet, highWatermark: 6, logStartOffset: 2 }, true)).toBe(true);
    expect(s.mustRespond(k0, { ...quiet, highWatermark: 6, logStartOffset: 2, errorCode: 1 }, true)).toBe(true);
    // After an error the partition is sent again when it clears, even with the same values.
    expect(s.mustRespond(k0, { ...quiet, highWatermark: 6, logStartOffset: 2 }, true)).toBe(true);
    expect(s.mustRespond(k0, { ...quiet, highWatermark: 6, logStartOffset: 2 }, true)).toBe(false);
    expect([...s.partitions.keys()]).toEqual([k0, k1]);
    expect(s.mustRespond(k0, { ...quiet, highWatermark: 6, logStartOffset: 2, recordBytes: 10 }, true)).toBe(true);
    expect([...s.partitions.keys()]).toEqual([k1, k0]);
  });
});
