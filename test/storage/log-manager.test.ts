// Topic administration through the public API (src/storage/index.ts, log-manager.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { StorageEngine } from '../../src/storage/index.js';
import { BACKENDS, batch, memoryLogger, openEngine, readAll, rmDir, tmpDir } from './helpers.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isTributaryError(err)) return err.code;
    throw err;
  }
  return 'none';
}

describe.each(BACKENDS)('LogManager via StorageEngine (%s backend)', (backend) => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir();
  });
  afterEach(() => rmDir(dir));

  it('creates, describes, alters, grows and deletes topics, and persists them', async () => {
    const e = await openEngine(dir, backend, { topicDefaults: { 'retention.ms': 1234 } });
    await e.createTopic('orders', { partitions: 2, config: { 'segment.bytes': 5000 } });
    expect(await code(e.createTopic('orders', { partitions: 1 }))).toBe('TOPIC_EXISTS');
    expect(await code(e.createTopic('ord/ers', { partitions: 1 }))).toBe('INVALID_TOPIC');
    expect(await code(e.createTopic('..', { partitions: 1 }))).toBe('INVALID_TOPIC');
    expect(await code(e.createTopic('a.b', { partitions: 1 }))).toBe('none');
    expect(await code(e.createTopic('a_b', { partitions: 1 }))).toBe('INVALID_TOPIC');
    expect(await code(e.createTopic('x', { partitions: 0 }))).toBe('INVALID_PARTITIONS');
    expect(await code(e.createTopic('x', { partitions: 1, config: { bogus: 1 } }))).toBe('INVALID_CONFIG');
    expect(e.listTopics()).toEqual(['a.b', 'orders']);
    const d = e.describeTopic('orders');
    expect(d.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(d.config['segment.bytes']).toEqual({ value: '5000', isDefault: false, source: 'topic' });
    expect(d.config['retention.ms']).toEqual({ value: '1234', isDefault: true, source: 'engine' });
    expect(d.config['flush.messages']).toEqual({ value: '1', isDefault: true, source: 'default' });
    expect(d.topicId).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(e.describeTopic('a.b').topicId).not.toBe(d.topicId);
    expect(() => e.validateTopicConfig({ 'retention.ms': 'soon' })).toThrow(/retention.ms/);
    e.validateTopicConfig({ 'retention.ms': 5 });

    await e.alterTopicConfig('orders', { 'retention.ms': 99 }, ['segment.bytes']);
    expect(await code(e.alterTopicConfig('orders', { 'retention.ms': 'x' }))).toBe('INVALID_CONFIG');
    expect(await code(e.alterTopicConfig('orders', {}, ['nope']))).toBe('INVALID_CONFIG');
    expect(await code(e.alterTopicConfig('missing', {}))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    await e.createPartitions('orders', 3);
    expect(await code(e.createPartitions('orders', 3))).toBe('INVALID_PARTITIONS');
    await e.append('orders', 2, batch(['p2']));
    await e.close();

    const e2 = await openEngine(dir, backend);
    const d2 = e2.describeTopic('orders');
    expect(d2.partitions).toHaveLength(3);
    expect(d2.config['retention.ms']).toEqual({ value: '99', isDefault: false, source: 'topic' });
    expect(d2.config['segment.bytes']!.isDefault).toBe(true);
    expect(d2.topicId).toBe(d.topicId); // stable across restarts
    expect(readAll(e2, 'orders', 2).map((r) => r.value)).toEqual(['p2']);
    const held = e2.read('orders', 2, 0, 100).batches;
    await e2.deleteTopic('orders');
    expect(held[0]!.length).toBeGreaterThan(0);
    void held[0]![held[0]!.length - 1]; // slices of deleted files stay readable
    expect(await code(e2.deleteTopic('orders'))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(() => e2.read('orders', 0, 0, 1)).toThrow(/unknown/);
    await e2.createTopic('orders', { partitions: 1 }); // recreated empty
    expect(e2.describeTopic('orders').partitions[0]!.logEndOffset).toBe(0);
    expect(e2.describeTopic('orders').topicId).not.toBe(d.topicId);
    await e2.close();
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('-delete'))).toEqual([]);
    const e3 = await openEngine(dir, backend);
    expect(e3.listTopics()).toEqual(['a.b', 'orders']);
    await e3.close();
  });

  it('rejects use after close with CLOSED', async () => {
    const e = await openEngine(dir, backend);
    await e.createTopic('t', { partitions: 1 });
    await e.close();
    expect(await code(e.append('t', 0, batch(['a'])))).toBe('CLOSED');
    expect(await code(e.createTopic('u', { partitions: 1 }))).toBe('CLOSED');
  });
});

describe('backend selection', () => {
  it("'auto' picks mmap here, where mmap-io is installed", async () => {
    const dir = tmpDir();
    try {
      const e = await StorageEngine.open({ dataDir: dir, logger: memoryLogger() });
      expect(e.backend).toBe('mmap');
      await e.close();
      expect(fs.existsSync(path.join(dir, '.clean-shutdown'))).toBe(true);
    } finally {
      rmDir(dir);
    }
  });
});
