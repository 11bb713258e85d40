// Regressions at the seams of the read path. A read that stopped inside one segment because its byte budget ran out must not
// go on into the next segment (issue 9: librdkafka consumers jumped from 499,999 to the next
// segment's base offset). Every start offset and budget is tried over mixed-size batches.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageEngine } from '../../src/storage/index.js';
import { BACKENDS, batch, batchOfSize, batchOffsets, openEngine, rmDir, tmpDir } from './helpers.js';

describe.each(BACKENDS)('reads across segment boundaries (%s backend)', (backend) => {
  let dir: string;
  let engine: StorageEngine | undefined;
  beforeEach(() => {
    dir = tmpDir();
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    rmDir(dir);
  });

  it('continues from the offset after the last batch returned and never skips one', async () => {
    const e = (engine = await openEngine(dir, backend));
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': '4096' } });
    // Sizes cycle so that a budget often runs out inside a segment, before its last batch.
    const sizes = [100, 900, 300, 1500, 200, 700, 1200, 90];
    for (let i = 0; i < 120; i++) await e.append('t', 0, batchOfSize(sizes[i % sizes.length]!, `v${i}`));
    expect(e.describeTopic('t').partitions[0]!.segments).toBeGreaterThan(10);
    for (const budget of [1, 500, 1024, 1600, 2500, 4096, 9000]) {
      let next = 0;
      const seen: number[] = [];
      while (next < 120) {
        const offsets = batchOffsets(e.read('t', 0, next, budget).batches);
        expect(offsets[0], `budget ${budget} from ${next}`).toBe(next);
        for (let i = 1; i < offsets.length; i++) expect(offsets[i], `budget ${budget} from ${next}`).toBe(offsets[i - 1]! + 1);
        seen.push(...offsets);
        next = offsets[offsets.length - 1]! + 1;
      }
      expect(seen).toEqual([...Array(120).keys()]);
    }
  });

  it('ListOffsets by time returns a record at or after the log start that qualifies, searching on past a batch that does not', async () => {
    const e = (engine = await openEngine(dir, backend));
    await e.createTopic('t', { partitions: 1, config: { 'segment.bytes': '100000' } });
    await e.append('t', 0, batch(['a', 'b'], { ts: [100, 50] }));
    await e.append('t', 0, batch(['c', 'd'], { ts: [300, 80] }));
    expect(e.listOffsets('t', 0, 60)).toEqual({ offset: 0, timestamp: 100 });
    await e.deleteRecordsBefore('t', 0, 1);
    // Offset 1 (ts 50) is too early; the batch's max timestamp (100) belongs to offset 0, below the log start.
    expect(e.listOffsets('t', 0, 60)).toEqual({ offset: 2, timestamp: 300 });
    expect(e.listOffsets('t', 0, 301)).toEqual({ offset: -1, timestamp: -1 });
  });
});
