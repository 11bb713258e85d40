// Recovery: torn/corrupt tails, corrupt middle segments, missing or garbled indexes (src/storage/log-loader.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeflatedBatch } from '../../src/format/record-batch.js';
import { BACKENDS, batch, memoryLogger, openEngine, readAll, rmDir, segmentFiles, tmpDir } from './helpers.js';

/** Makes the next open unclean: no marker, and (optionally) no recovery checkpoint. */
function crashState(dir: string, dropRecoveryPoint: boolean): void {
  fs.rmSync(path.join(dir, '.clean-shutdown'), { force: true });
  if (dropRecoveryPoint) fs.rmSync(path.join(dir, 'recovery-point-offset-checkpoint'), { force: true });
}

/** [start, end, baseOffset, lastOffset] of every batch in a .log file. */
function batchSpans(file: string): [number, number, number, number][] {
  const buf = fs.readFileSync(file);
  const out: [number, number, number, number][] = [];
  let pos = 0;
  for (const b of DeflatedBatch.all(buf)) {
    out.push([pos, pos + b.sizeInBytes, b.baseOffset, b.lastOffset]);
    pos += b.sizeInBytes;
  }
  return out;
}

describe.each(BACKENDS)('recovery (%s backend)', (backend) => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir();
  });
  afterEach(() => rmDir(dir));

  async function fill(config: Record<string, string | number>, batches: number): Promise<void> {
    const e = await openEngine(dir, backend);
    await e.createTopic('t', { partitions: 1, config: { 'index.interval.bytes': 64, ...config } });
    for (let i = 0; i < batches; i++) await e.append('t', 0, batch([`a${i}`, `b${i}`], { ts: 10_000 + i }));
    await e.close();
  }

  it('garbage written from a random position in the active segment is cut exactly there', async () => {
    for (let round = 0; round < 6; round++) {
      rmDir(dir);
      fs.mkdirSync(dir);
      await fill({}, 30);
      const logFile = path.join(dir, 't-0', segmentFiles(dir, 't')[0]!);
      const spans = batchSpans(logFile);
      const size = fs.statSync(logFile).size;
      const at = crypto.randomInt(0, size);
      const fd = fs.openSync(logFile, 'r+');
      fs.writeSync(fd, crypto.randomBytes(crypto.randomInt(1, 400)), 0, undefined, at);
      fs.closeSync(fd);
      crashState(dir, round % 2 === 0);
      const survivors = spans.filter(([, end]) => end <= at);
      const log = memoryLogger();
      const e = await openEngine(dir, backend, { logger: log });
      expect(e.hadCleanShutdown).toBe(false);
      const got = readAll(e, 't');
      const expected = survivors.flatMap(([, , base]) => [base, base + 1]);
      expect(got.map((r) => r.offset)).toEqual(expected);
      expect(got.map((r) => r.value)).toEqual(expected.map((o) => `${o % 2 === 0 ? 'a' : 'b'}${Math.floor(o / 2)}`));
      expect(fs.statSync(logFile).size).toBe(survivors.length === 0 ? 0 : survivors[survivors.length - 1]![1]);
      // Appends continue right after the survivors.
      expect((await e.append('t', 0, batch(['next']))).baseOffset).toBe(expected.length);
      await e.close();
    }
  });

  it('a corrupt batch in a middle segment truncates there and deletes every later segment', async () => {
    await fill({ 'segment.bytes': 400 }, 30);
    const logs = segmentFiles(dir, 't');
    expect(logs.length).toBeGreaterThan(3);
    const victim = path.join(dir, 't-0', logs[1]!);
    const spans = batchSpans(victim);
    const [start, end, base] = spans[1]!;
    const fd = fs.openSync(victim, 'r+');
    fs.writeSync(fd, Buffer.from([0xff ^ fs.readFileSync(victim)[end - 1]!]), 0, 1, end - 1); // flip the last byte of batch 2
    fs.closeSync(fd);
    crashState(dir, true);
    const e = await openEngine(dir, backend);
    const got = readAll(e, 't');
    expect(got.length).toBe(base);
    expect(got.map((r) => r.offset)).toEqual(Array.from({ length: base }, (_, i) => i));
    expect(segmentFiles(dir, 't')).toEqual(logs.slice(0, 2));
    expect(fs.statSync(victim).size).toBe(start);
    expect((await e.append('t', 0, batch(['x']))).baseOffset).toBe(base);
    await e.close();
  });

  it('deleted or garbled index files are rebuilt (identical to the originals) and reads still work', async () => {
    await fill({ 'segment.bytes': 1200 }, 40);
    const part = path.join(dir, 't-0');
    const indexes = [...segmentFiles(dir, 't', 0, '.index'), ...segmentFiles(dir, 't', 0, '.timeindex')];
    const originals = new Map(indexes.map((f) => [f, fs.readFileSync(path.join(part, f))]));
    expect([...originals.values()].some((b) => b.length > 0)).toBe(true);
    const e0 = await openEngine(dir, backend);
    const before = readAll(e0, 't');
    const tsBefore = e0.listOffsets('t', 0, 10_020);
    await e0.close();

    fs.rmSync(path.join(part, indexes[0]!));
    const timeIdx = indexes.find((f) => f.endsWith('.timeindex') && originals.get(f)!.length > 0)!;
    fs.writeFileSync(path.join(part, timeIdx), crypto.randomBytes(originals.get(timeIdx)!.length));
    const offIdx = indexes.find((f) => f.endsWith('.index') && f !== indexes[0] && originals.get(f)!.length > 0)!;
    const garbled = Buffer.from(originals.get(offIdx)!);
    garbled.writeInt32BE(0x7fffff00, 4); // a position far past the end of the log
    fs.writeFileSync(path.join(part, offIdx), garbled);

    const log = memoryLogger();
    const e = await openEngine(dir, backend, { logger: log });
    expect(e.hadCleanShutdown).toBe(true);
    expect(readAll(e, 't')).toEqual(before);
    expect(e.listOffsets('t', 0, 10_020)).toEqual(tsBefore);
    expect(log.lines.filter((l) => l.msg?.includes('rebuilding')).length).toBeGreaterThanOrEqual(2);
    await e.close();
    for (const [f, bytes] of originals) expect(fs.readFileSync(path.join(part, f)).equals(bytes), f).toBe(true);
  });

  it('an unclean stop with the preallocated index tail still opens, and indexes match a clean run', async () => {
    await fill({ 'segment.bytes': 100_000 }, 50);
    const part = path.join(dir, 't-0');
    const idx = segmentFiles(dir, 't', 0, '.index')[0]!;
    const clean = fs.readFileSync(path.join(part, idx));
    // Simulate an index left preallocated (untrimmed) by a crash.
    fs.writeFileSync(path.join(part, idx), Buffer.concat([clean, Buffer.alloc(800)]));
    crashState(dir, false);
    const e = await openEngine(dir, backend);
    expect(readAll(e, 't')).toHaveLength(100);
    await e.close();
    expect(fs.readFileSync(path.join(part, idx)).equals(clean)).toBe(true);
  });
});
