// Log compaction (src/storage/log-cleaner.ts, src/workers/compaction.ts, segment-swap.ts):
// latest value per key with offsets unchanged, tombstones and their delete horizon, the
// cleanable range (active segment, min.compaction.lag.ms, dirty ratio), compressed batches,
// the worker pool, keyless records, and recovery from every swap state and from SIGKILLs.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import type { TributaryError } from '../../src/errors.js';
import { encodeBatch } from '../../src/format/batch-builder.js';
import type { BatchInput } from '../../src/format/batch-builder.js';
import { decodeBatch } from '../../src/format/inflated-batch.js';
import { DELETE_HORIZON_FLAG_MASK, DeflatedBatch } from '../../src/format/record-batch.js';
import type { StorageEngine } from '../../src/storage/index.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { BACKENDS, openEngine, rmDir, segmentFiles, tmpDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const T = 'c';

interface KRec {
  offset: number;
  key: string;
  value: string | null;
  timestamp: number;
}

type Entry = [key: string, value: string | null];

function kbatch(entries: Entry[], opts: { ts?: number; compression?: BatchInput['compression']; producerId?: number } = {}): Buffer {
  return encodeBatch({
    records: entries.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp: opts.ts ?? 1_000 })),
    ...(opts.compression ? { compression: opts.compression } : {}),
    ...(opts.producerId !== undefined ? { producerId: opts.producerId, producerEpoch: 0, baseSequence: 0 } : {}),
  });
}

/** Every record from the log start to the high watermark, tombstones included; batches as read. */
function readKeyed(engine: StorageEngine, topic = T): { records: KRec[]; batches: DeflatedBatch[] } {
  const records: KRec[] = [];
  const batches: DeflatedBatch[] = [];
  let offset = engine.listOffsets(topic, 0, 'earliest').offset;
  const hw = engine.listOffsets(topic, 0, 'latest').offset;
  while (offset < hw) {
    const r = engine.read(topic, 0, offset, 1 << 20);
    let next = offset;
    for (const buf of r.batches) {
      for (const b of DeflatedBatch.all(buf)) {
        if (b.lastOffset < offset) continue;
        batches.push(b);
        for (const rec of decodeBatch(b).records) {
          if (rec.offset >= offset) records.push({ offset: rec.offset, key: rec.key!.toString(), value: rec.value === null ? null : rec.value.toString(), timestamp: rec.timestamp });
        }
        next = b.lastOffset + 1;
      }
    }
    if (next === offset) break;
    offset = next;
  }
  return { records, batches };
}

/** What compaction of the records below `cleanEnd` must leave: the latest record per key there, everything at or after it. */
function compacted(all: KRec[], cleanEnd: number): KRec[] {
  const latest = new Map<string, number>();
  for (const r of all) if (r.offset < cleanEnd) latest.set(r.key, r.offset);
  return all.filter((r) => r.offset >= cleanEnd || latest.get(r.key) === r.offset);
}

function baseOffsets(dir: string, topic = T): number[] {
  return segmentFiles(dir, topic).map((f) => Number(f.slice(0, 20)));
}

describe.each(BACKENDS)('log compaction (%s backend)', (backend) => {
  let dir: string;
  let now: number;
  let engine: StorageEngine;
  const open = (extra = {}) => openEngine(dir, backend, { clock: () => now, cleanerCheckIntervalMs: 3_600_000, ...extra });

  beforeEach(async () => {
    dir = tmpDir('tributary-cleaner-');
    now = 1_000_000;
    engine = await open();
  });
  afterEach(async () => {
    await engine.close().catch(() => undefined);
    rmDir(dir);
  });

  it('keeps exactly the latest record per key, offsets unchanged, the active segment untouched', async () => {
    await engine.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 600, 'index.interval.bytes': 100 } });
    for (let i = 0; i < 60; i++) {
      const entries: Entry[] = Array.from({ length: 1 + (i % 3) }, (_, j) => [`k${(i * 7 + j) % 9}`, `v${i}.${j}`]);
      await engine.append(T, 0, kbatch(entries, { ts: 1_000 + i }));
    }
    const before = readKeyed(engine).records;
    const bases = baseOffsets(dir);
    expect(bases.length).toBeGreaterThan(4);
    const activeBase = bases[bases.length - 1]!;
    const activeFile = path.join(dir, `${T}-0`, segmentFiles(dir, T).at(-1)!);
    const activeBytes = fs.readFileSync(activeFile);
    const start = engine.listOffsets(T, 0, 'earliest').offset;
    const end = engine.listOffsets(T, 0, 'latest').offset;

    const [res] = await engine.compact();
    expect(res).toMatchObject({ topic: T, partition: 0, kind: 'full', firstDirtyOffset: 0, cleanedUpToOffset: activeBase });
    expect(res!.recordsRemoved).toBeGreaterThan(0);
    const expected = compacted(before, activeBase);
    expect(readKeyed(engine).records).toEqual(expected);
    expect(fs.readFileSync(activeFile).equals(activeBytes)).toBe(true);
    expect(baseOffsets(dir)).toEqual(bases); // one cleaned segment per segment, same base offsets
    expect(engine.listOffsets(T, 0, 'earliest').offset).toBe(start);
    expect(engine.listOffsets(T, 0, 'latest').offset).toBe(end);
    expect(fs.readdirSync(path.join(dir, `${T}-0`)).filter((f) => /cleaned|swap/.test(f))).toEqual([]);

    // Reads from every surviving offset find its batch (offset index of the new segments).
    for (const r of expected) {
      const got = engine.read(T, 0, r.offset, 1);
      const first = DeflatedBatch.at(got.batches[0]!, 0)!;
      expect(first.baseOffset).toBeLessThanOrEqual(r.offset);
      expect(first.lastOffset).toBeGreaterThanOrEqual(r.offset);
    }
    // A second pass finds nothing dirty; appends continue at the same end.
    expect(await engine.compact()).toEqual([]);
    expect((await engine.append(T, 0, kbatch([['k1', 'after']]))).baseOffset).toBe(end);

    // Clean and unclean reopen: same records (indexes and the checkpoint hold up).
    await engine.close();
    engine = await open();
    expect(readKeyed(engine).records).toEqual([...expected, { offset: end, key: 'k1', value: 'after', timestamp: expect.any(Number) }]);
    expect(engine.listOffsets(T, 0, 1_000 + 59).offset).toBe(before.find((r) => r.timestamp >= 1_059)!.offset);
  });

  it('keeps tombstones until delete.retention.ms after their first cleaning, then drops them', async () => {
    await engine.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 300, 'delete.retention.ms': 10_000 } });
    await engine.append(T, 0, kbatch([['a', 'a1'], ['b', 'b1']], { ts: 5_000 }));
    await engine.append(T, 0, kbatch([['a', null], ['c', 'c1']], { ts: 6_000 }));
    for (let i = 0; i < 12; i++) await engine.append(T, 0, kbatch([[`f${i}`, 'x'.repeat(40)]], { ts: 7_000 }));
    const t0 = now;
    await engine.compact();
    let recs = readKeyed(engine);
    expect(recs.records.filter((r) => r.key === 'a')).toEqual([{ offset: 2, key: 'a', value: null, timestamp: 6_000 }]);
    // Kafka 3.x delete horizon: bit 0x40, baseTimestamp = cleaning time + delete.retention.ms.
    const tb = recs.batches.find((b) => b.baseOffset === 2)!;
    expect(tb.attributes & DELETE_HORIZON_FLAG_MASK).toBe(DELETE_HORIZON_FLAG_MASK);
    expect(tb.baseTimestamp).toBe(t0 + 10_000);
    expect(tb.maxTimestamp).toBe(6_000);

    now = t0 + 10_000 - 1;
    expect(await engine.compact()).toEqual([]);
    expect(await engine.compact(T, 0, { force: true })).toHaveLength(1);
    expect(readKeyed(engine).records.some((r) => r.key === 'a')).toBe(true);

    now = t0 + 10_000;
    const [res] = await engine.compact();
    expect(res).toMatchObject({ kind: 'tombstones', tombstonesRemoved: 1 });
    recs = readKeyed(engine);
    expect(recs.records.some((r) => r.key === 'a')).toBe(false);
    expect(recs.records.find((r) => r.key === 'c')).toEqual({ offset: 3, key: 'c', value: 'c1', timestamp: 6_000 });
    expect(recs.records.find((r) => r.key === 'b')).toEqual({ offset: 1, key: 'b', value: 'b1', timestamp: 5_000 });
  });

  it('respects min.compaction.lag.ms at its boundary (segment largest timestamp)', async () => {
    const one = (ts: number) => kbatch([['k', `v${ts}`]], { ts });
    await engine.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 2 * one(1_000).length, 'min.compaction.lag.ms': 5_000 } });
    // Three segments of two batches each: timestamps 1000, 2000, then the active one.
    for (const ts of [1_000, 1_000, 2_000, 2_000, 3_000]) await engine.append(T, 0, one(ts));
    const bases = baseOffsets(dir);
    expect(bases).toEqual([0, 2, 4]);
    now = 2_000 + 5_000 - 1;
    const [early] = await engine.compact(T, 0, { force: true });
    expect(early!.cleanedUpToOffset).toBe(2); // the 2000 segment is too young by 1 ms
    expect(readKeyed(engine).records.map((r) => r.offset)).toEqual([1, 2, 3, 4]);
    now = 2_000 + 5_000;
    const [later] = await engine.compact(T, 0, { force: true });
    expect(later!.cleanedUpToOffset).toBe(4);
    expect(readKeyed(engine).records.map((r) => r.offset)).toEqual([3, 4]); // never the active segment
  });

  it('cleans only when the dirty ratio is above min.cleanable.dirty.ratio (Kafka: strictly)', async () => {
    // Every batch has the same size and its own key, so cleaning removes nothing and sizes are exact.
    const one = (i: number) => kbatch([[`key${String(i).padStart(4, '0')}`, 'value']]);
    const size = one(0).length;
    await engine.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 2 * size } });
    let n = 0;
    const append = async (count: number) => {
      for (let i = 0; i < count; i++) await engine.append(T, 0, one(n++));
    };
    await append(5); // [0,1] [2,3] | active [4]
    expect(await engine.compact()).toHaveLength(1); // all dirty: ratio 1
    await append(4); // [4,5] [6,7] | active [8]: dirty 4 of 8 batches = 0.5
    expect(await engine.compact()).toEqual([]);
    await engine.alterTopicConfig(T, { 'min.cleanable.dirty.ratio': '0.49' });
    const [res] = await engine.compact();
    expect(res).toMatchObject({ firstDirtyOffset: 4, cleanedUpToOffset: 8, recordsRemoved: 0, segmentsRewritten: 0 });
    await engine.alterTopicConfig(T, { 'min.cleanable.dirty.ratio': '0.5' });
    await append(2); // [8,9] | active [10]: dirty 2 of 10
    expect(await engine.compact()).toEqual([]);
    await append(10); // dirty 12 of 20 = 0.6
    expect(await engine.compact()).toHaveLength(1);
    expect(readKeyed(engine).records).toHaveLength(n);
  });

  it.each(['gzip', 'lz4'] as const)('compacts %s batches: decompressed, filtered, recompressed with the same codec', async (compression) => {
    await engine.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 400, 'delete.retention.ms': 0 } });
    for (let i = 0; i < 30; i++) {
      const entries: Entry[] = Array.from({ length: 5 }, (_, j) => [`k${(i + j) % 7}`, i === 20 && j === 0 ? null : `v${i}.${j}`]);
      await engine.append(T, 0, kbatch(entries, { compression, ts: 10_000 + i, producerId: 42 }));
    }
    const before = readKeyed(engine).records;
    const activeBase = baseOffsets(dir).at(-1)!;
    await engine.compact();
    const after = readKeyed(engine);
    // Tombstones were kept by the first pass (horizon now + 0), dropped by the next.
    expect(after.records).toEqual(compacted(before, activeBase));
    for (const b of after.batches) {
      expect(b.compression).toBe(compression === 'gzip' ? 1 : 3);
      expect(b.producerId).toBe(42);
      b.verifyCrc();
    }
    await engine.compact(T, 0, { force: true });
    const tomb = compacted(before, activeBase).filter((r) => r.value === null && r.offset < activeBase);
    const final = readKeyed(engine).records;
    for (const t of tomb) expect(final.some((r) => r.offset === t.offset)).toBe(false);
    expect(final.filter((r) => r.value !== null)).toEqual(compacted(before, activeBase).filter((r) => r.value !== null));
  });

  it('rejects keyless records in compacted topics with INVALID_BATCH; config rules', async () => {
    await engine.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact,delete' } });
    const keyless = (compression?: BatchInput['compression']) =>
      encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }, { value: Buffer.from('no key') }], ...(compression ? { compression } : {}) });
    for (const c of [undefined, 'gzip'] as const) {
      const err = await engine.append(T, 0, keyless(c)).catch((e: unknown) => e);
      expect(isTributaryError(err, 'INVALID_BATCH')).toBe(true);
      expect((err as Error).message).toMatch(/without key/);
      // KIP-467: the one keyless record is named, by its index in the batch.
      expect((err as TributaryError).context.recordErrors).toEqual([{ batchIndex: 1, message: 'Compacted topic cannot accept message without key in topic partition c-0.' }]);
    }
    expect(engine.listOffsets(T, 0, 'latest').offset).toBe(0);
    await engine.createTopic('plain', { partitions: 1 });
    expect((await engine.append('plain', 0, keyless())).baseOffset).toBe(0);
    expect(engine.describeTopic(T).config['cleanup.policy']!.value).toBe('compact,delete');
    const invalid = (set: Record<string, string | number>) => {
      try {
        engine.validateTopicConfig(set);
        return false;
      } catch (err) {
        return isTributaryError(err, 'INVALID_CONFIG');
      }
    };
    expect(invalid({ 'cleanup.policy': 'delete,compact' })).toBe(false);
    expect(invalid({ 'cleanup.policy': 'compact' })).toBe(false);
    expect(invalid({ 'cleanup.policy': 'compacted' })).toBe(true);
    // Repeats are dropped (KIP-1161), as Kafka 3.x accepts them.
    expect(invalid({ 'cleanup.policy': 'compact,compact' })).toBe(false);
    expect(invalid({ 'cleanup.policy': '' })).toBe(false);
    expect(invalid({ 'min.cleanable.dirty.ratio': '1.01' })).toBe(true);
    expect(invalid({ 'min.cleanable.dirty.ratio': '0' })).toBe(false);
    expect(invalid({ 'min.compaction.lag.ms': -1 })).toBe(true);
    expect(invalid({ 'max.compaction.lag.ms': 0 })).toBe(true);
    expect(invalid({ 'delete.retention.ms': 0 })).toBe(false);
    await expect(engine.createTopic('lags', { partitions: 1, config: { 'min.compaction.lag.ms': 10, 'max.compaction.lag.ms': 5 } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(engine.alterTopicConfig(T, { 'max.compaction.lag.ms': 5, 'min.compaction.lag.ms': 6 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('a compact-only topic is not subject to retention.ms; compact,delete is', async () => {
    for (const [name, policy] of [['only', 'compact'], ['both', 'compact,delete']] as const) {
      await engine.createTopic(name, { partitions: 1, config: { 'cleanup.policy': policy, 'segment.bytes': 200, 'retention.ms': 1_000 } });
      for (let i = 0; i < 5; i++) await engine.append(name, 0, kbatch([[`k${i}`, 'v'.repeat(60)]], { ts: 1_000 }));
    }
    await engine.enforceRetention();
    expect(engine.listOffsets('only', 0, 'earliest').offset).toBe(0);
    expect(engine.listOffsets('both', 0, 'earliest').offset).toBeGreaterThan(0);
  });
});

describe('log compaction on the worker pool', () => {
  let pool: WorkerPool;
  let dir: string;
  beforeAll(() => {
    pool = new WorkerPool({ threads: 1 });
  });
  afterAll(() => pool.close());
  beforeEach(() => {
    dir = tmpDir('tributary-cleaner-pool-');
  });
  afterEach(() => rmDir(dir));

  it('runs the pass on a worker and gives the same result', async () => {
    let calls = 0;
    const counting = {
      scanSegment: pool.scanSegment.bind(pool),
      verifyBatchCrcs: pool.verifyBatchCrcs.bind(pool),
      compactSegments: (t: Parameters<WorkerPool['compactSegments']>[0]) => (calls++, pool.compactSegments(t)),
    };
    const engine = await openEngine(dir, 'file', { pool: counting, cleanerCheckIntervalMs: 3_600_000 });
    await engine.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 500 } });
    for (let i = 0; i < 40; i++) await engine.append(T, 0, kbatch([[`k${i % 5}`, `v${i}`], [`j${i % 3}`, null]], { compression: i % 2 ? 'lz4' : 'none' }));
    const before = readKeyed(engine).records;
    const activeBase = baseOffsets(dir).at(-1)!;
    await engine.compact();
    expect(calls).toBe(1);
    expect(readKeyed(engine).records).toEqual(compacted(before, activeBase));
    await engine.close();
  });
});

// ---- crash safety ----------------------------------------------------------------------------

describe.each(BACKENDS)('recovery of interrupted swaps (%s backend)', (backend) => {
  let root: string;
  beforeEach(() => {
    root = tmpDir('tributary-cleaner-swap-');
  });
  afterEach(() => rmDir(root));

  /** Builds a log, keeps a copy, cleans it; returns both directories and their contents. */
  async function prepare() {
    const before = path.join(root, 'before');
    const after = path.join(root, 'after');
    const e = await openEngine(before, backend);
    await e.createTopic(T, { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': 500, 'index.interval.bytes': 64 } });
    for (let i = 0; i < 50; i++) await e.append(T, 0, kbatch([[`k${i % 6}`, `v${i}`], [`m${i % 4}`, i % 10 === 9 ? null : `w${i}`]], { ts: 1_000 + i }));
    const beforeRecs = readKeyed(e).records;
    await e.close();
    fs.cpSync(before, after, { recursive: true });
    const e2 = await openEngine(after, backend);
    await e2.compact(T, 0, { force: true });
    const afterRecs = readKeyed(e2).records;
    await e2.close();
    const pdir = (d: string) => path.join(d, `${T}-0`);
    const bases = baseOffsets(before);
    const changed = bases.filter((b) => {
      const f = `${String(b).padStart(20, '0')}.log`;
      return !fs.readFileSync(path.join(pdir(before), f)).equals(fs.readFileSync(path.join(pdir(after), f)));
    });
    expect(changed.length).toBeGreaterThan(2);
    return { before, after, pdir, bases, changed, beforeRecs, afterRecs };
  }

  // The swap states of one segment, from the first .cleaned file to the last rename.
  type State = 'cleaned' | 'index-swap' | 'log-swap' | 'index-final' | 'timeindex-final' | 'done';
  const STATES: State[] = ['cleaned', 'index-swap', 'log-swap', 'index-final', 'timeindex-final', 'done'];
  const committed = (s: State) => s !== 'cleaned' && s !== 'index-swap';

  it('every swap state at every segment recovers to old or new segments, losing nothing', async () => {
    const p = await prepare();
    const name = (b: number, ext: string) => `${String(b).padStart(20, '0')}.${ext}`;
    // The crash hits the first, a middle or the last segment of the pass.
    for (const j of new Set([0, p.changed.length >> 1, p.changed.length - 1])) {
      for (const state of STATES) {
        const dir = path.join(root, `case-${j}-${state}`);
        fs.cpSync(p.before, dir, { recursive: true });
        fs.rmSync(path.join(dir, '.clean-shutdown'), { force: true }); // a crash
        const put = (b: number, ext: string, as: string) => fs.copyFileSync(path.join(p.pdir(p.after), name(b, ext)), path.join(p.pdir(dir), as));
        for (let k = 0; k < p.changed.length; k++) {
          const b = p.changed[k]!;
          const s: State = k < j ? 'done' : k === j ? state : 'cleaned';
          const at = STATES.indexOf(s);
          // index and timeindex: .cleaned -> .swap -> final; log: .cleaned -> .swap -> final
          put(b, 'index', at >= 3 ? name(b, 'index') : name(b, at >= 1 ? 'index.swap' : 'index.cleaned'));
          put(b, 'timeindex', at >= 4 ? name(b, 'timeindex') : name(b, at >= 1 ? 'timeindex.swap' : 'timeindex.cleaned'));
          put(b, 'log', at >= 5 ? name(b, 'log') : name(b, at >= 2 ? 'log.swap' : 'log.cleaned'));
        }
        // Expected: a segment's records come from the cleaned copy iff its swap committed.
        const segOf = (o: number) => p.bases.filter((b) => b <= o).at(-1)!;
        const newSeg = (b: number) => {
          const k = p.changed.indexOf(b);
          return k >= 0 && (k < j || (k === j && committed(state)));
        };
        const expected = [...p.beforeRecs.filter((r) => !newSeg(segOf(r.offset))), ...p.afterRecs.filter((r) => newSeg(segOf(r.offset)))].sort((a, b) => a.offset - b.offset);

        const e = await openEngine(dir, backend);
        expect(readKeyed(e).records, `segment ${j}, state ${state}`).toEqual(expected);
        expect(fs.readdirSync(p.pdir(dir)).filter((f) => /cleaned|swap/.test(f))).toEqual([]);
        // Cleaning again converges on the fully cleaned log.
        await e.compact(T, 0, { force: true });
        expect(readKeyed(e).records).toEqual(p.afterRecs);
        await e.close();
        rmDir(dir);
      }
    }
  }, 60_000);
});

describe.each(BACKENDS)('SIGKILL during cleaning (%s backend)', (backend) => {
  const fixture = path.resolve(here, '../../dist/test/storage/fixtures/cleaner-crash.js');
  const ROUNDS = 4;
  let dir: string;
  beforeEach(() => {
    dir = tmpDir('tributary-cleaner-kill-');
  });
  afterEach(() => rmDir(dir));

  function runAndKill(round: number, ms: number): Promise<Map<number, [string, string]>> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [fixture, dir, backend, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const acks = new Map<number, [string, string]>();
      let out = '';
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split('\n');
        out = lines.pop()!;
        for (const line of lines) {
          const [kind, a, kvs] = line.split(' ');
          if (kind === 'ACK') kvs!.split(',').forEach((kv, i) => acks.set(Number(a) + i, kv.split('=') as [string, string]));
          if (kind === 'CLEANING') timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
        }
      });
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') resolve(acks);
        else reject(new Error(`child exited with ${code}: ${err}`));
      });
    });
  }

  it(`keeps the latest acknowledged value of every key over ${ROUNDS} kills`, async () => {
    expect(fs.existsSync(fixture), `${fixture} is missing: run \`npx tsc -p tsconfig.json\``).toBe(true);
    const acked = new Map<number, [string, string]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [o, kv] of await runAndKill(round, crypto.randomInt(0, 120))) acked.set(o, kv);
      const e = await openEngine(dir, backend);
      const recs = readKeyed(e).records;
      await e.close();
      const byOffset = new Map(recs.map((r) => [r.offset, r]));
      // Offsets increase; every record read is what was written at its offset.
      for (let i = 1; i < recs.length; i++) expect(recs[i]!.offset).toBeGreaterThan(recs[i - 1]!.offset);
      for (const r of recs) {
        const a = acked.get(r.offset);
        if (a) expect([r.key, r.value]).toEqual(a);
        else acked.set(r.offset, [r.key, r.value!]); // written, not acknowledged: it is in the log now
      }
      // For every key, its latest acknowledged record is there, or a later one of the same key.
      const latest = new Map<string, number>();
      for (const [o, [k]] of acked) if ((latest.get(k) ?? -1) < o) latest.set(k, o);
      for (const [k, o] of latest) {
        const kept = byOffset.get(o);
        const later = recs.some((r) => r.key === k && r.offset > o);
        expect(kept?.key === k || later, `key ${k} at ${o}`).toBe(true);
      }
    }
  }, 90_000);
});
