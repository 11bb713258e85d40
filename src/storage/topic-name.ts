/**
 * Kafka's topic-name rules (Topic.validate): 1 to 249 characters from [a-zA-Z0-9._-], not
 * "." or "..". Names are also directory names (`<topic>-<partition>`), so these rules are
 * what keeps a client-chosen name from escaping the data directory: no '/', no '\0', no
 * leading "..". Two names that differ only by '.' versus '_' collide in Kafka's metric names
 * and are refused together (`collidingTopic`).
 */
import { TributaryError } from '../errors.js';
import { topicNameLengthMax } from '../limits.js';

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Throws INVALID_TOPIC when `name` breaks Kafka's rules. */
export function validateTopicName(name: unknown): asserts name is string {
  const fail = (why: string): never => {
    throw new TributaryError('INVALID_TOPIC', `invalid topic name ${JSON.stringify(name)}: ${why}`, { topic: name });
  };
  if (typeof name !== 'string' || name.length === 0) fail('it is empty');
  const s = name as string;
  if (s === '.' || s === '..') fail("'.' and '..' are not allowed");
  if (s.length > topicNameLengthMax) fail(`it is longer than ${topicNameLengthMax} characters`);
  if (!LEGAL.test(s)) fail('legal characters are ASCII letters, digits, ".", "_" and "-"');
}

/** The name with '.' mapped to '_': topics with equal keys collide. */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}
