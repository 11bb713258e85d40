import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { flushNeverValue, segmentBytesMax } from '../../src/limits.js';
import { defaultConfig, parseConfig, validateConfig } from '../../src/storage/topic-config.js';

const bad = (set: Record<string, string | number>) => {
  try {
    validateConfig(set);
    return false;
  } catch (err) {
    return isTributaryError(err, 'INVALID_CONFIG');
  }
};

describe('topic config', () => {
  it('validates keys and values at their range boundaries', () => {
    expect(bad({ 'no.such.key': 1 })).toBe(true);
    expect(bad({ 'segment.bytes': 13 })).toBe(true);
    expect(bad({ 'segment.bytes': 14 })).toBe(false);
    expect(bad({ 'segment.bytes': segmentBytesMax })).toBe(false);
    expect(bad({ 'segment.bytes': segmentBytesMax + 1 })).toBe(true);
    expect(bad({ 'retention.ms': -1 })).toBe(false);
    expect(bad({ 'retention.ms': -2 })).toBe(true);
    expect(bad({ 'retention.bytes': '1.5' })).toBe(true);
    expect(bad({ 'flush.messages': 0 })).toBe(true);
    expect(bad({ 'flush.messages': '9223372036854775807' })).toBe(false);
    expect(bad({ 'flush.messages': '9223372036854775808' })).toBe(true);
    expect(bad({ 'message.timestamp.type': 'LogAppendTime' })).toBe(false);
    expect(bad({ 'message.timestamp.type': 'logappendtime' })).toBe(true);
    expect(bad({ 'cleanup.policy': 'compact' })).toBe(false);
    expect(bad({ 'cleanup.policy': 'compaction' })).toBe(true);
    expect(bad({ 'min.insync.replicas': 0 })).toBe(true);
    expect(bad({ 'segment.index.bytes': 23 })).toBe(true);
    expect(bad({ 'max.message.bytes': 'abc' })).toBe(true);
  });
  it('parses effective values over engine defaults over built-in defaults', () => {
    const defaults = defaultConfig(validateConfig({ 'retention.ms': 5000 }));
    const c = parseConfig(validateConfig({ 'segment.bytes': 1000, 'flush.messages': '9223372036854775807' }), defaults);
    expect(c.segmentBytes).toBe(1000);
    expect(c.retentionMs).toBe(5000);
    expect(c.flushMessages).toBe(flushNeverValue);
    expect(c.flushMs).toBe(flushNeverValue);
    expect(parseConfig({}, defaultConfig()).flushMessages).toBe(1);
  });
});
