// The engine with the worker pool (src/workers/pool.ts): large-batch CRC checks and recovery scans off-thread.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { encodeBatch } from '../../src/format/batch-builder.js';
import { workerCrcBytesMin } from '../../src/limits.js';
import type { StoragePool } from '../../src/storage/index.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { batch, openEngine, readAll, rmDir, tmpDir } from './helpers.js';

describe('StorageEngine with a worker pool', () => {
  let pool: WorkerPool;
  let dir: string;
  let calls: { scan: number; crc: number };
  let counting: StoragePool;
  beforeAll(() => {
    pool = new WorkerPool({ threads: 1 });
  });
  afterAll(() => pool.close());
  beforeEach(() => {
    dir = tmpDir();
    calls = { scan: 0, crc: 0 };
    counting = {
      scanSegment: (p, s, o) => (calls.scan++, pool.scanSegment(p, s, o)),
      verifyBatchCrcs: (b) => (calls.crc++, pool.verifyBatchCrcs(b)),
    };
  });
  afterEach(() => rmDir(dir));

  const big = (tag: string) => encodeBatch({ records: [{ value: Buffer.alloc(workerCrcBytesMin + 100, tag) }] });

  it('checks large batches on the pool, in call order with small ones, and rejects a corrupt one', async () => {
    const e = await openEngine(dir, 'mmap', { pool: counting });
    await e.createTopic('t', { partitions: 1, config: { 'max.message.bytes': 4 * workerCrcBytesMin } });
    const bad = big('b');
    bad[bad.length - 1]! ^= 1;
    const results = await Promise.allSettled([e.append('t', 0, big('a')), e.append('t', 0, batch(['small'])), e.append('t', 0, bad), e.append('t', 0, big('c'))]);
    expect(calls.crc).toBe(3);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.baseOffset : (isTributaryError(r.reason) && r.reason.code) || 'other'))).toEqual([0, 1, 'CORRUPT_BATCH', 2]);
    expect(readAll(e, 't').map((r) => r.value[0])).toEqual(['a', 's', 'c']);
    await e.close();
  });

  it('runs recovery scans on the pool after an unclean stop', async () => {
    const e = await openEngine(dir, 'file');
    await e.createTopic('t', { partitions: 1 });
    for (let i = 0; i < 10; i++) await e.append('t', 0, batch([`m${i}`]));
    await e.close();
    fs.rmSync(path.join(dir, '.clean-shutdown'));
    const logFile = path.join(dir, 't-0', '00000000000000000000.log');
    fs.appendFileSync(logFile, Buffer.from('torn tail'));
    const e2 = await openEngine(dir, 'file', { pool: counting });
    expect(calls.scan).toBe(1);
    expect(readAll(e2, 't').map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    await e2.close();
  });
});
