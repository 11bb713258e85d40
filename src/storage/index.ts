/**
 * The storage engine's public embedding API: the only module of storage/ that anything
 * above it (the network server, another front-end, a tool) imports. See docs/storage.md.
 *
 *   const engine = await StorageEngine.open({ dataDir: './data' });
 *   await engine.createTopic('events', { partitions: 3 });
 *   const { baseOffset } = await engine.append('events', 0, batchBytes);
 *   const { batches, highWatermark } = engine.read('events', 0, baseOffset, 1 << 20);
 *   await engine.close();
 *
 * Every error is a TributaryError; switch on `code`: UNKNOWN_TOPIC_OR_PARTITION,
 * OFFSET_OUT_OF_RANGE, INVALID_TOPIC, TOPIC_EXISTS, INVALID_PARTITIONS, INVALID_CONFIG,
 * CORRUPT_BATCH, INVALID_BATCH, BATCH_TOO_LARGE, STORAGE_IO, CLOSED, INVALID_ARGUMENT, and for
 * idempotent producers PRODUCER_FENCED and OUT_OF_ORDER_SEQUENCE.
 *
 * Concurrency: appends to one partition are applied in call order; different partitions
 * are independent. `read` and `describeTopic` are synchronous and safe at any time.
 */
import { TributaryError } from '../errors.js';
import type { Logger } from '../logger.js';
import { childLogger, defaultLogger } from '../logger.js';
import { createBackend, defaultIoHooks } from './io-backend.js';
import type { BackendName, IoHooks } from './io-backend.js';
import type { StoragePool } from './log-loader.js';
import type { CleanOptions, CleanResult } from './log-cleaner.js';
import { LogManager } from './log-manager.js';
import type { AppendOptions, AppendResult, ReadResult } from './partition-log.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { defaultConfig, resolveConfig, validateConfig } from './topic-config.js';
import type { ConfigEntry } from './topic-config.js';

export type { AppendOptions, AppendResult, ReadResult } from './partition-log.js';
export type { BackendName, IoHooks } from './io-backend.js';
export type { StoragePool } from './log-loader.js';
export type { CleanOptions, CleanResult } from './log-cleaner.js';
export { COMPRESSION_TYPES, TOPIC_CONFIGS, TOPIC_CONFIG_KEYS, topicConfigSpec } from './topic-config.js';
export type { ConfigEntry, ConfigSource, ConfigType, TopicConfigSpec } from './topic-config.js';
export { validateTopicName } from './topic-name.js';

export interface StorageEngineOptions {
  dataDir: string;
  /** 'auto' (default): mmap when mmap-io loads, else file. */
  backend?: BackendName;
  logger?: Logger;
  /** Engine-wide defaults for topic config keys (Kafka's broker-level log.* settings). */
  topicDefaults?: Record<string, string | number>;
  /** Worker pool for recovery scans and CRC checks of large batches; in-thread without one. */
  pool?: StoragePool;
  /** Wall clock in ms (tests inject one). */
  clock?: () => number;
  /** Replaces writeSync/fdatasync (tests count syncs and inject I/O errors). */
  io?: Partial<IoHooks>;
  /** How often retention runs (default limits.retentionCheckIntervalMs). */
  retentionCheckIntervalMs?: number;
  /** How often the recovery-point checkpoint is written (default limits.checkpointIntervalMs). */
  checkpointIntervalMs?: number;
  /** How often the log cleaner looks at compacted topics (default limits.cleanerCheckIntervalMs). */
  cleanerCheckIntervalMs?: number;
  /**
   * Kafka's producer.id.expiration.ms, engine-wide (default limits.producerIdExpirationMsDefault,
   * 1 day): an idempotent producer whose last batch's timestamp is this old is forgotten.
   */
  producerIdExpirationMs?: number;
}

export interface CreateTopicOptions {
  partitions: number;
  config?: Record<string, string | number>;
}

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segments: number;
}

export interface TopicDescription {
  name: string;
  /** Kafka topic id (base64url form of 16 bytes), fixed when the topic is created. */
  topicId: string;
  partitions: PartitionDescription[];
  /** Every key's effective value. */
  config: Record<string, ConfigEntry>;
}

/** What ListOffsets asks for: the earliest offset, the latest (high watermark) or a timestamp in ms. */
export type OffsetSpec = 'earliest' | 'latest' | number;

export interface ListOffsetsResult {
  /** -1 when no record has a timestamp >= the one asked for. */
  offset: number;
  /** The found record's timestamp; -1 for 'earliest' / 'latest' / not found. */
  timestamp: number;
}

/** Called when a partition's high watermark or end offset changes (Fetch long-polls wait on it). */
export type EndOffsetListener = (topic: string, partition: number, highWatermark: number, logEndOffset: number) => void;

export class StorageEngine {
  private readonly listeners = new Set<EndOffsetListener>();
  private manager!: LogManager;
  private producerIds!: ProducerIdManager;

  private constructor() {}

  static async open(opts: StorageEngineOptions): Promise<StorageEngine> {
    const log = childLogger(opts.logger ?? defaultLogger(), { component: 'storage' });
    const hooks: IoHooks = { ...defaultIoHooks, ...opts.io };
    const backend = createBackend(opts.backend ?? 'auto', log, hooks);
    const engine = new StorageEngine();
    engine.manager = await LogManager.open({
      dataDir: opts.dataDir,
      backend,
      log,
      clock: opts.clock ?? Date.now,
      topicDefaults: resolveConfig({}, opts.topicDefaults ?? {}, [], defaultConfig()),
      ...(opts.pool ? { pool: opts.pool } : {}),
      ...(opts.retentionCheckIntervalMs !== undefined ? { retentionCheckIntervalMs: opts.retentionCheckIntervalMs } : {}),
      ...(opts.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: opts.checkpointIntervalMs } : {}),
      ...(opts.cleanerCheckIntervalMs !== undefined ? { cleanerCheckIntervalMs: opts.cleanerCheckIntervalMs } : {}),
      ...(opts.producerIdExpirationMs !== undefined ? { producerIdExpirationMs: checkExpiration(opts.producerIdExpirationMs) } : {}),
      onEndOffsetChange: (topic, partition, hw, leo) => {
        for (const l of engine.listeners) l(topic, partition, hw, leo);
      },
    });
    engine.producerIds = ProducerIdManager.open(opts.dataDir, log);
    return engine;
  }

  /** 'mmap' or 'file': what 'auto' resolved to. */
  get backend(): 'mmap' | 'file' {
    return this.manager.backendName;
  }

  /** True when the previous process closed this data directory cleanly. */
  get hadCleanShutdown(): boolean {
    return this.manager.hadCleanShutdown;
  }

  // ---- topics ------------------------------------------------------------------------------

  createTopic(name: string, opts: CreateTopicOptions): Promise<void> {
    return this.manager.createTopic(name, opts.partitions, opts.config ?? {});
  }

  deleteTopic(name: string): Promise<void> {
    return this.manager.deleteTopic(name);
  }

  /** Grows the topic to `total` partitions. */
  createPartitions(name: string, total: number): Promise<void> {
    return this.manager.createPartitions(name, total);
  }

  listTopics(): string[] {
    return this.manager.topicNames();
  }

  hasTopic(name: string): boolean {
    return this.manager.hasTopic(name);
  }

  /** The topic's stable id (16 bytes, Kafka's base64url form); UNKNOWN_TOPIC_OR_PARTITION if none. */
  topicId(name: string): string {
    return this.manager.topic(name).topicId;
  }

  /** The name of the topic with this id, or undefined (Fetch v13+ and Metadata v10+ name topics by id). */
  topicNameById(topicId: string): string | undefined {
    return this.manager.topicNameById(topicId);
  }

  describeTopic(name: string): TopicDescription {
    const t = this.manager.topic(name);
    const config = this.manager.describeConfig(t.config);
    return {
      name,
      topicId: t.topicId,
      config,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        logStartOffset: p.logStartOffset,
        logEndOffset: p.logEndOffset,
        highWatermark: p.highWatermark,
        sizeBytes: p.size,
        segments: p.segmentCount,
      })),
    };
  }

  /** Checks config keys and values (INVALID_CONFIG) on their own; the checks between keys need a topic (alterTopicConfig with validateOnly) or checkNewTopic. */
  validateTopicConfig(set: Record<string, string | number>): void {
    validateConfig(set);
  }

  /**
   * Every check createTopic makes (name, collisions, partitions, each config value and the rules
   * between them) without creating anything (CreateTopics validateOnly). Returns the config the
   * topic would have, every key with its source.
   */
  checkNewTopic(name: string, opts: CreateTopicOptions): Record<string, ConfigEntry> {
    return this.manager.describeConfig(this.manager.checkNewTopic(name, opts.partitions, opts.config ?? {}));
  }

  /** Every config key's default for a new topic, with its source ('engine' for StorageEngineOptions.topicDefaults). */
  describeTopicDefaults(): Record<string, ConfigEntry> {
    return this.manager.describeConfig({});
  }

  /**
   * Sets `set` and returns `remove` to their defaults, applied live to every partition;
   * INVALID_CONFIG on any bad key or value or broken rule between keys (nothing applied).
   * With `validateOnly`, only checks.
   */
  alterTopicConfig(name: string, set: Record<string, string | number>, remove: readonly string[] = [], opts: { validateOnly?: boolean } = {}): Promise<void> {
    return this.manager.alterTopicConfig(name, set, remove, opts.validateOnly ?? false);
  }

  // ---- data ----------------------------------------------------------------------------------

  /**
   * Appends one RecordBatch v2 (as a producer sent it). The buffer is stamped in place (base
   * offset, leader epoch, LogAppendTime) and, with a pool, large ones are transferred to a
   * worker for the CRC check (detached): the caller must not reuse it. Resolves once
   * the batch is as durable as the topic's flush policy promises.
   */
  async append(topic: string, partition: number, batch: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    return this.manager.partition(topic, partition).append(batch, opts);
  }

  /**
   * Whole batches from the one holding `offset`, at most `maxBytes` in total but at least one
   * batch, up to the high watermark. Zero-copy slices with the mmap backend.
   */
  read(topic: string, partition: number, offset: number, maxBytes: number): ReadResult {
    return this.manager.partition(topic, partition).read(offset, maxBytes);
  }

  /** Kafka ListOffsets: 'earliest' = log start, 'latest' = high watermark, a timestamp = first record at or after it. */
  listOffsets(topic: string, partition: number, spec: OffsetSpec): ListOffsetsResult {
    const log = this.manager.partition(topic, partition);
    if (spec === 'earliest') return { offset: log.logStartOffset, timestamp: -1 };
    if (spec === 'latest') return { offset: log.highWatermark, timestamp: -1 };
    if (typeof spec !== 'number' || !Number.isSafeInteger(spec)) throw new TributaryError('INVALID_ARGUMENT', `invalid offset spec ${String(spec)}`);
    return log.offsetForTimestamp(spec) ?? { offset: -1, timestamp: -1 };
  }

  /**
   * Kafka ListOffsets MAX_TIMESTAMP (-3, KIP-734): the offset and timestamp of the record with
   * the largest timestamp (the first of them on ties); -1/-1 when no record has a timestamp,
   * or when that record is not below the high watermark yet (Kafka answers "none" for an
   * offset at or above the last fetchable offset).
   */
  maxTimestampOffset(topic: string, partition: number): ListOffsetsResult {
    const log = this.manager.partition(topic, partition);
    const found = log.maxTimestampLookup();
    return found !== null && found.offset < log.highWatermark ? found : { offset: -1, timestamp: -1 };
  }

  /** Removes every batch at or after `offset` (a batch holding it goes whole); resolves with the new end offset. */
  async truncateTo(topic: string, partition: number, offset: number): Promise<number> {
    return this.manager.partition(topic, partition).truncateTo(offset);
  }

  /** Moves the log start offset to `offset` (-1: the high watermark); resolves with the new log start offset. */
  async deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<number> {
    return this.manager.partition(topic, partition).deleteRecordsBefore(offset);
  }

  /** Makes everything appended so far durable, whatever the policy. */
  async flush(topic: string, partition: number): Promise<void> {
    return this.manager.partition(topic, partition).flush();
  }

  /** Runs one retention pass now (it also runs on a timer); resolves with the segments deleted. */
  enforceRetention(): Promise<number> {
    return this.manager.enforceRetention();
  }

  // ---- idempotent producers -----------------------------------------------------------------

  /**
   * A producer id for InitProducerId (the broker answers with it and epoch 0). Never the same
   * id twice for this data directory, across restarts and crashes: ids come from blocks
   * reserved durably before use. STORAGE_IO when the block file cannot be written or is corrupt.
   */
  allocateProducerId(): Promise<number> {
    return this.producerIds.allocate();
  }

  /**
   * Runs the log cleaner now (it also runs on a timer) over the compacted partitions: all of
   * them, one topic's, or one partition. Each is cleaned when its dirty ratio, compaction lags
   * or tombstone horizons call for it, or, with `{ force: true }`, whatever is cleanable
   * (closed segments below the high watermark and older than min.compaction.lag.ms).
   * Resolves with one entry per partition that was cleaned. Offsets never change.
   */
  compact(topic?: string, partition?: number, opts: CleanOptions = {}): Promise<CleanResult[]> {
    return this.manager.compact(topic, partition, opts);
  }

  /** Subscribes to end-offset changes; returns the unsubscribe function. */
  onEndOffsetChange(listener: EndOffsetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Flushes everything, writes the checkpoints and the clean-shutdown marker. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.producerIds.close();
    return this.manager.close();
  }
}

function checkExpiration(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 1) throw new TributaryError('INVALID_CONFIG', `producerIdExpirationMs ${ms} must be a positive integer`, { producerIdExpirationMs: ms });
  return ms;
}
