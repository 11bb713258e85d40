/**
 * Consumer groups on the wire: FindCoordinator (10), JoinGroup (11), Heartbeat (12),
 * LeaveGroup (13), SyncGroup (14), DescribeGroups (15), ListGroups (16), DeleteGroups (42),
 * OffsetCommit (8) and OffsetFetch (9). The state machine is in group-coordinator.ts and the
 * committed offsets in offset-store.ts; this file only translates requests and answers.
 */
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { offsetMetadataBytesMax } from '../../limits.js';
import { KafkaErrorCode } from '../../protocol/index.js';
import type { GroupError } from '../group-coordinator.js';
import type { OffsetCommitEntry } from '../offset-store.js';
import type { BrokerState } from '../state.js';
import type { RequestContext } from '../connection.js';

const code = (e: GroupError): number => (e === 'NONE' ? 0 : KafkaErrorCode[e]);
/** FindCoordinator key types. */
const KEY_TYPE_GROUP = 0;

export function handleFindCoordinator(state: BrokerState, req: RequestBody<'FindCoordinator'>, version: number): ResponseInput<'FindCoordinator'> {
  const node = state.config.nodeId;
  const { host, port } = state.advertised;
  const unsupported = req.keyType !== KEY_TYPE_GROUP;
  const errorCode = unsupported ? KafkaErrorCode.COORDINATOR_NOT_AVAILABLE : 0;
  const errorMessage = unsupported ? 'only group coordinators exist here (transactions are not supported)' : null;
  if (version >= 4) {
    return {
      throttleTimeMs: 0,
      coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: unsupported ? -1 : node, host: unsupported ? '' : host, port: unsupported ? -1 : port, errorCode, errorMessage })),
    };
  }
  return { throttleTimeMs: 0, errorCode, errorMessage, nodeId: unsupported ? -1 : node, host: unsupported ? '' : host, port: unsupported ? -1 : port };
}

export async function handleJoinGroup(state: BrokerState, req: RequestBody<'JoinGroup'>, version: number, ctx: RequestContext): Promise<ResponseInput<'JoinGroup'>> {
  const r = await state.coordinator.join({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: ctx.clientId,
    clientHost: `/${ctx.clientHost}`,
    sessionTimeoutMs: req.sessionTimeoutMs,
    // v0 has no rebalance timeout: Kafka uses the session timeout.
    rebalanceTimeoutMs: version >= 1 && req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    requireKnownMemberId: version >= 4,
  });
  return {
    throttleTimeMs: 0,
    errorCode: code(r.error),
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Before v7 the protocol name is not nullable.
    protocolName: r.protocolName ?? (version >= 7 ? null : ''),
    leader: r.leader,
    skipAssignment: false,
    memberId: r.memberId,
    members: r.members,
  };
}

export async function handleSyncGroup(state: BrokerState, req: RequestBody<'SyncGroup'>): Promise<ResponseInput<'SyncGroup'>> {
  const r = await state.coordinator.sync(
    req.groupId,
    req.generationId,
    req.memberId,
    req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
  );
  return { throttleTimeMs: 0, errorCode: code(r.error), protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
}

export function handleHeartbeat(state: BrokerState, req: RequestBody<'Heartbeat'>): ResponseInput<'Heartbeat'> {
  return { throttleTimeMs: 0, errorCode: code(state.coordinator.heartbeat(req.groupId, req.generationId, req.memberId)) };
}

export function handleLeaveGroup(state: BrokerState, req: RequestBody<'LeaveGroup'>, version: number): ResponseInput<'LeaveGroup'> {
  const members = version >= 3 ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
  const results = state.coordinator.leave(req.groupId, members);
  if (version < 3) return { throttleTimeMs: 0, errorCode: code(results[0]!.error) };
  return { throttleTimeMs: 0, errorCode: 0, members: results.map((r) => ({ memberId: r.memberId, groupInstanceId: r.groupInstanceId, errorCode: code(r.error) })) };
}

export function handleListGroups(state: BrokerState, req: RequestBody<'ListGroups'>): ResponseInput<'ListGroups'> {
  const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
  const live = state.coordinator.listGroups();
  const known = new Set(live.map((g) => g.groupId));
  // Groups known only from committed offsets are Empty consumer groups, as in Kafka.
  const fromOffsets = state.offsets
    .groupIds()
    .filter((g) => !known.has(g))
    .map((groupId) => ({ groupId, protocolType: 'consumer', state: 'Empty' as const }));
  const groups = [...live, ...fromOffsets].filter((g) => states.size === 0 || states.has(g.state.toLowerCase()));
  return { throttleTimeMs: 0, errorCode: 0, groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' })) };
}

export function handleDescribeGroups(state: BrokerState, req: RequestBody<'DescribeGroups'>): ResponseInput<'DescribeGroups'> {
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      const d = state.coordinator.describe(groupId);
      if (!d) {
        // Kafka describes an unknown group as Dead with no members, not as an error.
        const state_ = state.offsets.hasGroup(groupId) ? 'Empty' : 'Dead';
        return { errorCode: 0, groupId, groupState: state_, protocolType: state_ === 'Empty' ? 'consumer' : '', protocolData: '', members: [] };
      }
      return {
        errorCode: 0,
        groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocolName,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
      };
    }),
  };
}

export async function handleDeleteGroups(state: BrokerState, req: RequestBody<'DeleteGroups'>): Promise<ResponseInput<'DeleteGroups'>> {
  const results = [];
  for (const groupId of req.groupsNames) {
    let err: GroupError = 'NONE';
    if (state.coordinator.hasGroup(groupId)) err = state.coordinator.deleteGroup(groupId);
    else if (!state.offsets.hasGroup(groupId)) err = 'GROUP_ID_NOT_FOUND';
    if (err === 'NONE') await state.offsets.deleteGroup(groupId);
    results.push({ groupId, errorCode: code(err) });
  }
  return { throttleTimeMs: 0, results };
}

export async function handleOffsetCommit(state: BrokerState, req: RequestBody<'OffsetCommit'>, version: number): Promise<ResponseInput<'OffsetCommit'>> {
  const generation = version >= 1 ? req.generationIdOrMemberEpoch : -1;
  const memberId = version >= 1 ? req.memberId : '';
  const groupError = state.coordinator.validateCommit(req.groupId, generation, memberId);
  const now = Date.now();
  const entries: OffsetCommitEntry[] = [];
  const answers = req.topics.map((t) => {
    const partitionCount = state.engine.hasTopic(t.name) ? state.engine.describeTopic(t.name).partitions.length : 0;
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        let errorCode = code(groupError);
        if (errorCode === 0 && (p.partitionIndex < 0 || p.partitionIndex >= partitionCount)) errorCode = KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (errorCode === 0 && p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > offsetMetadataBytesMax) errorCode = KafkaErrorCode.OFFSET_METADATA_TOO_LARGE;
        if (errorCode === 0) {
          entries.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata,
            commitTimestamp: now,
          });
        }
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    };
  });
  try {
    await state.offsets.commit(req.groupId, entries);
  } catch (err) {
    state.log.error({ group: req.groupId, err: err instanceof Error ? err.message : String(err) }, 'offset commit failed');
    for (const t of answers) for (const p of t.partitions) if (p.errorCode === 0) p.errorCode = KafkaErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  return { throttleTimeMs: 0, topics: answers };
}

export function handleOffsetFetch(state: BrokerState, req: RequestBody<'OffsetFetch'>): ResponseInput<'OffsetFetch'> {
  const wanted = req.topics ?? groupTopics(state, req.groupId);
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    topics: wanted.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const c = state.offsets.fetch(req.groupId, t.name, partitionIndex);
        return {
          partitionIndex,
          committedOffset: c?.offset ?? -1,
          committedLeaderEpoch: c?.leaderEpoch ?? -1,
          metadata: c ? c.metadata : '',
          errorCode: 0,
        };
      }),
    })),
  };
}

/** OffsetFetch with a null topic list (v2+): every partition the group has committed. */
function groupTopics(state: BrokerState, group: string): { name: string; partitionIndexes: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const c of state.offsets.list(group)) {
    const list = byTopic.get(c.topic) ?? [];
    list.push(c.partition);
    byTopic.set(c.topic, list);
  }
  return [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes: partitionIndexes.sort((a, b) => a - b) }));
}
