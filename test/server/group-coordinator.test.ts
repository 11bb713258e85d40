/**
 * The coordinator's state machine on its own: many members, one rebalance per membership
 * change, Kafka's error codes where the protocol calls for them, timers that evict.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCoordinator } from '../../src/server/group-coordinator.js';
import type { JoinRequest, JoinResult } from '../../src/server/group-coordinator.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let coordinator: GroupCoordinator;
afterEach(() => coordinator?.close());

const join = (memberId: string, over: Partial<JoinRequest> = {}): Promise<JoinResult> =>
  coordinator.join({
    groupId: 'g',
    memberId,
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from(memberId) }],
    requireKnownMemberId: true,
    ...over,
  });

async function joinFresh(n: number, over: Partial<JoinRequest> = {}): Promise<JoinResult[]> {
  const ids = await Promise.all(Array.from({ length: n }, () => join('', over)));
  for (const r of ids) expect(r.error).toBe('MEMBER_ID_REQUIRED');
  return Promise.all(ids.map((r) => join(r.memberId, over)));
}

describe('group coordinator', () => {
  it('50 members joining at once form one generation with one leader, who alone sees the member list', async () => {
    coordinator = new GroupCoordinator(silent);
    const joined = await joinFresh(50);
    const generations = new Set(joined.map((r) => r.generationId));
    expect([...generations]).toEqual([1]);
    const leaders = joined.filter((r) => r.memberId === r.leader);
    expect(leaders).toHaveLength(1);
    expect(leaders[0]!.members).toHaveLength(50);
    expect(joined.filter((r) => r.members.length > 0)).toHaveLength(1);

    // The leader's SyncGroup hands every member its assignment.
    const syncs = joined.map((r) =>
      coordinator.sync('g', r.generationId, r.memberId, r.memberId === r.leader ? joined.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`a-${m.memberId}`) })) : []),
    );
    const assigned = await Promise.all(syncs);
    assigned.forEach((s, i) => expect(s.assignment.toString()).toBe(`a-${joined[i]!.memberId}`));
    expect(coordinator.describe('g')!.state).toBe('Stable');

    // One member leaving triggers exactly one rebalance: heartbeats say so, everyone rejoins once.
    coordinator.leave('g', [{ memberId: joined[7]!.memberId, groupInstanceId: null }]);
    const rest = joined.filter((_, i) => i !== 7);
    for (const r of rest) expect(coordinator.heartbeat('g', r.generationId, r.memberId)).toBe('REBALANCE_IN_PROGRESS');
    const rejoined = await Promise.all(rest.map((r) => join(r.memberId)));
    expect(new Set(rejoined.map((r) => r.generationId))).toEqual(new Set([2]));
  });

  it('answers UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and REBALANCE_IN_PROGRESS where the protocol calls for them', async () => {
    coordinator = new GroupCoordinator(silent);
    const [a] = await joinFresh(1);
    expect(coordinator.heartbeat('g', a!.generationId, 'nobody')).toBe('UNKNOWN_MEMBER_ID');
    expect((await join('nobody')).error).toBe('UNKNOWN_MEMBER_ID');
    const sync = await coordinator.sync('g', a!.generationId, a!.memberId, [{ memberId: a!.memberId, assignment: Buffer.from('x') }]);
    expect(sync.error).toBe('NONE');
    expect(coordinator.heartbeat('g', a!.generationId + 5, a!.memberId)).toBe('ILLEGAL_GENERATION');
    expect(coordinator.validateCommit('g', a!.generationId + 5, a!.memberId)).toBe('ILLEGAL_GENERATION');
    // A second member starts a rebalance; the first learns it from its heartbeat, may still commit.
    const b = join('');
    const bId = (await b).memberId;
    const bJoin = join(bId);
    expect(coordinator.heartbeat('g', a!.generationId, a!.memberId)).toBe('REBALANCE_IN_PROGRESS');
    expect(coordinator.validateCommit('g', a!.generationId, a!.memberId)).toBe('NONE');
    const aJoin = await join(a!.memberId);
    await bJoin;
    // Between the join and the leader's SyncGroup, commits are refused.
    expect(coordinator.validateCommit('g', aJoin.generationId, a!.memberId)).toBe('REBALANCE_IN_PROGRESS');
    expect((await join('', { sessionTimeoutMs: 10 })).error).toBe('INVALID_SESSION_TIMEOUT');
    expect((await join('', { protocolType: 'connect' })).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  it('evicts a member whose session expires, but not members waiting in JoinGroup', async () => {
    coordinator = new GroupCoordinator(silent, { minSessionTimeoutMs: 50 });
    const [a, b] = await joinFresh(2, { sessionTimeoutMs: 100 });
    await Promise.all([a!, b!].map((r) => coordinator.sync('g', r.generationId, r.memberId, [])));
    // a keeps heartbeating, b falls silent.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      coordinator.heartbeat('g', a!.generationId, a!.memberId);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(coordinator.describe('g')!.members.map((m) => m.memberId)).toEqual([a!.memberId]);
    // The eviction started a rebalance that a cannot have joined yet.
    expect(coordinator.describe('g')!.state).toBe('PreparingRebalance');
  }, 10_000);

  it('a join phase ends after the rebalance timeout without the members that did not rejoin', async () => {
    coordinator = new GroupCoordinator(silent);
    const fast = { rebalanceTimeoutMs: 150 };
    const [a, b] = await joinFresh(2, fast);
    await Promise.all([a!, b!].map((r) => coordinator.sync('g', r.generationId, r.memberId, [])));
    // c arrives; a rejoins, b never does.
    const cId = (await join('', fast)).memberId;
    const [rc, ra] = await Promise.all([join(cId, fast), join(a!.memberId, fast)]);
    expect(ra.error).toBe('NONE');
    expect(rc.generationId).toBe(a!.generationId + 1);
    expect(coordinator.describe('g')!.members.map((m) => m.memberId).sort()).toEqual([a!.memberId, cId].sort());
    expect(coordinator.heartbeat('g', rc.generationId, b!.memberId)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('static members rejoin in their old place; the old id is fenced', async () => {
    coordinator = new GroupCoordinator(silent);
    const first = await join('', { groupInstanceId: 'instance-1' });
    expect(first.error).toBe('NONE');
    await coordinator.sync('g', first.generationId, first.memberId, [{ memberId: first.memberId, assignment: Buffer.from('p0') }]);
    const again = await join('', { groupInstanceId: 'instance-1' });
    expect(again.error).toBe('NONE');
    expect(again.memberId).not.toBe(first.memberId);
    expect(coordinator.describe('g')!.members).toHaveLength(1);
    expect(coordinator.leave('g', [{ memberId: first.memberId, groupInstanceId: 'instance-1' }])[0]!.error).toBe('FENCED_INSTANCE_ID');
  });
});
