/** Every API's request and response tables, by API key. */
import type { ApiSpec } from '../schema.js';
import { AlterConfigs } from './alter-configs.js';
import { ApiVersions } from './api-versions.js';
import { CreatePartitions } from './create-partitions.js';
import { CreateTopics } from './create-topics.js';
import { DeleteGroups } from './delete-groups.js';
import { DeleteRecords } from './delete-records.js';
import { DeleteTopics } from './delete-topics.js';
import { DescribeConfigs } from './describe-configs.js';
import { DescribeGroups } from './describe-groups.js';
import { Fetch } from './fetch.js';
import { FindCoordinator } from './find-coordinator.js';
import { Heartbeat } from './heartbeat.js';
import { IncrementalAlterConfigs } from './incremental-alter-configs.js';
import { InitProducerId } from './init-producer-id.js';
import { JoinGroup } from './join-group.js';
import { LeaveGroup } from './leave-group.js';
import { ListGroups } from './list-groups.js';
import { ListOffsets } from './list-offsets.js';
import { Metadata } from './metadata.js';
import { OffsetCommit } from './offset-commit.js';
import { OffsetFetch } from './offset-fetch.js';
import { Produce } from './produce.js';
import { SyncGroup } from './sync-group.js';

export const API_SPECS = {
  Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup,
  Heartbeat, LeaveGroup, SyncGroup, DescribeGroups, ListGroups, ApiVersions, CreateTopics,
  DeleteTopics, DeleteRecords, InitProducerId, DescribeConfigs, AlterConfigs, CreatePartitions,
  DeleteGroups, IncrementalAlterConfigs,
} as const satisfies Record<string, ApiSpec>;

export type ApiName = keyof typeof API_SPECS;

const byKey = new Map<number, ApiSpec>(Object.values(API_SPECS).map((s) => [s.apiKey, s]));

/** The tables of the API with this key, or undefined if we have none. */
export function apiSpecByKey(apiKey: number): ApiSpec | undefined {
  return byKey.get(apiKey);
}
