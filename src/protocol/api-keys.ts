/**
 * The APIs this broker speaks and the version range of each: the one table the server's
 * ApiVersions answer is generated from (`supportedApiVersions`), and docs/protocol.md is
 * checked against (test/protocol/docs.test.ts).
 *
 * A range here must lie inside the versions the API's schema tables define (messages/*.ts);
 * the tables may define more (e.g. Fetch 13-17, which name topics by id), which the codec
 * can encode and decode but the broker does not advertise.
 *
 * Why these ranges:
 *  - Produce starts at 3: v0-2 carry message-format v0/v1 batches, which storage does not accept.
 *  - Fetch stops at 12: v13+ identify topics by topic id.
 *  - the rest are the ranges issue #3 asks for; each lies within Kafka 3.x's.
 */
import type { ApiName } from './messages/index.js';

export interface ApiVersionRange {
  readonly name: ApiName;
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export const SUPPORTED_APIS: readonly ApiVersionRange[] = [
  { name: 'Produce', apiKey: 0, minVersion: 3, maxVersion: 9 },
  { name: 'Fetch', apiKey: 1, minVersion: 4, maxVersion: 16 },
  { name: 'ListOffsets', apiKey: 2, minVersion: 0, maxVersion: 10 },
  { name: 'Metadata', apiKey: 3, minVersion: 0, maxVersion: 12 },
  { name: 'OffsetCommit', apiKey: 8, minVersion: 0, maxVersion: 8 },
  { name: 'OffsetFetch', apiKey: 9, minVersion: 0, maxVersion: 7 },
  { name: 'FindCoordinator', apiKey: 10, minVersion: 0, maxVersion: 4 },
  { name: 'JoinGroup', apiKey: 11, minVersion: 0, maxVersion: 9 },
  { name: 'Heartbeat', apiKey: 12, minVersion: 0, maxVersion: 4 },
  { name: 'LeaveGroup', apiKey: 13, minVersion: 0, maxVersion: 5 },
  { name: 'SyncGroup', apiKey: 14, minVersion: 0, maxVersion: 5 },
  { name: 'DescribeGroups', apiKey: 15, minVersion: 0, maxVersion: 5 },
  { name: 'ListGroups', apiKey: 16, minVersion: 0, maxVersion: 4 },
  { name: 'ApiVersions', apiKey: 18, minVersion: 0, maxVersion: 3 },
  { name: 'CreateTopics', apiKey: 19, minVersion: 0, maxVersion: 7 },
  { name: 'DeleteTopics', apiKey: 20, minVersion: 0, maxVersion: 6 },
  { name: 'DeleteRecords', apiKey: 21, minVersion: 0, maxVersion: 2 },
  { name: 'InitProducerId', apiKey: 22, minVersion: 0, maxVersion: 4 },
  { name: 'DescribeConfigs', apiKey: 32, minVersion: 0, maxVersion: 4 },
  { name: 'AlterConfigs', apiKey: 33, minVersion: 0, maxVersion: 2 },
  { name: 'CreatePartitions', apiKey: 37, minVersion: 0, maxVersion: 3 },
  { name: 'DeleteGroups', apiKey: 42, minVersion: 0, maxVersion: 2 },
  { name: 'IncrementalAlterConfigs', apiKey: 44, minVersion: 0, maxVersion: 1 },
];

/** API key by name, e.g. `ApiKey.Produce === 0`. */
export const ApiKey = Object.fromEntries(SUPPORTED_APIS.map((a) => [a.name, a.apiKey])) as Readonly<Record<ApiName, number>>;

const byKey = new Map(SUPPORTED_APIS.map((a) => [a.apiKey, a]));

/** The broker's range for `apiKey`, or undefined when the broker does not speak it. */
export function supportedVersions(apiKey: number): ApiVersionRange | undefined {
  return byKey.get(apiKey);
}

export function isSupported(apiKey: number, apiVersion: number): boolean {
  const r = byKey.get(apiKey);
  return r !== undefined && apiVersion >= r.minVersion && apiVersion <= r.maxVersion;
}

/** The `apiKeys` array of an ApiVersions response. */
export function apiVersionsResponseKeys(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return SUPPORTED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }));
}
