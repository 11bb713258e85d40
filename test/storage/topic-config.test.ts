import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { batchBytesMax, flushNeverValue, indexBytesMin, segmentBytesMax } from '../../src/limits.js';
import { javaDouble, metadataVersion } from '../../src/storage/config-values.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_KEYS, defaultConfig, describeConfig, parseConfig, resolveConfig, validateConfig } from '../../src/storage/topic-config.js';

const bad = (set: Record<string, string | number>) => {
  try {
    validateConfig(set);
    return false;
  } catch (err) {
    return isTributaryError(err, 'INVALID_CONFIG');
  }
};
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(isTributaryError(err, 'INVALID_CONFIG')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected INVALID_CONFIG');
};

/** Every topic config key of Kafka 3.9's LogConfig plus those 4.x added (remote.copy.lag.*). */
const KAFKA_TOPIC_CONFIGS = [
  'cleanup.policy', 'compression.gzip.level', 'compression.lz4.level', 'compression.type', 'compression.zstd.level',
  'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas',
  'index.interval.bytes', 'leader.replication.throttled.replicas', 'local.retention.bytes', 'local.retention.ms',
  'max.compaction.lag.ms', 'max.message.bytes', 'message.downconversion.enable', 'message.format.version',
  'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.difference.max.ms',
  'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
  'remote.copy.lag.bytes', 'remote.copy.lag.ms', 'remote.log.copy.disable', 'remote.log.delete.on.disable',
  'remote.storage.enable', 'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms',
  'segment.ms', 'unclean.leader.election.enable',
];

describe('topic config table', () => {
  it('holds every key Kafka accepts, each with a default its own validator accepts', () => {
    expect([...TOPIC_CONFIG_KEYS]).toEqual(KAFKA_TOPIC_CONFIGS);
    for (const s of TOPIC_CONFIGS) {
      expect(validateConfig({ [s.name]: s.default })).toEqual({ [s.name]: s.default });
      expect(s.doc.length).toBeGreaterThan(10);
      expect(s.note.length).toBeGreaterThan(10);
    }
    expect(TOPIC_CONFIGS.find((s) => s.name === 'flush.messages')).toMatchObject({ default: '1', kafkaDefault: '9223372036854775807' });
  });

  it('validates keys and values at their range boundaries', () => {
    expect(bad({ 'no.such.key': 1 })).toBe(true);
    expect(bad({ 'segment.bytes': 13 })).toBe(true);
    expect(bad({ 'segment.bytes': 14 })).toBe(false);
    expect(bad({ 'segment.bytes': segmentBytesMax })).toBe(false);
    expect(bad({ 'segment.bytes': segmentBytesMax + 1 })).toBe(true);
    expect(bad({ 'retention.ms': -1 })).toBe(false);
    expect(bad({ 'retention.ms': -2 })).toBe(true);
    expect(bad({ 'retention.bytes': '1.5' })).toBe(true);
    expect(bad({ 'retention.bytes': '-9223372036854775808' })).toBe(false); // any long: negative is "no limit"
    expect(bad({ 'flush.messages': 0 })).toBe(true);
    expect(bad({ 'flush.messages': '9223372036854775807' })).toBe(false);
    expect(bad({ 'flush.messages': '9223372036854775808' })).toBe(true);
    expect(bad({ 'message.timestamp.type': 'LogAppendTime' })).toBe(false);
    expect(bad({ 'message.timestamp.type': 'logappendtime' })).toBe(true);
    expect(bad({ 'cleanup.policy': 'compact' })).toBe(false);
    expect(bad({ 'cleanup.policy': 'compaction' })).toBe(true);
    expect(bad({ 'min.insync.replicas': 0 })).toBe(true);
    expect(bad({ 'segment.index.bytes': 3 })).toBe(true);
    expect(bad({ 'segment.index.bytes': 4 })).toBe(false);
    expect(bad({ 'max.message.bytes': 'abc' })).toBe(true);
    expect(bad({ 'max.message.bytes': 2 ** 31 - 1 })).toBe(false);
    expect(bad({ 'max.message.bytes': 2 ** 31 })).toBe(true);
  });

  it('compression.type takes every Kafka codec name and producer; levels take their codec ranges', () => {
    for (const v of ['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd', 'producer']) expect(bad({ 'compression.type': v })).toBe(false);
    for (const v of ['none', 'GZIP', 'brotli', '']) expect(bad({ 'compression.type': v })).toBe(true);
    expect(messageOf(() => validateConfig({ 'compression.type': 'none' }))).toBe(
      'Invalid value none for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
    );
    for (const [k, ok, no] of [
      ['compression.gzip.level', [-1, 1, 9], [0, -2, 10]],
      ['compression.lz4.level', [1, 9, 17], [0, 18]],
      ['compression.zstd.level', [-131072, 0, 3, 22], [-131073, 23]],
    ] as const) {
      for (const v of ok) expect(bad({ [k]: v })).toBe(false);
      for (const v of no) expect(bad({ [k]: v })).toBe(true);
    }
    expect(messageOf(() => validateConfig({ 'compression.gzip.level': 0 }))).toBe('Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1');
  });

  it('parses like Java and describes values in canonical form', () => {
    expect(validateConfig({ 'retention.ms': ' +0042 ', 'preallocate': 'TRUE', 'min.cleanable.dirty.ratio': '1', 'cleanup.policy': ' delete , compact ,delete' })).toEqual({
      'retention.ms': '42',
      'preallocate': 'true',
      'min.cleanable.dirty.ratio': '1.0',
      'cleanup.policy': 'delete,compact',
    });
    expect(validateConfig({ 'min.cleanable.dirty.ratio': '.25d' })).toEqual({ 'min.cleanable.dirty.ratio': '0.25' });
    expect(bad({ 'min.cleanable.dirty.ratio': 'NaN' })).toBe(true);
    expect(bad({ 'preallocate': 'yes' })).toBe(true);
    expect(javaDouble(1e-4)).toBe('1.0E-4');
    expect(javaDouble(0.5)).toBe('0.5');
    expect(messageOf(() => validateConfig({ 'retention.ms': 'soon' }))).toBe('Invalid value soon for configuration retention.ms: Not a number of type LONG');
    expect(messageOf(() => validateConfig({ 'retention.ms': -5 }))).toBe('Invalid value -5 for configuration retention.ms: Value must be at least -1');
    expect(messageOf(() => validateConfig({ 'segment.bytes': '4294967296' }))).toBe('Invalid value 4294967296 for configuration segment.bytes: Not a number of type INT');
    expect(messageOf(() => validateConfig({ 'no.such': 1 }))).toBe('Unknown topic config name: no.such');
  });

  it('accepts an empty cleanup.policy (no retention, no compaction) and drops repeats', () => {
    const c = parseConfig(validateConfig({ 'cleanup.policy': '' }), defaultConfig());
    expect(c.compact).toBe(false);
    expect(c.deleteRetention).toBe(false);
    expect(validateConfig({ 'cleanup.policy': 'compact,compact' })).toEqual({ 'cleanup.policy': 'compact' });
  });

  it('message.format.version takes what Kafka 3.9 MetadataVersion.fromVersionString takes', () => {
    for (const v of ['0.8.2', '0.10.0.0', '0.10.0', '0.10.0-IV1', '0.10.2-IV0', '2.8', '2.8-IV1', '3.0-IV1', '3.0.1', '3.9', '3.7-IV4', '4.0-IV1']) {
      expect(() => metadataVersion(v), v).not.toThrow();
    }
    for (const v of ['1', '0.10', '0.10.0-IV2', '4.0', '3.10', '2.8-IV2', 'latest', '']) expect(() => metadataVersion(v), v).toThrow(/is not a valid version/);
  });

  it('throttled replica lists take * or partition:broker pairs', () => {
    for (const v of ['', '*', '0:0', '0:0, 1:0,2:0']) expect(bad({ 'leader.replication.throttled.replicas': v })).toBe(false);
    for (const v of ['0', 'a:b', '*,0:0', '0:0:0']) expect(bad({ 'follower.replication.throttled.replicas': v })).toBe(true);
  });

  it('parses effective values over engine defaults over built-in defaults, clamping what the engine cannot do', () => {
    const defaults = defaultConfig(validateConfig({ 'retention.ms': 5000 }));
    const c = parseConfig(validateConfig({ 'segment.bytes': 1000, 'flush.messages': '9223372036854775807', 'max.message.bytes': 2 ** 31 - 1, 'segment.index.bytes': 4 }), defaults);
    expect(c.segmentBytes).toBe(1000);
    expect(c.retentionMs).toBe(5000);
    expect(c.flushMessages).toBe(flushNeverValue);
    expect(c.flushMs).toBe(flushNeverValue);
    expect(c.maxMessageBytes).toBe(batchBytesMax);
    expect(c.segmentIndexBytes).toBe(indexBytesMin);
    expect(parseConfig({}, defaultConfig()).flushMessages).toBe(1);
  });

  it('parses compression.type into the target codec with its level', () => {
    const p = (set: Record<string, string | number>) => parseConfig(validateConfig(set), defaultConfig());
    expect(p({})).toMatchObject({ compressionCodec: null, compressionLevel: undefined });
    expect(p({ 'compression.type': 'uncompressed' })).toMatchObject({ compressionCodec: 0 });
    expect(p({ 'compression.type': 'gzip' })).toMatchObject({ compressionCodec: 1, compressionLevel: undefined });
    expect(p({ 'compression.type': 'gzip', 'compression.gzip.level': 3 })).toMatchObject({ compressionCodec: 1, compressionLevel: 3 });
    expect(p({ 'compression.type': 'snappy', 'compression.gzip.level': 3 })).toMatchObject({ compressionCodec: 2, compressionLevel: undefined });
    expect(p({ 'compression.type': 'lz4' })).toMatchObject({ compressionCodec: 3, compressionLevel: 9 });
    expect(p({ 'compression.type': 'zstd', 'compression.zstd.level': -5 })).toMatchObject({ compressionCodec: 4, compressionLevel: -5 });
  });

  it('timestamp windows: before/after, with the deprecated difference.max.ms standing in for either left at Long.MAX_VALUE', () => {
    const p = (set: Record<string, string | number>) => parseConfig(validateConfig(set), defaultConfig());
    expect(p({})).toMatchObject({ timestampBeforeMaxMs: flushNeverValue, timestampAfterMaxMs: flushNeverValue });
    expect(p({ 'message.timestamp.difference.max.ms': 100 })).toMatchObject({ timestampBeforeMaxMs: 100, timestampAfterMaxMs: 100 });
    expect(p({ 'message.timestamp.difference.max.ms': 100, 'message.timestamp.after.max.ms': 7 })).toMatchObject({ timestampBeforeMaxMs: 100, timestampAfterMaxMs: 7 });
    expect(p({ 'message.timestamp.before.max.ms': 0 })).toMatchObject({ timestampBeforeMaxMs: 0, timestampAfterMaxMs: flushNeverValue });
  });

  it('checks rules between keys on the effective config, through the one validator', () => {
    const defaults = defaultConfig();
    expect(messageOf(() => resolveConfig({}, { 'min.compaction.lag.ms': 10, 'max.compaction.lag.ms': 5 }, [], defaults))).toBe(
      'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)',
    );
    // The rule applies across what is already set and what is being set.
    expect(() => resolveConfig({ 'max.compaction.lag.ms': '5' }, { 'min.compaction.lag.ms': 6 }, [], defaults)).toThrow(/conflict/);
    expect(resolveConfig({ 'max.compaction.lag.ms': '5', 'retention.ms': '1' }, { 'min.compaction.lag.ms': 6 }, ['max.compaction.lag.ms'], defaults)).toEqual({
      'retention.ms': '1',
      'min.compaction.lag.ms': '6',
    });
    expect(messageOf(() => resolveConfig({}, { 'remote.storage.enable': 'true' }, [], defaults))).toMatch(/^Tiered Storage functionality is disabled in the broker/);
    expect(resolveConfig({}, { 'remote.storage.enable': 'false', 'local.retention.ms': -2 }, [], defaults)).toEqual({ 'remote.storage.enable': 'false', 'local.retention.ms': '-2' });
    expect(messageOf(() => resolveConfig({}, {}, ['nope'], defaults))).toBe('Unknown topic config name: nope');
  });

  it('describes each value with its source: topic, engine-wide default, or built-in default', () => {
    const d = describeConfig({ 'retention.ms': '10' }, { 'flush.messages': '5' });
    expect(d['retention.ms']).toEqual({ value: '10', isDefault: false, source: 'topic' });
    expect(d['flush.messages']).toEqual({ value: '5', isDefault: true, source: 'engine' });
    expect(d['segment.ms']).toEqual({ value: '604800000', isDefault: true, source: 'default' });
    expect(Object.keys(d)).toEqual([...TOPIC_CONFIG_KEYS]);
  });
});
