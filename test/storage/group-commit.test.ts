// Flush policies, group commit and I/O failures (src/storage/partition-log.ts, io-backend.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { defaultIoHooks } from '../../src/storage/io-backend.js';
import type { IoHooks } from '../../src/storage/index.js';
import type { StorageEngine } from '../../src/storage/index.js';
import { BACKENDS, batch, openEngine, readAll, rmDir, tmpDir } from './helpers.js';

/** fdatasync hook that counts calls and can hold them until released. */
function gatedSync() {
  const state = { calls: 0, held: [] as (() => void)[], gate: false };
  const fdatasync: IoHooks['fdatasync'] = async (fd) => {
    state.calls++;
    if (state.gate) await new Promise<void>((r) => state.held.push(r));
    return defaultIoHooks.fdatasync(fd);
  };
  const release = () => {
    state.gate = false;
    for (const r of state.held.splice(0)) r();
  };
  return { state, fdatasync, release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe.each(BACKENDS)('flush policies and group commit (%s backend)', (backend) => {
  let dir: string;
  let engine: StorageEngine | undefined;
  beforeEach(() => {
    dir = tmpDir();
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    engine = undefined;
    rmDir(dir);
  });

  it('flush.messages=1 (default): an append resolves only after an fdatasync that covers it', async () => {
    const sync = gatedSync();
    const e = (engine = await openEngine(dir, backend, { io: { fdatasync: sync.fdatasync } }));
    await e.createTopic('t', { partitions: 1 });
    expect(e.describeTopic('t').config['flush.messages']).toEqual({ value: '1', isDefault: true, source: 'default' });
    sync.state.gate = true;
    const before = sync.state.calls;
    let done = false;
    const p = e.append('t', 0, batch(['a'])).then((r) => ((done = true), r));
    await tick();
    await tick();
    expect(sync.state.calls).toBe(before + 1);
    expect(done).toBe(false);
    // Not yet durable: readers do not see it either.
    expect(e.read('t', 0, 0, 100)).toMatchObject({ batches: [], highWatermark: 0, logEndOffset: 1 });
    sync.release();
    expect((await p).baseOffset).toBe(0);
    expect(e.read('t', 0, 0, 100).highWatermark).toBe(1);
  });

  it('many concurrent appends share few fdatasyncs, and each waits for one that started after its write', async () => {
    const sync = gatedSync();
    const e = (engine = await openEngine(dir, backend, { io: { fdatasync: sync.fdatasync } }));
    await e.createTopic('t', { partitions: 1 });
    const before = sync.state.calls;
    sync.state.gate = true;
    const first = e.append('t', 0, batch(['first']));
    await tick();
    // The first sync is in flight; these 99 writes land after it started, so it cannot cover them.
    const rest = Array.from({ length: 99 }, (_, i) => e.append('t', 0, batch([`m${i}`])));
    let restDone = 0;
    for (const p of rest) void p.then(() => restDone++);
    sync.state.gate = false;
    const held = sync.state.held.splice(0);
    for (const r of held) r();
    await first;
    await tick();
    // The covering sync for the 99 is the second one.
    const results = await Promise.all(rest);
    expect(restDone).toBe(99);
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
    expect(sync.state.calls - before).toBeGreaterThanOrEqual(2);
    expect(sync.state.calls - before).toBeLessThanOrEqual(4);
    expect(readAll(e, 't')).toHaveLength(100);
  });

  it('flush.messages=N: writes resolve at once until N records are unflushed, then wait for the sync', async () => {
    const sync = gatedSync();
    const e = (engine = await openEngine(dir, backend, { io: { fdatasync: sync.fdatasync } }));
    await e.createTopic('t', { partitions: 1, config: { 'flush.messages': 5 } });
    const before = sync.state.calls;
    await e.append('t', 0, batch(['a', 'b']));
    await e.append('t', 0, batch(['c', 'd']));
    expect(sync.state.calls).toBe(before);
    expect(e.read('t', 0, 0, 1).highWatermark).toBe(4); // no syncing policy: readers see the write
    sync.state.gate = true;
    let done = false;
    const p = e.append('t', 0, batch(['e'])).then(() => (done = true));
    await tick();
    expect(sync.state.calls).toBe(before + 1);
    expect(done).toBe(false);
    sync.release();
    await p;
    await e.append('t', 0, batch(['f']));
    expect(sync.state.calls).toBe(before + 1);
  });

  it('flush.ms: appends resolve after the write; a timer syncs in the background', async () => {
    const sync = gatedSync();
    const e = (engine = await openEngine(dir, backend, { io: { fdatasync: sync.fdatasync } }));
    await e.createTopic('t', { partitions: 1, config: { 'flush.messages': '9223372036854775807', 'flush.ms': 30 } });
    const before = sync.state.calls;
    await e.append('t', 0, batch(['a']));
    expect(sync.state.calls).toBe(before);
    for (let i = 0; i < 50 && sync.state.calls === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sync.state.calls).toBeGreaterThan(before);
  });

  it('OS policy (flush.messages and flush.ms never): no fdatasync until close', async () => {
    const sync = gatedSync();
    const e = (engine = await openEngine(dir, backend, { io: { fdatasync: sync.fdatasync } }));
    await e.createTopic('t', { partitions: 1, config: { 'flush.messages': '9223372036854775807' } });
    expect(e.describeTopic('t').config['flush.ms']!.isDefault).toBe(true);
    const before = sync.state.calls;
    for (let i = 0; i < 20; i++) await e.append('t', 0, batch([`m${i}`]));
    await tick();
    expect(sync.state.calls).toBe(before);
    await e.close();
    engine = undefined;
    expect(sync.state.calls).toBeGreaterThan(before);
  });
});

describe.each(BACKENDS)('I/O errors (%s backend)', (backend) => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir();
  });
  afterEach(() => rmDir(dir));

  it('a failing write gives STORAGE_IO, leaves no torn bytes, and acknowledged data survives a reopen', async () => {
    let failNext: 'none' | 'enospc' | 'partial' = 'none';
    const writeSync: IoHooks['writeSync'] = (fd, buf, off, len, pos) => {
      if (failNext === 'enospc' && len > 20) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      if (failNext === 'partial' && len > 20) {
        failNext = 'enospc';
        return fs.writeSync(fd, buf, off, Math.floor(len / 2), pos); // half, then ENOSPC on the rest
      }
      return fs.writeSync(fd, buf, off, len, pos);
    };
    const e = await openEngine(dir, backend, { io: { writeSync } });
    await e.createTopic('t', { partitions: 1 });
    for (let i = 0; i < 5; i++) await e.append('t', 0, batch([`ok${i}`]));
    const logFile = path.join(dir, 't-0', '00000000000000000000.log');
    const sizeBefore = fs.statSync(logFile).size;
    failNext = 'partial';
    const err = await e.append('t', 0, batch(['lost'])).catch((x: unknown) => x);
    expect(isTributaryError(err, 'STORAGE_IO')).toBe(true);
    expect((err as { context: { sys?: string } }).context.sys).toBe('ENOSPC');
    expect(fs.statSync(logFile).size).toBe(sizeBefore);
    failNext = 'none';
    // The write was undone, so the log carries on at the next offset.
    expect((await e.append('t', 0, batch(['after']))).baseOffset).toBe(5);
    await e.close();
    const e2 = await openEngine(dir, backend);
    expect(readAll(e2, 't').map((r) => r.value)).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4', 'after']);
    await e2.close();
  });

  it('a failing fdatasync rejects the waiting appends and takes the partition offline', async () => {
    let fail = false;
    const e = await openEngine(dir, backend, {
      io: { fdatasync: (fd) => (fail ? Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) : defaultIoHooks.fdatasync(fd)) },
    });
    await e.createTopic('t', { partitions: 1 });
    await e.append('t', 0, batch(['ok']));
    fail = true;
    const err = await e.append('t', 0, batch(['x'])).catch((x: unknown) => x);
    expect(isTributaryError(err, 'STORAGE_IO')).toBe(true);
    const err2 = await e.append('t', 0, batch(['y'])).catch((x: unknown) => x);
    expect(isTributaryError(err2, 'STORAGE_IO')).toBe(true);
    fail = false;
    await e.close().catch(() => undefined);
    const e2 = await openEngine(dir, backend);
    expect(e2.hadCleanShutdown).toBe(false);
    expect(readAll(e2, 't')[0]!.value).toBe('ok');
    await e2.close();
  });
});
