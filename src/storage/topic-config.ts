/**
 * Topic configuration: Kafka's per-topic keys, their validation, defaults and parsed form.
 *
 * Values travel as strings (as in Kafka's CreateTopics/AlterConfigs) and are parsed strictly:
 * integers in decimal, within each key's range; Kafka's Long.MAX_VALUE ("never") is accepted
 * and held as `flushNeverValue`. Any unknown key or bad value is INVALID_CONFIG.
 * Keys the storage engine does not act on itself (min.insync.replicas) are validated and
 * kept so a broker front-end can read them through `describeTopic`.
 *
 * Compaction keys (log-cleaner.ts, docs/storage.md "Compaction"): cleanup.policy is `delete`,
 * `compact` or both (`compact,delete`, either order, stored as `compact,delete`);
 * min.cleanable.dirty.ratio is a decimal in [0, 1]; min/max.compaction.lag.ms and
 * delete.retention.ms are milliseconds, max.compaction.lag.ms defaulting to Long.MAX_VALUE
 * ("no deadline"). As in Kafka, min.compaction.lag.ms may not exceed max.compaction.lag.ms
 * (`checkConfigRelations`, applied to the effective config on create and alter).
 */
import { TributaryError } from '../errors.js';
import {
  batchBytesMax,
  deleteRetentionMsDefault,
  flushMessagesTopicDefault,
  flushMsTopicDefault,
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
  segmentBytesMax,
  segmentBytesMin,
  segmentMsDefault,
} from '../limits.js';

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
}

/** Config as strings, key -> value. */
export type ConfigMap = Record<string, string>;

const INT32_MAX = 2 ** 31 - 1;
const LONG_MAX = 9223372036854775807n;

interface KeySpec {
  default: string;
  /** Parses and validates; returns the normalised string. */
  check(value: string): string;
}

function integer(min: number, max: number): KeySpec['check'] {
  return (value) => {
    if (!/^-?\d+$/.test(value)) throw new Error('must be an integer');
    const big = BigInt(value);
    if (big > LONG_MAX || big < -LONG_MAX - 1n) throw new Error('is out of the int64 range');
    // Long.MAX_VALUE and anything beyond 2^53 means "never" where the range allows it.
    const n = big > BigInt(Number.MAX_SAFE_INTEGER) ? flushNeverValue : Number(big);
    if (n < min || n > max) throw new Error(`must be in [${min}, ${max}]`);
    return String(n);
  };
}

/** A decimal in [min, max] (Kafka's Type.DOUBLE with a range validator). */
function decimal(min: number, max: number): KeySpec['check'] {
  return (value) => {
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) throw new Error('must be a decimal number');
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`must be in [${min}, ${max}]`);
    return String(n);
  };
}

/** cleanup.policy: a comma-separated list of `compact` and `delete` (Kafka's ValidList), normalised. */
function cleanupPolicy(value: string): string {
  const parts = value.split(',').map((p) => p.trim());
  const set = new Set(parts);
  if (parts.length === 0 || parts.length !== set.size || ![...set].every((p) => p === 'compact' || p === 'delete')) {
    throw new Error('must be delete, compact or compact,delete');
  }
  return ['compact', 'delete'].filter((p) => set.has(p)).join(',');
}

function oneOf(...values: string[]): KeySpec['check'] {
  return (value) => {
    if (!values.includes(value)) throw new Error(`must be one of ${values.join(', ')}`);
    return value;
  };
}

const SPECS: Record<string, KeySpec> = {
  'cleanup.policy': { default: 'delete', check: cleanupPolicy },
  'min.cleanable.dirty.ratio': { default: String(minCleanableDirtyRatioDefault), check: decimal(0, 1) },
  'min.compaction.lag.ms': { default: String(minCompactionLagMsDefault), check: integer(0, flushNeverValue) },
  'max.compaction.lag.ms': { default: String(flushNeverValue), check: integer(1, flushNeverValue) },
  'delete.retention.ms': { default: String(deleteRetentionMsDefault), check: integer(0, flushNeverValue) },
  'compression.type': { default: 'producer', check: oneOf('producer') },
  'retention.ms': { default: String(retentionMsDefault), check: integer(-1, flushNeverValue) },
  'retention.bytes': { default: String(retentionBytesDefault), check: integer(-1, flushNeverValue) },
  'segment.bytes': { default: String(segmentBytesDefault), check: integer(segmentBytesMin, segmentBytesMax) },
  'segment.ms': { default: String(segmentMsDefault), check: integer(1, flushNeverValue) },
  'segment.index.bytes': { default: String(indexBytesDefault), check: integer(indexBytesMin, indexBytesMax) },
  'index.interval.bytes': { default: String(indexIntervalBytesDefault), check: integer(0, INT32_MAX) },
  'flush.messages': { default: String(flushMessagesTopicDefault), check: integer(1, flushNeverValue) },
  'flush.ms': { default: String(flushMsTopicDefault), check: integer(0, flushNeverValue) },
  'max.message.bytes': { default: String(maxMessageBytesDefault), check: integer(0, batchBytesMax) },
  'message.timestamp.type': { default: 'CreateTime', check: oneOf('CreateTime', 'LogAppendTime') },
  'min.insync.replicas': { default: '1', check: integer(1, INT32_MAX) },
};

/** Every accepted key, sorted. */
export const TOPIC_CONFIG_KEYS: readonly string[] = Object.keys(SPECS).sort();

/** Validates `set` (values may be numbers for convenience) and returns it normalised. Throws INVALID_CONFIG. */
export function validateConfig(set: Record<string, string | number>): ConfigMap {
  const out: ConfigMap = {};
  for (const [key, raw] of Object.entries(set)) {
    const spec = SPECS[key];
    if (!spec) throw new TributaryError('INVALID_CONFIG', `unknown topic config key '${key}'`, { key });
    const value = String(raw).trim();
    try {
      out[key] = spec.check(value);
    } catch (err) {
      throw new TributaryError('INVALID_CONFIG', `invalid value '${value}' for '${key}': ${(err as Error).message}`, { key, value });
    }
  }
  return out;
}

/** Built-in defaults, overridden by engine-wide `topicDefaults` (already validated). */
export function defaultConfig(overrides: ConfigMap = {}): ConfigMap {
  const out: ConfigMap = {};
  for (const key of TOPIC_CONFIG_KEYS) out[key] = overrides[key] ?? SPECS[key]!.default;
  return out;
}

/** The effective parsed config of a topic: its own values over the defaults. */
export function parseConfig(topic: ConfigMap, defaults: ConfigMap): LogConfig {
  const v = (k: string): string => topic[k] ?? defaults[k]!;
  const n = (k: string): number => Number(v(k));
  return {
    retentionMs: n('retention.ms'),
    retentionBytes: n('retention.bytes'),
    segmentBytes: n('segment.bytes'),
    // Kafka LogConfig.maxSegmentMs: a compacted log rolls by max.compaction.lag.ms too, so its records become cleanable in time.
    segmentMs: v('cleanup.policy').includes('compact') ? Math.min(n('segment.ms'), n('max.compaction.lag.ms')) : n('segment.ms'),
    segmentIndexBytes: n('segment.index.bytes'),
    indexIntervalBytes: n('index.interval.bytes'),
    flushMessages: n('flush.messages'),
    flushMs: n('flush.ms'),
    maxMessageBytes: n('max.message.bytes'),
    timestampType: v('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    minInsyncReplicas: n('min.insync.replicas'),
    compact: v('cleanup.policy').split(',').includes('compact'),
    deleteRetention: v('cleanup.policy').split(',').includes('delete'),
    minCleanableDirtyRatio: n('min.cleanable.dirty.ratio'),
    minCompactionLagMs: n('min.compaction.lag.ms'),
    maxCompactionLagMs: n('max.compaction.lag.ms'),
    deleteRetentionMs: n('delete.retention.ms'),
  };
}

/** Checks rules between keys on an effective config (Kafka LogConfig.validateValues). Throws INVALID_CONFIG. */
export function checkConfigRelations(c: LogConfig): void {
  if (c.minCompactionLagMs > c.maxCompactionLagMs) {
    throw new TributaryError('INVALID_CONFIG', `min.compaction.lag.ms ${c.minCompactionLagMs} must not exceed max.compaction.lag.ms ${c.maxCompactionLagMs}`, {
      key: 'min.compaction.lag.ms',
    });
  }
}
