/**
 * Topic configuration: every per-topic key Kafka 3.x and 4.x accept, defined once as data
 * (`TOPIC_CONFIGS`: type, default, validator, broker-level synonym, what Tributary does with
 * it), and the one validator every way of setting them goes through (`resolveConfig`:
 * createTopic, alterTopicConfig and their validate-only forms).
 *
 * Values travel as strings, as in Kafka's CreateTopics/AlterConfigs, and are kept in their
 * canonical form (config-values.ts). An unknown key or a bad value is INVALID_CONFIG with
 * Kafka's message ("Unknown topic config name: x", "Invalid value -2 for configuration
 * retention.ms: Value must be at least -1"). Validators are Kafka's (LogConfig's ConfigDef,
 * Kafka 3.9 plus the keys 4.x added), with three Tributary departures, each documented in
 * docs/configs.md: segment.bytes keeps 3.x's lower bound (14, not 4.x's 1 MiB), list configs
 * drop repeated items (KIP-1161) instead of keeping them, and the deprecated 3.x keys
 * (message.format.version, message.downconversion.enable, message.timestamp.difference.max.ms)
 * are still accepted although Kafka 4.0 removed them.
 *
 * Effects: a key is either `applied` by the storage engine (parsed into LogConfig) or a
 * documented `no-op` (replication, tiered storage and file-handling keys one broker with
 * mmapped segments has no use for); docs/configs.md lists each and a test keeps it in step.
 * Where an applied value exceeds what this engine can do (max.message.bytes above
 * batchBytesMax, segment.index.bytes outside [indexBytesMin, indexBytesMax]), it is accepted
 * as Kafka accepts it and clamped in LogConfig.
 *
 * Rules between keys (Kafka LogConfig.validateValues and the remote-storage checks) run on
 * the effective config: min.compaction.lag.ms may not exceed max.compaction.lag.ms, and
 * remote.storage.enable=true is refused as Kafka refuses it on a broker without tiered storage.
 */
import { TributaryError } from '../errors.js';
import {
  batchBytesMax,
  deleteRetentionMsDefault,
  flushMessagesTopicDefault,
  flushNeverValue,
  indexBytesDefault,
  indexBytesMax,
  indexBytesMin,
  indexIntervalBytesDefault,
  maxMessageBytesDefault,
  minCleanableDirtyRatioDefault,
  minCompactionLagMsDefault,
  retentionBytesDefault,
  retentionMsDefault,
  segmentBytesDefault,
  segmentBytesMin,
  segmentMsDefault,
} from '../limits.js';
import type { ConfigType, Validator } from './config-values.js';
import { LONG_MAX_STRING, bool, double, gzipLevel, int, javaDouble, listItems, listOf, long, metadataVersion, oneOf, throttledReplicas } from './config-values.js';

export type { ConfigType } from './config-values.js';

/** One topic config key. */
export interface TopicConfigSpec {
  name: string;
  type: ConfigType;
  /** Tributary's default, canonical. */
  default: string;
  /** Kafka's default where Tributary's differs (flush.messages). */
  kafkaDefault?: string;
  /** The broker setting that supplies the default in Kafka (ServerTopicConfigSynonyms), or null. */
  brokerSynonym: string | null;
  /** `applied`: the engine acts on it; `no-op`: accepted, stored and described, nothing else. */
  effect: 'applied' | 'no-op';
  /** What the key means (DescribeConfigs documentation, v3+). */
  doc: string;
  /** What Tributary does with it (for a no-op, why not). */
  note: string;
  validate: Validator;
}

/** Kafka's names for compression.type values other than `producer`, by codec id. */
export const COMPRESSION_TYPES = ['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

type Spec = Omit<TopicConfigSpec, 'name'>;
const applied = (type: ConfigType, def: string | number, brokerSynonym: string | null, validate: Validator, doc: string, note: string, extra: Partial<Spec> = {}): Spec => ({
  type, default: String(def), brokerSynonym, effect: 'applied', doc, note, validate, ...extra,
});
const noop = (type: ConfigType, def: string | number, brokerSynonym: string | null, validate: Validator, doc: string, note: string): Spec => ({
  type, default: String(def), brokerSynonym, effect: 'no-op', doc, note, validate,
});

const ONE_BROKER = 'One broker holds every replica: there is no replication to act on.';
const NO_TIERED = 'Tributary has no tiered storage.';

/** The table: every key, with its type, default, validator and effect. Sorted by name. */
const SPECS: Record<string, Spec> = {
  'cleanup.policy': applied('LIST', 'delete', 'log.cleanup.policy', listOf('compact', 'delete'),
    'Retention policy for old segments: delete (by retention.ms / retention.bytes), compact (keep the latest record per key), both, or neither (empty).',
    'Applied live: compact runs the log cleaner and requires keys; delete runs time/size retention; an empty list keeps everything.'),
  'compression.gzip.level': applied('INT', -1, 'compression.gzip.level', gzipLevel,
    'Level used when the broker compresses batches with gzip (1-9, -1 for the codec default).',
    'Passed to zlib when the broker recompresses into gzip.'),
  'compression.lz4.level': noop('INT', 9, 'compression.lz4.level', int(1, 17),
    'Level used when the broker compresses batches with lz4 (1-17).',
    'Validated and kept; the LZ4 encoder (lz4-wasm) has a single level.'),
  'compression.type': applied('STRING', 'producer', 'compression.type', oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
    'Codec batches are stored with: producer keeps the producer\'s; any other value makes the broker recompress into it.',
    'Applied: batches in another codec are recompressed on append (worker pool for large batches), keeping offsets, producer ids and sequences, timestamps and headers. zstd answers UNSUPPORTED_COMPRESSION_TYPE while the codec registry has no zstd.'),
  'compression.zstd.level': applied('INT', 3, 'compression.zstd.level', int(-131072, 22),
    'Level used when the broker compresses batches with zstd (-131072 to 22).',
    'Passed to the registry\'s zstd codec when the broker recompresses into zstd.'),
  'delete.retention.ms': applied('LONG', deleteRetentionMsDefault, 'log.cleaner.delete.retention.ms', long(0n),
    'How long tombstones survive compaction.', 'Applied by the log cleaner.'),
  'file.delete.delay.ms': noop('LONG', 60_000, 'log.segment.delete.delay.ms', long(0n),
    'How long Kafka waits before deleting a removed segment file.',
    'Segment files are unlinked at once; readers holding mapped slices keep valid memory.'),
  'flush.messages': applied('LONG', flushMessagesTopicDefault, 'log.flush.interval.messages', long(1n),
    'fsync after this many records.', 'Applied: 1 (Tributary\'s default) acknowledges a produce only once fdatasync covers it (group commit).',
    { kafkaDefault: LONG_MAX_STRING }),
  'flush.ms': applied('LONG', LONG_MAX_STRING, 'log.flush.interval.ms', long(0n),
    'fsync at least this often (ms).', 'Applied: 0 syncs every append; other values sync on a timer.'),
  'follower.replication.throttled.replicas': noop('LIST', '', null, throttledReplicas('follower.replication.throttled.replicas'),
    'Replicas whose follower-side replication is throttled.', ONE_BROKER),
  'index.interval.bytes': applied('INT', indexIntervalBytesDefault, 'log.index.interval.bytes', int(0),
    'Bytes between offset index entries.', 'Applied to the sparse offset and time indexes.'),
  'leader.replication.throttled.replicas': noop('LIST', '', null, throttledReplicas('leader.replication.throttled.replicas'),
    'Replicas whose leader-side replication is throttled.', ONE_BROKER),
  'local.retention.bytes': noop('LONG', -2, 'log.local.retention.bytes', long(-2n),
    'Local-tier size limit for tiered storage (-2: retention.bytes).', NO_TIERED),
  'local.retention.ms': noop('LONG', -2, 'log.local.retention.ms', long(-2n),
    'Local-tier time limit for tiered storage (-2: retention.ms).', NO_TIERED),
  'max.compaction.lag.ms': applied('LONG', LONG_MAX_STRING, 'log.cleaner.max.compaction.lag.ms', long(1n),
    'Longest a record may stay uncompacted.', 'Applied by the log cleaner; also caps segment.ms for compacted topics.'),
  'max.message.bytes': applied('INT', maxMessageBytesDefault, 'message.max.bytes', int(0),
    'Largest record batch the topic accepts (after compression).', `Applied; values above ${batchBytesMax} (batchBytesMax) act as ${batchBytesMax}.`),
  'message.downconversion.enable': noop('BOOLEAN', 'true', 'log.message.downconversion.enable', bool,
    'Whether old-format consumers get down-converted batches (Kafka 3.x; removed in 4.0).',
    'Tributary serves only RecordBatch v2 and never down-converts.'),
  'message.format.version': noop('STRING', '3.0-IV1', 'log.message.format.version', metadataVersion,
    'Message format for appends (deprecated in Kafka 3.x, removed in 4.0).',
    'Every batch is RecordBatch v2, as in Kafka 3.x with inter.broker.protocol.version 3.0+, which ignores it too.'),
  'message.timestamp.after.max.ms': applied('LONG', LONG_MAX_STRING, 'log.message.timestamp.after.max.ms', long(0n),
    'How far in the future a CreateTime timestamp may be.',
    'Applied: records beyond it fail with INVALID_TIMESTAMP (record_errors). Default as Kafka 3.x (Kafka 4.0 uses 3600000).'),
  'message.timestamp.before.max.ms': applied('LONG', LONG_MAX_STRING, 'log.message.timestamp.before.max.ms', long(0n),
    'How far in the past a CreateTime timestamp may be.', 'Applied: records beyond it fail with INVALID_TIMESTAMP (record_errors).'),
  'message.timestamp.difference.max.ms': applied('LONG', LONG_MAX_STRING, 'log.message.timestamp.difference.max.ms', long(0n),
    'Largest difference between a CreateTime timestamp and the broker clock (deprecated in Kafka 3.6, removed in 4.0).',
    'Applied as Kafka 3.x applies it: the before/after bound wherever that key is left at its default.'),
  'message.timestamp.type': applied('STRING', 'CreateTime', 'log.message.timestamp.type', oneOf('CreateTime', 'LogAppendTime'),
    'Whether record timestamps are the producer\'s (CreateTime) or the broker\'s append time (LogAppendTime).', 'Applied on append.'),
  'min.cleanable.dirty.ratio': applied('DOUBLE', javaDouble(minCleanableDirtyRatioDefault), 'log.cleaner.min.cleanable.ratio', double(0, 1),
    'Dirty share of the log that triggers compaction.', 'Applied by the log cleaner.'),
  'min.compaction.lag.ms': applied('LONG', minCompactionLagMsDefault, 'log.cleaner.min.compaction.lag.ms', long(0n),
    'Shortest time a record stays uncompacted.', 'Applied by the log cleaner.'),
  'min.insync.replicas': noop('INT', 1, 'min.insync.replicas', int(1),
    'Replicas that must acknowledge an acks=all produce.',
    'One broker is the whole ISR and durability comes from fdatasync (flush.messages), so acks=all never answers NOT_ENOUGH_REPLICAS.'),
  'preallocate': noop('BOOLEAN', 'false', 'log.preallocate', bool,
    'Preallocate segment files on disk when rolling.', 'Segment files grow as written; the mmap backend reserves address space, not disk.'),
  'remote.copy.lag.bytes': noop('LONG', 0, null, long(-1n), 'Size-based delay before segments are uploaded to tiered storage.', NO_TIERED),
  'remote.copy.lag.ms': noop('LONG', 0, null, long(-1n), 'Time-based delay before segments are uploaded to tiered storage.', NO_TIERED),
  'remote.log.copy.disable': noop('BOOLEAN', 'false', null, bool, 'Stop copying segments to tiered storage.', NO_TIERED),
  'remote.log.delete.on.disable': noop('BOOLEAN', 'false', null, bool, 'Delete tiered data when tiered storage is disabled.', NO_TIERED),
  'remote.storage.enable': noop('BOOLEAN', 'false', null, bool,
    'Enable tiered storage for the topic.', 'Tributary has no tiered storage: true is refused with INVALID_CONFIG, as Kafka refuses it on a broker without tiered storage.'),
  'retention.bytes': applied('LONG', retentionBytesDefault, 'log.retention.bytes', long(),
    'Largest size of a partition before old segments are deleted (negative: no limit).', 'Applied live by the retention pass (cleanup.policy delete).'),
  'retention.ms': applied('LONG', retentionMsDefault, 'log.retention.ms', long(-1n),
    'Longest time a segment is kept (-1: no limit).', 'Applied live by the retention pass (cleanup.policy delete).'),
  'segment.bytes': applied('INT', segmentBytesDefault, 'log.segment.bytes', int(segmentBytesMin),
    'Segment file size at which the log rolls.', `Applied live. The lower bound is Kafka 3.x's (${segmentBytesMin}); Kafka 4.x requires 1048576.`),
  'segment.index.bytes': applied('INT', indexBytesDefault, 'log.index.size.max.bytes', int(4),
    'Size of each segment\'s offset index.', `Applied live; values outside [${indexBytesMin}, ${indexBytesMax}] act as the nearest bound.`),
  'segment.jitter.ms': noop('LONG', 0, 'log.roll.jitter.ms', long(0n),
    'Random time subtracted from segment.ms to spread rolls.', 'Segments roll at segment.ms exactly.'),
  'segment.ms': applied('LONG', segmentMsDefault, 'log.roll.ms', long(1n),
    'Time after which the active segment rolls.', 'Applied live.'),
  'unclean.leader.election.enable': noop('BOOLEAN', 'false', 'unclean.leader.election.enable', bool,
    'Allow an out-of-sync replica to become leader.', ONE_BROKER),
};

/** Every key, sorted by name. */
export const TOPIC_CONFIGS: readonly TopicConfigSpec[] = Object.keys(SPECS)
  .sort()
  .map((name) => Object.freeze({ name, ...SPECS[name]! }));

/** Every accepted key, sorted. */
export const TOPIC_CONFIG_KEYS: readonly string[] = TOPIC_CONFIGS.map((s) => s.name);

const BY_NAME = new Map(TOPIC_CONFIGS.map((s) => [s.name, s]));

/** The spec of `name`, or undefined for a key Kafka does not know. */
export function topicConfigSpec(name: string): TopicConfigSpec | undefined {
  return BY_NAME.get(name);
}

/** The parsed configuration a PartitionLog runs with. */
export interface LogConfig {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  flushMessages: number;
  flushMs: number;
  maxMessageBytes: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  minInsyncReplicas: number;
  /** cleanup.policy includes `compact`: the log cleaner keeps the latest record per key; appends need keys. */
  compact: boolean;
  /** cleanup.policy includes `delete`: retention.ms / retention.bytes delete old segments. */
  deleteRetention: boolean;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  /** `flushNeverValue` means no deadline. */
  maxCompactionLagMs: number;
  deleteRetentionMs: number;
  /** Codec id batches are stored with (compression.type), or null to keep the producer's. */
  compressionCodec: number | null;
  /** compression.<codec>.level for `compressionCodec`; undefined for the codec's default. */
  compressionLevel: number | undefined;
  /** CreateTime window (ms before / after the broker clock; `flushNeverValue` = unbounded), message.timestamp.*.max.ms. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

/** Config as strings, key -> value. */
export type ConfigMap = Record<string, string>;

function invalid(message: string, context: Record<string, unknown>): TributaryError {
  return new TributaryError('INVALID_CONFIG', message, context);
}

/** Validates `set` (values may be numbers for convenience) and returns it canonical. Throws INVALID_CONFIG. */
export function validateConfig(set: Record<string, string | number>): ConfigMap {
  const out: ConfigMap = {};
  for (const [key, raw] of Object.entries(set)) {
    const spec = BY_NAME.get(key);
    if (!spec) throw invalid(`Unknown topic config name: ${key}`, { key });
    const value = String(raw).trim();
    try {
      out[key] = spec.validate(value);
    } catch (err) {
      throw invalid(`Invalid value ${value} for configuration ${key}: ${(err as Error).message}`, { key, value });
    }
  }
  return out;
}

/** Built-in defaults, overridden by engine-wide `topicDefaults` (already validated). */
export function defaultConfig(overrides: ConfigMap = {}): ConfigMap {
  const out: ConfigMap = {};
  for (const s of TOPIC_CONFIGS) out[s.name] = overrides[s.name] ?? s.default;
  return out;
}

/** A canonical integer string as a JS number, values beyond ±2^53 clamped (they all mean "never"/"no limit"). */
function num(v: string): number {
  const n = Number(v);
  return Math.max(-flushNeverValue, Math.min(flushNeverValue, n));
}

/** The effective parsed config of a topic: its own values over the defaults. */
export function parseConfig(topic: ConfigMap, defaults: ConfigMap): LogConfig {
  const v = (k: string): string => topic[k] ?? defaults[k]!;
  const n = (k: string): number => num(v(k));
  const policy = listItems(v('cleanup.policy'));
  const compact = policy.includes('compact');
  const codecName = v('compression.type');
  const codec = codecName === 'producer' ? null : COMPRESSION_TYPES.indexOf(codecName as (typeof COMPRESSION_TYPES)[number]);
  const gzip = n('compression.gzip.level');
  const level = codec === 1 ? (gzip === -1 ? undefined : gzip) : codec === 3 ? n('compression.lz4.level') : codec === 4 ? n('compression.zstd.level') : undefined;
  // Kafka 3.x LogConfig: the deprecated difference.max.ms stands in for a before/after left at Long.MAX_VALUE.
  const difference = n('message.timestamp.difference.max.ms');
  const before = v('message.timestamp.before.max.ms') === LONG_MAX_STRING ? difference : n('message.timestamp.before.max.ms');
  const after = v('message.timestamp.after.max.ms') === LONG_MAX_STRING ? difference : n('message.timestamp.after.max.ms');
  return {
    retentionMs: n('retention.ms'),
    retentionBytes: n('retention.bytes'),
    segmentBytes: n('segment.bytes'),
    // Kafka LogConfig.maxSegmentMs: a compacted log rolls by max.compaction.lag.ms too, so its records become cleanable in time.
    segmentMs: compact ? Math.min(n('segment.ms'), n('max.compaction.lag.ms')) : n('segment.ms'),
    segmentIndexBytes: Math.max(indexBytesMin, Math.min(indexBytesMax, n('segment.index.bytes'))),
    indexIntervalBytes: n('index.interval.bytes'),
    flushMessages: n('flush.messages'),
    flushMs: n('flush.ms'),
    maxMessageBytes: Math.min(batchBytesMax, n('max.message.bytes')),
    timestampType: v('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    minInsyncReplicas: n('min.insync.replicas'),
    compact,
    deleteRetention: policy.includes('delete'),
    minCleanableDirtyRatio: Number(v('min.cleanable.dirty.ratio')),
    minCompactionLagMs: n('min.compaction.lag.ms'),
    maxCompactionLagMs: n('max.compaction.lag.ms'),
    deleteRetentionMs: n('delete.retention.ms'),
    compressionCodec: codec,
    compressionLevel: level,
    timestampBeforeMaxMs: before,
    timestampAfterMaxMs: after,
  };
}

/** Checks rules between keys on an effective config (Kafka LogConfig.validateValues and the remote-storage checks). Throws INVALID_CONFIG. */
export function checkConfigRelations(effective: ConfigMap): void {
  const minLag = BigInt(effective['min.compaction.lag.ms']!);
  const maxLag = BigInt(effective['max.compaction.lag.ms']!);
  if (minLag > maxLag) {
    throw invalid(`conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`, { key: 'min.compaction.lag.ms' });
  }
  if (effective['remote.storage.enable'] === 'true') {
    throw invalid('Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.', { key: 'remote.storage.enable' });
  }
}

/**
 * The one validator for a topic's own config (createTopic with `current` empty,
 * alterTopicConfig, and both validate-only forms): `set` validated and laid over `current`,
 * the `remove`d keys dropped, the rules between keys checked on the result over `defaults`.
 * Returns the topic's new own config. Throws INVALID_CONFIG; nothing is applied here.
 */
export function resolveConfig(current: ConfigMap, set: Record<string, string | number>, remove: readonly string[], defaults: ConfigMap): ConfigMap {
  const valid = validateConfig(set);
  for (const k of remove) if (!BY_NAME.has(k)) throw invalid(`Unknown topic config name: ${k}`, { key: k });
  const next: ConfigMap = { ...current, ...valid };
  for (const k of remove) delete next[k];
  checkConfigRelations({ ...defaults, ...next });
  return next;
}

/** Where an effective value comes from: the topic, the engine-wide defaults (Kafka's static broker config), or the built-in default. */
export type ConfigSource = 'topic' | 'engine' | 'default';

export interface ConfigEntry {
  value: string;
  /** True when the topic does not set the key itself. */
  isDefault: boolean;
  source: ConfigSource;
}

/** Every key's effective value and source for a topic whose own config is `own`. */
export function describeConfig(own: ConfigMap, engineDefaults: ConfigMap): Record<string, ConfigEntry> {
  const out: Record<string, ConfigEntry> = {};
  for (const s of TOPIC_CONFIGS) {
    const mine = own[s.name];
    const engine = engineDefaults[s.name];
    if (mine !== undefined) out[s.name] = { value: mine, isDefault: false, source: 'topic' };
    else if (engine !== undefined) out[s.name] = { value: engine, isDefault: true, source: 'engine' };
    else out[s.name] = { value: s.default, isDefault: true, source: 'default' };
  }
  return out;
}

// Every default must pass its own validator unchanged (Kafka's ConfigKey checks its defaults at load too).
for (const s of TOPIC_CONFIGS) {
  if (s.validate(s.default) !== s.default) throw new Error(`topic-config.ts: default ${s.default} of ${s.name} is not canonical`);
}
