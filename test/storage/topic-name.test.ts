import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.js';
import { collisionKey, validateTopicName } from '../../src/storage/topic-name.js';

const invalid = (name: unknown) => {
  try {
    validateTopicName(name);
    return false;
  } catch (err) {
    return isTributaryError(err, 'INVALID_TOPIC');
  }
};

describe('topic names (Kafka rules)', () => {
  it('accepts legal names up to 249 characters', () => {
    for (const ok of ['a', 'A-b_c.9', '__consumer_offsets', '...', 'x'.repeat(249), '-', 'a..b']) expect(invalid(ok), ok).toBe(false);
  });
  it('rejects empty, ".", "..", too long, illegal characters and path tricks', () => {
    for (const bad of ['', '.', '..', 'x'.repeat(250), 'a/b', '../etc', 'a\\b', 'a b', 'ä', 'a\0b', 'a:b', '/abs', 'a*', 42, null]) {
      expect(invalid(bad), String(bad)).toBe(true);
    }
  });
  it("treats '.' and '_' as colliding", () => {
    expect(collisionKey('a.b')).toBe(collisionKey('a_b'));
    expect(collisionKey('a.b')).not.toBe(collisionKey('ab'));
  });
});
