/**
 * All partition logs of one data directory (Kafka's LogManager), their topics' configs, the
 * checkpoints and the background retention and checkpoint timers.
 *
 * On-disk format of the data directory:
 *   topics/<topic>.json                 {"version":1,"name","topicId","partitions","config":{key: value}}
 *   <topic>-<partition>/                one PartitionLog each
 *   recovery-point-offset-checkpoint    offset-checkpoint.ts format
 *   log-start-offset-checkpoint         offset-checkpoint.ts format
 *   .clean-shutdown                     present only between a clean close and the next open
 *   <topic>-<partition>.<id>-delete/    a deleted partition whose files are being removed
 *
 * Crash behaviour: topic files and checkpoints are written atomically. Creating a topic writes
 * its JSON first (a crash leaves a topic whose partition directories are created on open);
 * deleting one removes the JSON first, then renames and removes the directories (leftover
 * `-delete` directories are removed on open). The clean-shutdown marker is removed (durably)
 * before anything is opened and written only after every log was flushed and closed.
 *
 * Concurrency: topic administration (create, delete, add partitions, alter config) is
 * serialised; appends and reads go straight to the PartitionLog.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TributaryError, storageIoError } from '../errors.js';
import { checkpointIntervalMs, cleanerCheckIntervalMs, partitionsMax, retentionCheckIntervalMs } from '../limits.js';
import type { Logger } from '../logger.js';
import { fsyncDir, removeFileDurably, writeFileAtomic } from './durable-fs.js';
import type { IoBackend } from './io-backend.js';
import { LogCleaner } from './log-cleaner.js';
import type { CleanOptions, CleanResult } from './log-cleaner.js';
import type { StoragePool } from './log-loader.js';
import { OffsetCheckpoint, partitionKey } from './offset-checkpoint.js';
import type { PartitionOffsets } from './offset-checkpoint.js';
import { PartitionLog } from './partition-log.js';
import { defaultConfig, describeConfig, parseConfig, resolveConfig, validateConfig } from './topic-config.js';
import type { ConfigEntry, ConfigMap } from './topic-config.js';
import { collisionKey, validateTopicName } from './topic-name.js';

export const TOPICS_DIR = 'topics';
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_FILE = 'log-start-offset-checkpoint';
const DELETE_SUFFIX = '-delete';
const PARTITION_DIR = /^(.+)-(\d+)$/;

export interface LogManagerOptions {
  dataDir: string;
  backend: IoBackend;
  log: Logger;
  clock: () => number;
  /** Engine-wide defaults for topic configs (validated): Kafka's static broker log.* settings. */
  topicDefaults: ConfigMap;
  pool?: StoragePool;
  retentionCheckIntervalMs?: number;
  /** How often the log cleaner looks at compacted logs (default limits.cleanerCheckIntervalMs). */
  cleanerCheckIntervalMs?: number;
  checkpointIntervalMs?: number;
  /** producer.id.expiration.ms for every partition (default limits.producerIdExpirationMsDefault). */
  producerIdExpirationMs?: number;
  onEndOffsetChange?: (topic: string, partition: number, highWatermark: number, logEndOffset: number) => void;
}

export interface TopicState {
  name: string;
  /** Kafka topic id: 16 random bytes in Kafka's base64url form (22 characters), fixed at creation. */
  topicId: string;
  /** The topic's own config values (not the defaults). */
  config: ConfigMap;
  partitions: PartitionLog[];
}

interface TopicFile {
  version: 1;
  name: string;
  topicId: string;
  partitions: number;
  config: ConfigMap;
}

/** A random Kafka Uuid in its string form; like Kafka, never all zeros and never starting with '-'. */
function newTopicId(): string {
  for (;;) {
    const bytes = crypto.randomBytes(16);
    const id = bytes.toString('base64url');
    if (!id.startsWith('-') && bytes.some((b) => b !== 0)) return id;
  }
}

export class LogManager {
  private readonly topics = new Map<string, TopicState>();
  private readonly defaults: ConfigMap;
  private readonly recoveryCheckpoint: OffsetCheckpoint;
  private readonly startCheckpoint: OffsetCheckpoint;
  private admin: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private readonly cleaner: LogCleaner;
  private cleaning: Promise<unknown> | null = null;
  private closed = false;
  /** Whether the last stop was clean (for tests and logs). */
  readonly hadCleanShutdown: boolean;

  private constructor(
    private readonly opts: LogManagerOptions,
    cleanShutdown: boolean,
    private readonly recoveryPoints: PartitionOffsets,
    private readonly startOffsets: PartitionOffsets,
  ) {
    this.defaults = defaultConfig(opts.topicDefaults);
    this.recoveryCheckpoint = new OffsetCheckpoint(path.join(opts.dataDir, RECOVERY_POINT_FILE), opts.log);
    this.startCheckpoint = new OffsetCheckpoint(path.join(opts.dataDir, LOG_START_FILE), opts.log);
    this.hadCleanShutdown = cleanShutdown;
    this.cleaner = new LogCleaner({ dataDir: opts.dataDir, backend: opts.backend, log: opts.log, clock: opts.clock, ...(opts.pool ? { pool: opts.pool } : {}) });
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const { dataDir, log } = opts;
    try {
      fs.mkdirSync(path.join(dataDir, TOPICS_DIR), { recursive: true });
    } catch (err) {
      throw storageIoError(`create ${dataDir}`, err, { path: dataDir });
    }
    const marker = path.join(dataDir, CLEAN_SHUTDOWN_FILE);
    const clean = fs.existsSync(marker);
    // From here on a crash must count as unclean.
    if (clean) await removeFileDurably(marker);
    const rp = new OffsetCheckpoint(path.join(dataDir, RECOVERY_POINT_FILE), log).read();
    const so = new OffsetCheckpoint(path.join(dataDir, LOG_START_FILE), log).read();
    const mgr = new LogManager(opts, clean, rp, so);
    await mgr.removeDeletedDirs();
    const files = fs.readdirSync(path.join(dataDir, TOPICS_DIR)).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      const tf = mgr.readTopicFile(path.join(dataDir, TOPICS_DIR, f));
      if (!tf) continue;
      const state: TopicState = { name: tf.name, topicId: tf.topicId, config: tf.config, partitions: [] };
      for (let p = 0; p < tf.partitions; p++) state.partitions.push(await mgr.openPartition(tf.name, p, tf.config, clean));
      if (tf.needsRewrite) await mgr.writeTopicFile(state.name, tf.partitions, state.config, state.topicId);
      mgr.topics.set(tf.name, state);
    }
    for (const name of fs.readdirSync(dataDir)) {
      const m = PARTITION_DIR.exec(name);
      if (m && !mgr.topics.has(m[1]!)) log.warn({ dir: name }, 'partition directory of an unknown topic; left untouched');
    }
    await mgr.writeCheckpoints();
    mgr.startTimers();
    log.info({ dataDir, topics: mgr.topics.size, cleanShutdown: clean, backend: opts.backend.name }, 'storage opened');
    return mgr;
  }

  private readTopicFile(file: string): (TopicFile & { needsRewrite: boolean }) | null {
    try {
      const tf = JSON.parse(fs.readFileSync(file, 'utf8')) as TopicFile & { needsRewrite: boolean };
      tf.needsRewrite = typeof tf.topicId !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(tf.topicId);
      if (tf.needsRewrite) tf.topicId = newTopicId();
      validateTopicName(tf.name);
      if (path.basename(file) !== `${tf.name}.json`) throw new Error('file name does not match the topic name');
      if (!Number.isInteger(tf.partitions) || tf.partitions < 1 || tf.partitions > partitionsMax) throw new Error('bad partition count');
      tf.config = validateConfig(tf.config ?? {});
      return tf;
    } catch (err) {
      this.opts.log.error({ err, file }, 'unreadable topic file; the topic is not loaded');
      return null;
    }
  }

  private async removeDeletedDirs(): Promise<void> {
    for (const name of fs.readdirSync(this.opts.dataDir)) {
      if (name.endsWith(DELETE_SUFFIX)) await fs.promises.rm(path.join(this.opts.dataDir, name), { recursive: true, force: true });
    }
  }

  private partitionDir(topic: string, partition: number): string {
    return path.join(this.opts.dataDir, `${topic}-${partition}`);
  }

  private openPartition(topic: string, partition: number, config: ConfigMap, clean: boolean): Promise<PartitionLog> {
    const key = partitionKey(topic, partition);
    return PartitionLog.open({
      dir: this.partitionDir(topic, partition),
      topic,
      partition,
      config: parseConfig(config, this.defaults),
      backend: this.opts.backend,
      log: this.opts.log,
      clock: this.opts.clock,
      cleanShutdown: clean,
      recoveryPoint: this.recoveryPoints.get(key) ?? 0,
      logStartOffset: this.startOffsets.get(key) ?? 0,
      ...(this.opts.pool ? { pool: this.opts.pool } : {}),
      onEndOffsetChange: (hw, leo) => this.opts.onEndOffsetChange?.(topic, partition, hw, leo),
      onLogStartOffsetChange: () => this.writeStartCheckpoint(),
      onTruncate: (offset) => this.cleaner.truncateCheckpoint(topic, partition, offset),
      ...(this.opts.producerIdExpirationMs !== undefined ? { producerIdExpirationMs: this.opts.producerIdExpirationMs } : {}),
    });
  }

  private startTimers(): void {
    const retention = setInterval(() => {
      this.enforceRetention().catch((err: unknown) => this.opts.log.error({ err }, 'retention check failed'));
    }, this.opts.retentionCheckIntervalMs ?? retentionCheckIntervalMs);
    const checkpoint = setInterval(() => {
      this.writeCheckpoints().catch((err: unknown) => this.opts.log.error({ err }, 'checkpoint write failed'));
    }, this.opts.checkpointIntervalMs ?? checkpointIntervalMs);
    const cleaner = setInterval(() => {
      if (this.cleaning) return; // the previous round is still going
      this.cleaning = this.compact()
        .catch((err: unknown) => this.opts.log.error({ err }, 'log cleaning failed'))
        .finally(() => (this.cleaning = null));
    }, this.opts.cleanerCheckIntervalMs ?? cleanerCheckIntervalMs);
    retention.unref();
    checkpoint.unref();
    cleaner.unref();
    this.timers = [retention, checkpoint, cleaner];
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new TributaryError('CLOSED', 'storage engine is closed'));
    const run = this.admin.then(fn);
    this.admin = run.catch(() => undefined);
    return run;
  }

  // ---- lookups -------------------------------------------------------------------------------

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  /** The topic with this id, or undefined. */
  topicNameById(topicId: string): string | undefined {
    for (const t of this.topics.values()) if (t.topicId === topicId) return t.name;
    return undefined;
  }

  topic(name: string): TopicState {
    const t = this.topics.get(name);
    if (!t) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic '${name}'`, { topic: name });
    return t;
  }

  partition(topic: string, partition: number): PartitionLog {
    const t = this.topics.get(topic);
    const p = Number.isInteger(partition) ? t?.partitions[partition] : undefined;
    if (!p) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `unknown partition ${topic}-${partition}`, { topic, partition });
    return p;
  }

  get backendName(): 'mmap' | 'file' {
    return this.opts.backend.name;
  }

  /** Every config key's effective value and source for a topic whose own config is `own`. */
  describeConfig(own: ConfigMap): Record<string, ConfigEntry> {
    return describeConfig(own, this.opts.topicDefaults);
  }

  // ---- administration ------------------------------------------------------------------------

  private async writeTopicFile(name: string, partitions: number, config: ConfigMap, topicId: string): Promise<void> {
    const tf: TopicFile = { version: 1, name, topicId, partitions, config };
    await writeFileAtomic(path.join(this.opts.dataDir, TOPICS_DIR, `${name}.json`), JSON.stringify(tf, null, 2) + '\n');
  }

  /**
   * Every check createTopic makes (name, collisions, partition count, config), without creating
   * anything: CreateTopics with validateOnly. Resolves with the topic's own config as it would be.
   */
  checkNewTopic(name: string, partitions: number, config: Record<string, string | number> = {}): ConfigMap {
    validateTopicName(name);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > partitionsMax) {
      throw new TributaryError('INVALID_PARTITIONS', `partition count ${partitions} is not in [1, ${partitionsMax}]`, { partitions });
    }
    const own = resolveConfig({}, config, [], this.defaults);
    if (this.topics.has(name)) throw new TributaryError('TOPIC_EXISTS', `topic '${name}' already exists`, { topic: name });
    const key = collisionKey(name);
    for (const other of this.topics.keys()) {
      if (collisionKey(other) === key) throw new TributaryError('INVALID_TOPIC', `topic '${name}' collides with existing topic '${other}' ('.' and '_' are interchangeable)`, { topic: name });
    }
    return own;
  }

  async createTopic(name: string, partitions: number, config: Record<string, string | number> = {}): Promise<void> {
    this.checkNewTopic(name, partitions, config);
    return this.serial(async () => {
      // Checked again in turn: another create may have run since.
      const own = this.checkNewTopic(name, partitions, config);
      // Leftovers of an earlier topic with this name that was deleted before its JSON... never trust them.
      for (let p = 0; p < partitions; p++) await fs.promises.rm(this.partitionDir(name, p), { recursive: true, force: true });
      const topicId = newTopicId();
      await this.writeTopicFile(name, partitions, own, topicId);
      const state: TopicState = { name, topicId, config: own, partitions: [] };
      this.topics.set(name, state);
      for (let p = 0; p < partitions; p++) state.partitions.push(await this.openPartition(name, p, own, false));
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.serial(async () => {
      const t = this.topic(name);
      this.topics.delete(name);
      await removeFileDurably(path.join(this.opts.dataDir, TOPICS_DIR, `${name}.json`));
      const id = crypto.randomBytes(6).toString('hex');
      for (const log of t.partitions) {
        await log.abandon();
        const doomed = `${log.dir}.${id}${DELETE_SUFFIX}`;
        try {
          await fs.promises.rename(log.dir, doomed);
        } catch (err) {
          throw storageIoError(`rename ${log.dir}`, err, { path: log.dir });
        }
        this.recoveryPoints.delete(partitionKey(name, log.partition));
        this.startOffsets.delete(partitionKey(name, log.partition));
        await this.cleaner.forget(name, log.partition);
      }
      await fsyncDir(this.opts.dataDir);
      await this.writeCheckpoints();
      // Mapped slices of these files stay readable after the unlink.
      for (const log of t.partitions) {
        fs.promises.rm(`${log.dir}.${id}${DELETE_SUFFIX}`, { recursive: true, force: true }).catch((err: unknown) => this.opts.log.warn({ err }, 'cannot remove deleted partition'));
      }
    });
  }

  createPartitions(name: string, total: number): Promise<void> {
    return this.serial(async () => {
      const t = this.topic(name);
      const current = t.partitions.length;
      if (!Number.isInteger(total) || total <= current || total > partitionsMax) {
        throw new TributaryError('INVALID_PARTITIONS', `topic '${name}' has ${current} partitions; the new total ${total} must be larger (at most ${partitionsMax})`, {
          topic: name,
          total,
          current,
        });
      }
      for (let p = current; p < total; p++) await fs.promises.rm(this.partitionDir(name, p), { recursive: true, force: true });
      await this.writeTopicFile(name, total, t.config, t.topicId);
      for (let p = current; p < total; p++) t.partitions.push(await this.openPartition(name, p, t.config, false));
    });
  }

  /**
   * Sets `set` and returns `remove` to their defaults, through the one validator
   * (topic-config.ts resolveConfig); with `validateOnly`, checks and changes nothing. The new
   * config is written durably, then applied live to every partition (retention, segment
   * rolling, flush policy, cleanup policy, compression, timestamp rules).
   */
  alterTopicConfig(name: string, set: Record<string, string | number>, remove: readonly string[] = [], validateOnly = false): Promise<void> {
    return this.serial(async () => {
      const t = this.topic(name);
      const next = resolveConfig(t.config, set, remove, this.defaults);
      if (validateOnly) return;
      await this.writeTopicFile(name, t.partitions.length, next, t.topicId);
      t.config = next;
      const parsed = parseConfig(next, this.defaults);
      for (const log of t.partitions) log.updateConfig(parsed);
    });
  }

  // ---- background work ----------------------------------------------------------------------

  /**
   * One log-cleaner pass now over the compacted partitions (all, one topic's, or one), each
   * cleaned if its dirty ratio, lags or tombstone horizons call for it (or whatever is
   * cleanable with `force`). Resolves with what each cleaned partition's pass did.
   * An error on one partition is logged and the others are still cleaned; the first is rethrown.
   */
  async compact(topic?: string, partition?: number, opts: CleanOptions = {}): Promise<CleanResult[]> {
    const logs = topic === undefined ? this.allLogs() : partition === undefined ? this.topic(topic).partitions : [this.partition(topic, partition)];
    const out: CleanResult[] = [];
    let failure: unknown = null;
    for (const log of logs) {
      try {
        const r = await this.cleaner.cleanLog(log, opts);
        if (r) out.push(r);
      } catch (err) {
        this.opts.log.error({ err, topic: log.topic, partition: log.partition }, 'cleaning a log failed');
        failure ??= err;
      }
    }
    if (failure !== null) throw failure;
    return out;
  }

  /** The log cleaner's checkpointed first dirty offset of a partition (tests and tools). */
  cleanerCheckpoint(topic: string, partition: number): number | undefined {
    return this.cleaner.firstDirtyOffset(topic, partition);
  }

  /** One retention pass over every log. Resolves with the number of segments deleted. */
  async enforceRetention(): Promise<number> {
    let n = 0;
    for (const t of [...this.topics.values()]) {
      for (const log of t.partitions) n += await log.enforceRetention(this.opts.clock());
    }
    return n;
  }

  private allLogs(): PartitionLog[] {
    return [...this.topics.values()].flatMap((t) => t.partitions);
  }

  private writeStartCheckpoint(): Promise<void> {
    const m: PartitionOffsets = new Map();
    for (const log of this.allLogs()) m.set(partitionKey(log.topic, log.partition), log.logStartOffset);
    return this.startCheckpoint.write(m);
  }

  /** Writes both checkpoints from the logs' current state. */
  async writeCheckpoints(): Promise<void> {
    const rp: PartitionOffsets = new Map();
    for (const log of this.allLogs()) rp.set(partitionKey(log.topic, log.partition), log.recoveryPoint);
    await Promise.all([this.recoveryCheckpoint.write(rp), this.writeStartCheckpoint()]);
  }

  /** Flushes and closes every log, writes the checkpoints, then the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.admin;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.cleaner.close();
    const results = await Promise.allSettled(this.allLogs().map((l) => l.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    await this.writeCheckpoints();
    if (failed) {
      // Without the marker the next open recovers from the checkpoints: that is what we want.
      throw failed.reason;
    }
    await writeFileAtomic(path.join(this.opts.dataDir, CLEAN_SHUTDOWN_FILE), '');
  }
}
