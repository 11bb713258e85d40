/**
 * Committed consumer-group offsets, stored durably in the internal topic `__consumer_offsets`
 * on the same storage engine (as Kafka does), and held in memory for OffsetFetch.
 *
 * Record format (ours, versioned; one record per committed partition):
 *   key   = int16 version (1) | int16 len + group UTF-8 | int16 len + topic UTF-8 | int32 partition
 *   value = int16 version (1) | int64 offset | int32 leaderEpoch | int64 commitTimestamp
 *           | int16 len + metadata UTF-8 (-1 = null)
 *   value = null (tombstone): the commit was deleted (DeleteGroups).
 * One OffsetCommit request becomes one batch, so its commits land together or not at all.
 *
 * The topic has one partition, flush.messages=1 (a commit is acknowledged once on disk) and
 * cleanup.policy=compact, so the log cleaner keeps only the latest commit per key (and drops
 * a deleted group's tombstones after delete.retention.ms). On start every batch is read back in offset order and the latest
 * value per key wins, so committed offsets survive a restart and an unclean stop (recovery
 * truncates a torn tail, which only ever holds unacknowledged commits).
 */
import { DeflatedBatch, decodeBatch, encodeBatch } from '../format/index.js';
import type { RecordInput } from '../format/index.js';
import type { Logger } from '../logger.js';
import type { StorageEngine } from '../storage/index.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
const KEY_VERSION = 1;
const VALUE_VERSION = 1;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export interface OffsetCommitEntry extends CommittedOffset {
  topic: string;
  partition: number;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

export function encodeKey(group: string, topic: string, partition: number): Buffer {
  const v = Buffer.alloc(2);
  v.writeInt16BE(KEY_VERSION, 0);
  const p = Buffer.alloc(4);
  p.writeInt32BE(partition, 0);
  return Buffer.concat([v, str(group), str(topic), p]);
}

export function decodeKey(b: Buffer): { group: string; topic: string; partition: number } | null {
  if (b.length < 2 || b.readInt16BE(0) !== KEY_VERSION) return null;
  let pos = 2;
  const readStr = (): string => {
    const n = b.readInt16BE(pos);
    const s = b.toString('utf8', pos + 2, pos + 2 + n);
    pos += 2 + n;
    return s;
  };
  const group = readStr();
  const topic = readStr();
  const partition = b.readInt32BE(pos);
  return { group, topic, partition };
}

export function encodeValue(c: CommittedOffset): Buffer {
  const head = Buffer.alloc(2 + 8 + 4 + 8);
  head.writeInt16BE(VALUE_VERSION, 0);
  head.writeBigInt64BE(BigInt(c.offset), 2);
  head.writeInt32BE(c.leaderEpoch, 10);
  head.writeBigInt64BE(BigInt(c.commitTimestamp), 14);
  if (c.metadata === null) {
    const n = Buffer.alloc(2);
    n.writeInt16BE(-1, 0);
    return Buffer.concat([head, n]);
  }
  return Buffer.concat([head, str(c.metadata)]);
}

export function decodeValue(b: Buffer): CommittedOffset | null {
  if (b.length < 24 || b.readInt16BE(0) !== VALUE_VERSION) return null;
  const n = b.readInt16BE(22);
  return {
    offset: Number(b.readBigInt64BE(2)),
    leaderEpoch: b.readInt32BE(10),
    commitTimestamp: Number(b.readBigInt64BE(14)),
    metadata: n < 0 ? null : b.toString('utf8', 24, 24 + n),
  };
}

export class OffsetStore {
  /** group -> "topic\0partition" -> committed offset */
  private readonly groups = new Map<string, Map<string, CommittedOffset & { topic: string; partition: number }>>();

  private constructor(
    private readonly engine: StorageEngine,
    private readonly log: Logger,
  ) {}

  static async open(engine: StorageEngine, log: Logger): Promise<OffsetStore> {
    const store = new OffsetStore(engine, log);
    const config = { 'flush.messages': '1', 'cleanup.policy': 'compact' };
    if (!engine.hasTopic(OFFSETS_TOPIC)) {
      await engine.createTopic(OFFSETS_TOPIC, { partitions: 1, config });
    } else {
      const current = engine.describeTopic(OFFSETS_TOPIC).config;
      if (current['cleanup.policy']?.value !== 'compact' || current['flush.messages']?.value !== '1') await engine.alterTopicConfig(OFFSETS_TOPIC, config);
    }
    store.load();
    return store;
  }

  private load(): void {
    const highWatermark = this.engine.listOffsets(OFFSETS_TOPIC, 0, 'latest').offset;
    let offset = this.engine.listOffsets(OFFSETS_TOPIC, 0, 'earliest').offset;
    let records = 0;
    while (offset < highWatermark) {
      const { batches } = this.engine.read(OFFSETS_TOPIC, 0, offset, READ_CHUNK_BYTES);
      let advanced = false;
      for (const chunk of batches) {
        for (const batch of DeflatedBatch.all(chunk)) {
          if (batch.nextOffset <= offset) continue;
          for (const r of decodeBatch(batch).records) {
            if (r.offset < offset || !r.key) continue;
            const k = decodeKey(r.key);
            if (!k) continue;
            if (r.value === null) this.remove(k.group, k.topic, k.partition);
            else {
              const v = decodeValue(r.value);
              if (v) this.set(k.group, k.topic, k.partition, v);
            }
            records++;
          }
          offset = batch.nextOffset;
          advanced = true;
        }
      }
      if (!advanced) break;
    }
    this.log.info({ groups: this.groups.size, records }, 'committed offsets loaded');
  }

  private set(group: string, topic: string, partition: number, v: CommittedOffset): void {
    let g = this.groups.get(group);
    if (!g) {
      g = new Map();
      this.groups.set(group, g);
    }
    g.set(`${topic}\u0000${partition}`, { ...v, topic, partition });
  }

  private remove(group: string, topic: string, partition: number): void {
    const g = this.groups.get(group);
    if (!g) return;
    g.delete(`${topic}\u0000${partition}`);
    if (g.size === 0) this.groups.delete(group);
  }

  /** Durably records every entry (one batch), then makes them visible. */
  async commit(group: string, entries: OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const records: RecordInput[] = entries.map((e) => ({ key: encodeKey(group, e.topic, e.partition), value: encodeValue(e) }));
    await this.engine.append(OFFSETS_TOPIC, 0, encodeBatch({ records }));
    for (const e of entries) this.set(group, e.topic, e.partition, e);
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(`${topic}\u0000${partition}`);
  }

  /** Every committed partition of a group. */
  list(group: string): (CommittedOffset & { topic: string; partition: number })[] {
    return [...(this.groups.get(group)?.values() ?? [])];
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Deletes a group's commits (tombstones, durably). */
  async deleteGroup(group: string): Promise<void> {
    const all = this.list(group);
    if (all.length === 0) return;
    const records: RecordInput[] = all.map((e) => ({ key: encodeKey(group, e.topic, e.partition), value: null }));
    await this.engine.append(OFFSETS_TOPIC, 0, encodeBatch({ records }));
    this.groups.delete(group);
  }

  /** Drops commits of a deleted topic from memory (the log keeps them until compaction; they are ignored). */
  forgetTopic(topic: string): void {
    for (const [group, g] of this.groups) {
      for (const [k, v] of g) if (v.topic === topic) g.delete(k);
      if (g.size === 0) this.groups.delete(group);
    }
  }
}
