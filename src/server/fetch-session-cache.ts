/**
 * Incremental fetch sessions (KIP-227): the sessions a broker remembers between Fetch
 * requests, and the cache that bounds them (Kafka's FetchSession / FetchSessionCache).
 *
 * A session remembers, per partition, the last request parameters (fetch offset, byte limit,
 * epochs) and what the last response said about it (high watermark, log start offset). A
 * client then sends only the partitions that changed, and the broker answers only the
 * partitions that changed: new records, a moved high watermark or log start offset, or an
 * error. Partitions are kept in fetch order; one that returned records moves to the end, so
 * a byte budget that runs out does not starve the same partitions every time.
 *
 * Session metadata (FetchMetadata.java): session id 0 means none; epoch 0 asks for a new
 * session (full request), -1 asks for none (full, sessionless), any other epoch continues a
 * session; the broker starts a session at epoch 1 and the next request must carry the
 * session's epoch, which then moves on by one (INT32_MAX wraps to 1).
 *
 * The cache holds at most `slots` sessions (Kafka's max.incremental.fetch.session.cache.slots)
 * and, Tributary's own bounds since every partition costs memory, at most `partitionsMax`
 * partitions per session and `totalPartitionsMax` over all of them. A new session takes a
 * free slot, or evicts, as Kafka's tryEvict does for unprivileged (consumer) sessions:
 *   1. the least recently used session, if unused for longer than `evictionMs`; else
 *   2. the smallest session (then the lowest id) among those older than `evictionMs` when
 *      last used, if the new one has strictly more partitions.
 * When neither frees room the request gets no session (session id 0) and the client goes on
 * with full fetches. Followers (privileged sessions) do not exist here: one broker.
 *
 * Cost: creating a session scans the sessions for an eviction candidate, O(slots) (1000 by
 * default), only when the cache is full. Concurrency: the event loop only; a Fetch that waits
 * (long poll) holds its session object, which may meanwhile be evicted or closed, and checks
 * the session's epoch again before it answers (Kafka does the same).
 */
import { randomInt } from 'node:crypto';
import { fetchSessionCacheSlotsDefault, fetchSessionCachePartitionsMax, fetchSessionEvictionMs, fetchSessionPartitionsMax } from '../limits.js';

/** FetchMetadata.INVALID_SESSION_ID: no session. */
export const INVALID_SESSION_ID = 0;
/** FetchMetadata.INITIAL_EPOCH: a full request that asks for a new session. */
export const INITIAL_EPOCH = 0;
/** FetchMetadata.FINAL_EPOCH: a full request that asks for no session (closes one it names). */
export const FINAL_EPOCH = -1;

const INT32_MAX = 0x7fff_ffff;

/** FetchMetadata.nextEpoch. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === INT32_MAX ? 1 : epoch + 1;
}

/** The request parameters of one partition of a Fetch (FetchRequest.PartitionData). */
export interface PartitionRequest {
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
}

/** What a response said about one partition; what decides whether it is sent again. */
export interface PartitionResponseState {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** Bytes of records in the response. */
  recordBytes: number;
}

/** A partition a session remembers (Kafka's CachedPartition). */
export interface CachedPartition extends PartitionRequest {
  /** The topic as the request named it: its name (v7-12) or its topic id (v13+). */
  readonly topic: string;
  readonly partition: number;
  /** The high watermark last sent, -1 when none was (or after an error: sent again once it clears). */
  highWatermark: number;
  /** The log start offset last sent, -1 when none was. */
  localLogStartOffset: number;
}

/** The session key of a partition. */
export function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FetchSession {
  /** Partitions in fetch order, by partitionKeyOf. */
  readonly partitions = new Map<string, CachedPartition>();
  lastUsedMs: number;
  epoch: number;
  /** The partition count the cache accounted at the last touch. */
  cachedSize = 0;
  /** Set at touch: older than evictionMs then, so a larger new session may take its slot. */
  evictableByAll = false;

  constructor(
    readonly id: number,
    /** Created by a v13+ Fetch: partitions are named by topic id, and must stay so. */
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
  ) {
    this.lastUsedMs = creationMs;
    this.epoch = nextEpoch(INITIAL_EPOCH);
  }

  get size(): number {
    return this.partitions.size;
  }

  /**
   * Applies an incremental request: partitions it names are added or take its parameters,
   * forgotten ones are dropped (FetchSession.update). Returns how many were added.
   */
  update(requested: readonly { topic: string; partition: number; params: PartitionRequest }[], forgotten: readonly { topic: string; partition: number }[]): number {
    let added = 0;
    for (const r of requested) {
      const key = partitionKeyOf(r.topic, r.partition);
      const cached = this.partitions.get(key);
      if (cached === undefined) {
        this.partitions.set(key, { topic: r.topic, partition: r.partition, ...r.params, highWatermark: -1, localLogStartOffset: -1 });
        added++;
      } else {
        Object.assign(cached, r.params);
      }
    }
    for (const f of forgotten) this.partitions.delete(partitionKeyOf(f.topic, f.partition));
    return added;
  }

  /**
   * Whether a response must carry this partition (CachedPartition.maybeUpdateResponseData):
   * it has records, an error, or a high watermark or log start offset the client has not
   * seen. With `update`, the cached state takes the response's values (an error resets the
   * cached high watermark so the partition is sent again once the error clears) and a
   * partition with records moves to the end of the fetch order.
   */
  mustRespond(key: string, res: PartitionResponseState, update: boolean): boolean {
    const cached = this.partitions.get(key);
    if (cached === undefined) return true;
    let must = res.recordBytes > 0;
    if (cached.highWatermark !== res.highWatermark) {
      must = true;
      if (update) cached.highWatermark = res.highWatermark;
    }
    if (cached.localLogStartOffset !== res.logStartOffset) {
      must = true;
      if (update) cached.localLogStartOffset = res.logStartOffset;
    }
    if (res.errorCode !== 0) {
      must = true;
      if (update) cached.highWatermark = -1;
    }
    if (update && res.recordBytes > 0) {
      this.partitions.delete(key);
      this.partitions.set(key, cached);
    }
    return must;
  }
}

export interface FetchSessionCacheSettings {
  /** Kafka's max.incremental.fetch.session.cache.slots; 0 turns sessions off. */
  slots: number;
  /** Partitions one session may hold. */
  partitionsMax: number;
  /** Partitions over all sessions. */
  totalPartitionsMax: number;
  /** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS. */
  evictionMs: number;
}

export const fetchSessionCacheDefaults: FetchSessionCacheSettings = {
  slots: fetchSessionCacheSlotsDefault,
  partitionsMax: fetchSessionPartitionsMax,
  totalPartitionsMax: fetchSessionCachePartitionsMax,
  evictionMs: fetchSessionEvictionMs,
};

/** The cache's gauges and counters (Kafka: NumIncrementalFetchSessions, ...PartitionsCached, ...EvictionsPerSec). */
export interface FetchSessionCacheStats {
  sessions: number;
  partitionsCached: number;
  /** Sessions created since start. */
  created: number;
  /** Sessions evicted to make room since start. */
  evictions: number;
  /** Full fetches that asked for a session and got none (cache full, or too many partitions). */
  refused: number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private totalPartitions = 0;
  private created = 0;
  private evictions = 0;
  private refused = 0;
  readonly settings: FetchSessionCacheSettings;

  constructor(
    settings: Partial<FetchSessionCacheSettings> = {},
    /** A random session id in [1, INT32_MAX) (tests make it deterministic). */
    private readonly randomId: () => number = () => randomInt(1, INT32_MAX),
  ) {
    this.settings = { ...fetchSessionCacheDefaults, ...settings };
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  stats(): FetchSessionCacheStats {
    return { sessions: this.sessions.size, partitionsCached: this.totalPartitions, created: this.created, evictions: this.evictions, refused: this.refused };
  }

  /** Whether a session may hold `size` partitions at all. */
  fits(size: number): boolean {
    return size <= this.settings.partitionsMax && size <= this.settings.totalPartitionsMax;
  }

  /**
   * A new session holding `partitions` (in fetch order), or null when there is no room even
   * after evicting what Kafka's rules let a session of this size evict.
   */
  maybeCreate(now: number, usesTopicIds: boolean, partitions: readonly CachedPartition[]): FetchSession | null {
    const size = partitions.length;
    if (!this.fits(size) || this.settings.slots <= 0) {
      this.refused++;
      return null;
    }
    while (this.sessions.size >= this.settings.slots || this.totalPartitions + size > this.settings.totalPartitionsMax) {
      if (!this.tryEvict(size, now)) {
        this.refused++;
        return null;
      }
    }
    const session = new FetchSession(this.newId(), usesTopicIds, now);
    for (const p of partitions) session.partitions.set(partitionKeyOf(p.topic, p.partition), p);
    this.sessions.set(session.id, session);
    this.created++;
    this.touch(session, now);
    return session;
  }

  /** Marks a session used now and accounts its size (FetchSessionCache.touch). */
  touch(session: FetchSession, now: number): void {
    if (this.sessions.get(session.id) !== session) return;
    session.lastUsedMs = now;
    this.totalPartitions += session.size - session.cachedSize;
    session.cachedSize = session.size;
    session.evictableByAll = now - session.creationMs > this.settings.evictionMs;
  }

  /** Whether growing `session` to `size` partitions stays within the per-session and total bounds. */
  fitsGrowth(session: FetchSession, size: number): boolean {
    return size <= this.settings.partitionsMax && this.totalPartitions - session.cachedSize + size <= this.settings.totalPartitionsMax;
  }

  remove(session: FetchSession): boolean {
    if (this.sessions.get(session.id) !== session) return false;
    this.sessions.delete(session.id);
    this.totalPartitions -= session.cachedSize;
    return true;
  }

  removeById(id: number): boolean {
    const s = this.sessions.get(id);
    return s !== undefined && this.remove(s);
  }

  /** Drops every session (shutdown). */
  clear(): void {
    this.sessions.clear();
    this.totalPartitions = 0;
  }

  /** Kafka's tryEvict for an unprivileged session of `size` partitions. */
  private tryEvict(size: number, now: number): boolean {
    let lru: FetchSession | undefined;
    let smallest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (lru === undefined || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs === lru.lastUsedMs && s.id < lru.id)) lru = s;
      if (s.evictableByAll && (smallest === undefined || s.cachedSize < smallest.cachedSize || (s.cachedSize === smallest.cachedSize && s.id < smallest.id))) smallest = s;
    }
    if (lru === undefined) return false;
    let victim: FetchSession | undefined;
    if (now - lru.lastUsedMs > this.settings.evictionMs) victim = lru;
    else if (smallest !== undefined && size > smallest.cachedSize) victim = smallest;
    if (victim === undefined) return false;
    this.remove(victim);
    this.evictions++;
    return true;
  }

  private newId(): number {
    for (;;) {
      const id = this.randomId();
      if (Number.isInteger(id) && id > 0 && id <= INT32_MAX && !this.sessions.has(id)) return id;
    }
  }
}
