// Truncation seams found by the read-path model (read-model.test.ts), each pinned here:
//  - a crash after a runtime truncation lost every segment after the truncated one (the
//    zeros a truncation leaves in a segment that later closes were taken for corruption);
//  - the log cleaner's first dirty offset stayed above a truncation, so records appended
//    after it were never compacted;
//  - truncating into a gap compaction left put the log end past the target, and a restart
//    moved it again;
//  - truncating below the log start to the active segment's own base offset unlinked the
//    files of the segment it had just reopened, losing everything appended after.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/batch-builder.js';
import type { StorageEngine } from '../../src/storage/index.js';
import { BACKENDS, batch, openEngine, readAll, rmDir, segmentFiles, tmpDir } from './helpers.js';

function keyed(entries: [string, string][]): Buffer {
  return encodeBatch({ records: entries.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v), timestamp: 1_000 })) });
}

/** A copy of a data directory in use, as a crash (with the page cache intact) leaves it. */
function crashCopy(src: string): string {
  const dst = tmpDir('tributary-truncation-crash-');
  fs.cpSync(src, dst, { recursive: true, filter: (p) => !p.endsWith('.tmp') });
  return dst;
}

describe.each(BACKENDS)('truncation (%s backend)', (backend) => {
  let dirs: string[];
  let engines: StorageEngine[];
  let now = 1_000_000;
  const open = async (dir: string) => {
    const e = await openEngine(dir, backend, { clock: () => now, checkpointIntervalMs: 3_600_000, cleanerCheckIntervalMs: 3_600_000 });
    engines.push(e);
    return e;
  };
  beforeEach(() => {
    dirs = [tmpDir()];
    engines = [];
  });
  afterEach(async () => {
    for (const e of engines) await e.close().catch(() => undefined);
    for (const d of dirs) rmDir(d);
  });

  it('a crash after a truncation keeps every segment written after it', async () => {
    const e = await open(dirs[0]!);
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': '4000', 'segment.ms': '100' } });
    for (let i = 0; i < 20; i++) await e.append('t', 0, batch([`a${i}`, 'z'.repeat(100)]));
    // The truncation zeroes most of the active segment; segment.ms then closes it with the
    // zeros still in its file, and later segments follow.
    expect(await e.truncateTo('t', 0, 2)).toBe(2);
    for (let i = 1; i < 12; i++) {
      now += 200;
      await e.append('t', 0, batch([`b${i}`]));
    }
    const before = readAll(e, 't');
    expect(segmentFiles(dirs[0]!, 't').length).toBeGreaterThan(5);
    const copy = crashCopy(dirs[0]!);
    dirs.push(copy);
    const recovered = await open(copy);
    expect(recovered.hadCleanShutdown).toBe(false);
    expect(readAll(recovered, 't')).toEqual(before);
  });

  it('records appended after a truncation below the cleaner checkpoint are compacted', async () => {
    const e = await open(dirs[0]!);
    await e.createTopic('c', { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': '300' } });
    for (let i = 0; i < 20; i++) await e.append('c', 0, keyed([[`k${i % 3}`, `v${i}`]]));
    const [first] = await e.compact('c', 0, { force: true });
    expect(first!.cleanedUpToOffset).toBeGreaterThan(10);
    await e.truncateTo('c', 0, 5);
    // Offsets 5.. again, below the old checkpoint: k9 twice, then enough to close segments.
    for (let i = 0; i < 20; i++) await e.append('c', 0, keyed([[i < 2 ? 'k9' : `n${i}`, `w${i}`]]));
    await e.compact('c', 0, { force: true });
    const k9 = readAll(e, 'c').filter((r) => r.value === 'w0' || r.value === 'w1');
    expect(k9.map((r) => r.value)).toEqual(['w1']);
  });

  it('truncating into a gap compaction left ends the log at the target, across restarts', async () => {
    const e = await open(dirs[0]!);
    await e.createTopic('c', { partitions: 1, config: { 'cleanup.policy': 'compact', 'segment.bytes': '250' } });
    // k1 at 0..9 superseded by later records: compaction empties the first segments.
    for (let i = 0; i < 10; i++) await e.append('c', 0, keyed([['k1', `old${i}`]]));
    for (let i = 0; i < 10; i++) await e.append('c', 0, keyed([[`u${i}`, `new${i}`]]));
    await e.append('c', 0, keyed([['k1', 'last']]));
    await e.compact('c', 0, { force: true });
    expect(readAll(e, 'c').some((r) => r.offset === 3)).toBe(false);
    expect(await e.truncateTo('c', 0, 3)).toBe(3);
    expect(e.describeTopic('c').partitions[0]!.logEndOffset).toBe(3);
    await e.close();
    const again = await open(dirs[0]!);
    expect(again.describeTopic('c').partitions[0]!.logEndOffset).toBe(3);
    expect((await again.append('c', 0, keyed([['k2', 'after']]))).baseOffset).toBe(3);
  });

  it('truncating below the log start to the active base offset keeps what is appended next', async () => {
    const e = await open(dirs[0]!);
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': '300' } });
    for (let i = 0; i < 12; i++) await e.append('t', 0, batch([`a${i}`, 'y'.repeat(40)]));
    const bases = segmentFiles(dirs[0]!, 't').map((f) => Number(f.slice(0, 20)));
    const activeBase = bases[bases.length - 1]!;
    expect(activeBase).toBeGreaterThan(0);
    await e.deleteRecordsBefore('t', 0, e.describeTopic('t').partitions[0]!.logEndOffset);
    expect(await e.truncateTo('t', 0, activeBase)).toBe(activeBase);
    await e.append('t', 0, batch(['fresh']));
    await e.close();
    const again = await open(dirs[0]!);
    expect(readAll(again, 't').map((r) => [r.offset, r.value])).toEqual([[activeBase, 'fresh']]);
    expect(fs.existsSync(path.join(dirs[0]!, 't-0', segmentFiles(dirs[0]!, 't').at(-1)!))).toBe(true);
  });
});
