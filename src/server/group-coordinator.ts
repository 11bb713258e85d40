/**
 * The group coordinator: Kafka's classic consumer-group rebalance protocol.
 *
 * A group moves through Kafka's states:
 *
 *   Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
 *   CompletingRebalance --leader's SyncGroup--> Stable --join / leave / session expiry--> PreparingRebalance
 *
 * Each completed join phase starts a new generation. The leader (the first member to join, kept
 * while it stays) receives every member's protocol metadata and sends the assignment in its
 * SyncGroup; the others get theirs when it arrives. A member first joining with an empty
 * member id (JoinGroup v4+) is given an id and MEMBER_ID_REQUIRED, as Kafka does, so a
 * client that dies between the two calls leaves no ghost member behind.
 *
 * Timers: every member has one session timer, reset by any request from it (join, sync,
 * heartbeat, commit); on expiry the member is removed and the group rebalances, unless it is
 * waiting in JoinGroup or SyncGroup (as in Kafka, the rebalance timeout bounds those waits). A join phase
 * ends when every known member has rejoined, or when the longest rebalance timeout of the
 * members passes, whichever comes first; members that did not rejoin are removed. Timers are
 * unref'd and never block request handling: every method returns at once or with a promise
 * that the state machine resolves later.
 *
 * Members leaving and joining in a burst share one rebalance: a join phase already in progress
 * just collects them, so a group with many members does not rebalance once per member.
 *
 * Static membership (group.instance.id, JoinGroup v5+) maps an instance id to its current member
 * id: a restarted static member takes its old place without a rebalance if its protocols are
 * unchanged.
 *
 * Committed offsets are kept by an `OffsetStore` (see offset-store.ts); this class only checks
 * that a commit comes from a current member and generation.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Kafka error names the coordinator answers with (mapped to codes by the handlers). */
export type GroupError =
  | 'NONE'
  | 'MEMBER_ID_REQUIRED'
  | 'UNKNOWN_MEMBER_ID'
  | 'ILLEGAL_GENERATION'
  | 'REBALANCE_IN_PROGRESS'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'INVALID_SESSION_TIMEOUT'
  | 'INVALID_GROUP_ID'
  | 'GROUP_ID_NOT_FOUND'
  | 'NON_EMPTY_GROUP'
  | 'FENCED_INSTANCE_ID'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'GROUP_MAX_SIZE_REACHED';

export interface JoinProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: JoinProtocol[];
  /** JoinGroup v4+: an unknown member must first get an id (MEMBER_ID_REQUIRED). */
  requireKnownMemberId: boolean;
}

export interface JoinResult {
  error: GroupError;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  error: GroupError;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface CoordinatorSettings {
  /** Smallest session timeout accepted (Kafka group.min.session.timeout.ms: 6 s). */
  minSessionTimeoutMs: number;
  /** Largest session timeout accepted (Kafka group.max.session.timeout.ms: 30 min). */
  maxSessionTimeoutMs: number;
  /** How long the first join of an empty group waits for more members (Kafka: 3 s). */
  initialRebalanceDelayMs: number;
  /** Largest number of members in a group (Kafka group.max.size). */
  maxGroupSize: number;
}

export const coordinatorDefaults: CoordinatorSettings = {
  minSessionTimeoutMs: 1_000,
  maxSessionTimeoutMs: 30 * 60 * 1000,
  initialRebalanceDelayMs: 100,
  maxGroupSize: 1000,
};

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: JoinProtocol[];
  assignment: Buffer;
  /** The pending JoinGroup answer while a join phase is in progress. */
  awaitingJoin: ((r: JoinResult) => void) | null;
  /** The pending SyncGroup answer while waiting for the leader's assignment. */
  awaitingSync: ((r: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

const EMPTY = Buffer.alloc(0);

/** A JoinGroup answer that carries only an error (and the member id it concerns). */
function joinFailure(error: GroupError, memberId: string): JoinResult {
  return { error, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

/** A SyncGroup answer that carries only an error. */
function syncFailure(error: GroupError): SyncResult {
  return { error, protocolType: null, protocolName: null, assignment: EMPTY };
}

/** Answers a member's pending JoinGroup and SyncGroup, if any, with `error`. */
function failWaiters(m: Member, error: GroupError): void {
  const join = m.awaitingJoin;
  const sync = m.awaitingSync;
  m.awaitingJoin = null;
  m.awaitingSync = null;
  join?.(joinFailure(error, m.memberId));
  sync?.(syncFailure(error));
}

class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet joined. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  readonly staticMembers = new Map<string, string>();
  joinTimer: NodeJS.Timeout | null = null;
  /** While set, the first join phase of an empty group waits for more members (initial delay). */
  initialDelay: { timer: NodeJS.Timeout; deadline: number } | null = null;

  constructor(readonly groupId: string) {}
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly settings: CoordinatorSettings;
  private closed = false;

  constructor(
    private readonly log: Logger,
    settings: Partial<CoordinatorSettings> = {},
  ) {
    this.settings = { ...coordinatorDefaults, ...settings };
  }

  // ---- JoinGroup -----------------------------------------------------------------------

  join(req: JoinRequest): Promise<JoinResult> {
    const fail = (error: GroupError, memberId = req.memberId): Promise<JoinResult> =>
      Promise.resolve(joinFailure(error, memberId));
    if (this.closed) return fail('COORDINATOR_NOT_AVAILABLE');
    if (!req.groupId) return fail('INVALID_GROUP_ID');
    if (req.sessionTimeoutMs < this.settings.minSessionTimeoutMs || req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) {
      return fail('INVALID_SESSION_TIMEOUT');
    }
    if (req.protocols.length === 0 || !req.protocolType) return fail('INCONSISTENT_GROUP_PROTOCOL');

    let group = this.groups.get(req.groupId);
    if (!group) {
      group = new Group(req.groupId);
      this.groups.set(req.groupId, group);
    }
    if (group.state !== 'Empty' && group.protocolType !== null && group.protocolType !== req.protocolType) {
      return fail('INCONSISTENT_GROUP_PROTOCOL');
    }
    if (group.members.size > 0 && !this.supportsCommonProtocol(group, req.protocols)) return fail('INCONSISTENT_GROUP_PROTOCOL');

    let memberId = req.memberId;
    if (memberId === '' && req.groupInstanceId !== null) {
      // A static member rejoining after a restart takes over its previous member id.
      const previous = group.staticMembers.get(req.groupInstanceId);
      if (previous !== undefined && group.members.has(previous)) {
        const m = group.members.get(previous)!;
        group.members.delete(previous);
        const fresh = `${req.groupInstanceId}-${randomUUID()}`;
        m.memberId = fresh;
        group.members.set(fresh, m);
        group.staticMembers.set(req.groupInstanceId, fresh);
        if (group.leaderId === previous) group.leaderId = fresh;
        m.awaitingJoin?.(joinFailure('FENCED_INSTANCE_ID', previous));
        m.awaitingJoin = null;
        memberId = fresh;
      }
    }

    if (memberId === '') {
      if (group.members.size + group.pendingMembers.size >= this.settings.maxGroupSize) return fail('GROUP_MAX_SIZE_REACHED');
      const id = `${req.clientId || 'member'}-${randomUUID()}`;
      if (req.requireKnownMemberId && req.groupInstanceId === null) {
        // KIP-394: hand out the id and expect the member back with it within its session timeout.
        const timer = setTimeout(() => group.pendingMembers.delete(id), req.sessionTimeoutMs);
        timer.unref();
        group.pendingMembers.set(id, timer);
        return fail('MEMBER_ID_REQUIRED', id);
      }
      memberId = id;
    } else if (!group.members.has(memberId)) {
      const pending = group.pendingMembers.get(memberId);
      if (pending === undefined) return fail('UNKNOWN_MEMBER_ID');
      clearTimeout(pending);
      group.pendingMembers.delete(memberId);
    }

    return new Promise<JoinResult>((resolve) => {
      const g = group;
      let member = g.members.get(memberId);
      const changed = !member || !sameProtocols(member.protocols, req.protocols);
      if (!member) {
        member = {
          memberId,
          groupInstanceId: req.groupInstanceId,
          clientId: req.clientId,
          clientHost: req.clientHost,
          sessionTimeoutMs: req.sessionTimeoutMs,
          rebalanceTimeoutMs: req.rebalanceTimeoutMs,
          protocolType: req.protocolType,
          protocols: req.protocols,
          assignment: EMPTY,
          awaitingJoin: null,
          awaitingSync: null,
          sessionTimer: null,
        };
        g.members.set(memberId, member);
        if (req.groupInstanceId !== null) g.staticMembers.set(req.groupInstanceId, memberId);
        g.leaderId ??= memberId;
      } else {
        member.sessionTimeoutMs = req.sessionTimeoutMs;
        member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
        member.protocols = req.protocols;
      }
      // A repeated join while one is pending replaces the older waiter (client retry).
      member.awaitingJoin?.(joinFailure('UNKNOWN_MEMBER_ID', memberId));
      member.awaitingJoin = resolve;
      this.touch(g, member);

      if (g.state === 'Stable' && !changed && memberId !== g.leaderId) {
        // Kafka: a follower rejoining a stable group with the same metadata gets the current generation.
        member.awaitingJoin = null;
        resolve(this.joinResult(g, member));
        return;
      }
      if (g.state === 'Stable' || g.state === 'CompletingRebalance' || g.state === 'Empty') {
        this.prepareRebalance(g, g.state === 'Empty' ? this.settings.initialRebalanceDelayMs : undefined);
      } else if (g.initialDelay && changed) {
        this.extendInitialDelay(g);
      } else {
        this.maybeCompleteJoin(g);
      }
    });
  }

  // ---- SyncGroup -----------------------------------------------------------------------

  sync(groupId: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<SyncResult> {
    const fail = (error: GroupError): Promise<SyncResult> => Promise.resolve(syncFailure(error));
    const g = this.groups.get(groupId);
    if (!g) return fail('UNKNOWN_MEMBER_ID');
    const m = g.members.get(memberId);
    if (!m) return fail('UNKNOWN_MEMBER_ID');
    if (generationId !== g.generationId) return fail('ILLEGAL_GENERATION');
    this.touch(g, m);
    switch (g.state) {
      case 'PreparingRebalance':
        return fail('REBALANCE_IN_PROGRESS');
      case 'Stable':
        return Promise.resolve({ error: 'NONE', protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          m.awaitingSync?.(syncFailure('REBALANCE_IN_PROGRESS'));
          m.awaitingSync = resolve;
          if (memberId === g.leaderId) {
            for (const member of g.members.values()) member.assignment = EMPTY;
            for (const a of assignments) {
              const target = g.members.get(a.memberId);
              if (target) target.assignment = a.assignment;
            }
            g.state = 'Stable';
            this.log.info({ group: g.groupId, generation: g.generationId, members: g.members.size }, 'group stable');
            for (const member of g.members.values()) {
              const waiter = member.awaitingSync;
              member.awaitingSync = null;
              waiter?.({ error: 'NONE', protocolType: g.protocolType, protocolName: g.protocolName, assignment: member.assignment });
            }
          }
        });
      default:
        return fail('UNKNOWN_MEMBER_ID');
    }
  }

  // ---- Heartbeat / LeaveGroup -----------------------------------------------------------

  heartbeat(groupId: string, generationId: number, memberId: string): GroupError {
    const g = this.groups.get(groupId);
    if (!g) return 'UNKNOWN_MEMBER_ID';
    const m = g.members.get(memberId);
    if (!m) return 'UNKNOWN_MEMBER_ID';
    this.touch(g, m);
    if (g.state === 'PreparingRebalance') return 'REBALANCE_IN_PROGRESS';
    if (generationId !== g.generationId) return 'ILLEGAL_GENERATION';
    return 'NONE';
  }

  /** Removes members; answers per member. A member given by instance id only is looked up. */
  leave(groupId: string, members: { memberId: string; groupInstanceId: string | null }[]): { memberId: string; groupInstanceId: string | null; error: GroupError }[] {
    const g = this.groups.get(groupId);
    const out: { memberId: string; groupInstanceId: string | null; error: GroupError }[] = [];
    let removed = false;
    for (const req of members) {
      let id = req.memberId;
      if (g && req.groupInstanceId !== null) {
        const current = g.staticMembers.get(req.groupInstanceId);
        if (current === undefined || (id !== '' && id !== current)) {
          out.push({ ...req, error: current === undefined ? 'UNKNOWN_MEMBER_ID' : 'FENCED_INSTANCE_ID' });
          continue;
        }
        id = current;
      }
      const m = g?.members.get(id);
      if (!g || !m) {
        out.push({ ...req, error: 'UNKNOWN_MEMBER_ID' });
        continue;
      }
      this.removeMember(g, m, 'left');
      removed = true;
      out.push({ memberId: id, groupInstanceId: req.groupInstanceId, error: 'NONE' });
    }
    if (g && removed) this.afterMembershipLoss(g);
    return out;
  }

  // ---- Offset commit checks -------------------------------------------------------------

  /**
   * Whether a commit from (generationId, memberId) is accepted. Generation -1 with an empty
   * member id is a "simple" commit from outside any group protocol (kafka-consumer-groups,
   * assign()), accepted only while the group has no members.
   */
  validateCommit(groupId: string, generationId: number, memberId: string): GroupError {
    const g = this.groups.get(groupId);
    if (generationId < 0 && memberId === '') {
      return g && g.members.size > 0 ? 'UNKNOWN_MEMBER_ID' : 'NONE';
    }
    if (!g) return 'UNKNOWN_MEMBER_ID';
    const m = g.members.get(memberId);
    if (!m) return 'UNKNOWN_MEMBER_ID';
    this.touch(g, m);
    // Kafka: members commit what they processed *before* rejoining, so commits of the current
    // generation are accepted while the group prepares a rebalance; between the join and the
    // leader's assignment (CompletingRebalance) nobody owns partitions, so commits are refused.
    if (g.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    if (generationId !== g.generationId) return 'ILLEGAL_GENERATION';
    return 'NONE';
  }

  // ---- Admin ----------------------------------------------------------------------------

  listGroups(): { groupId: string; protocolType: string; state: GroupState }[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }));
  }

  describe(groupId: string): GroupDescription | null {
    const g = this.groups.get(groupId);
    if (!g) return null;
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolName: g.state === 'Stable' || g.state === 'CompletingRebalance' ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    };
  }

  /** Deletes an empty group; NON_EMPTY_GROUP while it has members. */
  deleteGroup(groupId: string): GroupError {
    const g = this.groups.get(groupId);
    if (!g) return 'GROUP_ID_NOT_FOUND';
    if (g.members.size > 0) return 'NON_EMPTY_GROUP';
    g.state = 'Dead';
    this.groups.delete(groupId);
    return 'NONE';
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  /** Ends every timer and answers every waiter with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) {
      if (g.joinTimer) clearTimeout(g.joinTimer);
      if (g.initialDelay) clearTimeout(g.initialDelay.timer);
      for (const t of g.pendingMembers.values()) clearTimeout(t);
      for (const m of g.members.values()) {
        if (m.sessionTimer) clearTimeout(m.sessionTimer);
        failWaiters(m, 'COORDINATOR_NOT_AVAILABLE');
      }
    }
  }

  // ---- State machine -------------------------------------------------------------------

  private touch(g: Group, m: Member): void {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    m.sessionTimer = setTimeout(() => {
      if (g.members.get(m.memberId) !== m) return;
      // Kafka keeps a member alive while it waits in JoinGroup or SyncGroup: the rebalance
      // timeout, not the session timeout, bounds those waits.
      if (m.awaitingJoin || m.awaitingSync) return this.touch(g, m);
      this.log.info({ group: g.groupId, member: m.memberId }, 'member session expired');
      this.removeMember(g, m, 'session timeout');
      this.afterMembershipLoss(g);
    }, m.sessionTimeoutMs);
    m.sessionTimer.unref();
  }

  private removeMember(g: Group, m: Member, why: string): void {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    g.members.delete(m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) g.staticMembers.delete(m.groupInstanceId);
    failWaiters(m, 'UNKNOWN_MEMBER_ID');
    if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
    this.log.info({ group: g.groupId, member: m.memberId, why }, 'member removed');
  }

  private afterMembershipLoss(g: Group): void {
    if (g.members.size === 0) {
      if (g.joinTimer) clearTimeout(g.joinTimer);
      g.joinTimer = null;
      if (g.initialDelay) clearTimeout(g.initialDelay.timer);
      g.initialDelay = null;
      g.state = 'Empty';
      g.generationId++;
      g.protocolName = null;
      g.leaderId = null;
      return;
    }
    if (g.state === 'PreparingRebalance') this.maybeCompleteJoin(g);
    else this.prepareRebalance(g);
  }

  private prepareRebalance(g: Group, delayMs?: number): void {
    if (g.state === 'CompletingRebalance') {
      // Members waiting for the leader's assignment must rejoin.
      for (const m of g.members.values()) {
        const waiter = m.awaitingSync;
        m.awaitingSync = null;
        waiter?.(syncFailure('REBALANCE_IN_PROGRESS'));
      }
    }
    g.state = 'PreparingRebalance';
    if (g.joinTimer) clearTimeout(g.joinTimer);
    let timeout = 0;
    for (const m of g.members.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs);
    g.joinTimer = setTimeout(() => this.completeJoin(g, true), timeout);
    g.joinTimer.unref();
    if (delayMs !== undefined && delayMs > 0) {
      // Kafka's group.initial.rebalance.delay.ms: a burst of first members forms one generation
      // instead of one rebalance per arrival. Each new member extends the wait by the delay, up
      // to the rebalance timeout (Kafka's InitialDelayedJoin).
      const deadline = Date.now() + timeout;
      g.initialDelay = { timer: this.initialDelayTimer(g, delayMs), deadline };
      return;
    }
    this.maybeCompleteJoin(g);
  }

  private initialDelayTimer(g: Group, delayMs: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      g.initialDelay = null;
      this.maybeCompleteJoin(g);
    }, delayMs);
    t.unref();
    return t;
  }

  private extendInitialDelay(g: Group): void {
    const d = g.initialDelay!;
    clearTimeout(d.timer);
    const left = d.deadline - Date.now();
    d.timer = this.initialDelayTimer(g, Math.max(0, Math.min(this.settings.initialRebalanceDelayMs, left)));
  }

  private maybeCompleteJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance' || g.initialDelay) return;
    for (const m of g.members.values()) if (!m.awaitingJoin) return;
    this.completeJoin(g, false);
  }

  private completeJoin(g: Group, timedOut: boolean): void {
    if (g.state !== 'PreparingRebalance') return;
    if (g.joinTimer) clearTimeout(g.joinTimer);
    g.joinTimer = null;
    if (g.initialDelay) clearTimeout(g.initialDelay.timer);
    g.initialDelay = null;
    if (timedOut) {
      for (const m of [...g.members.values()]) if (!m.awaitingJoin) this.removeMember(g, m, 'did not rejoin within the rebalance timeout');
    }
    g.generationId++;
    if (g.members.size === 0) {
      g.state = 'Empty';
      g.protocolName = null;
      return;
    }
    if (!g.leaderId || !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
    const first = g.members.values().next().value as Member;
    g.protocolType = first.protocolType;
    g.protocolName = this.selectProtocol(g);
    g.state = 'CompletingRebalance';
    this.log.info({ group: g.groupId, generation: g.generationId, members: g.members.size, protocol: g.protocolName }, 'join phase complete');
    for (const m of g.members.values()) {
      const waiter = m.awaitingJoin;
      m.awaitingJoin = null;
      waiter?.(this.joinResult(g, m));
    }
  }

  private joinResult(g: Group, m: Member): JoinResult {
    const isLeader = m.memberId === g.leaderId;
    return {
      error: 'NONE',
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      memberId: m.memberId,
      members: isLeader
        ? [...g.members.values()].map((x) => ({
            memberId: x.memberId,
            groupInstanceId: x.groupInstanceId,
            metadata: x.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }

  /** Kafka's choice: among protocols every member supports, the one most members rank highest. */
  private selectProtocol(g: Group): string {
    const members = [...g.members.values()];
    const common = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const pick = m.protocols.find((p) => common.includes(p.name));
      if (pick) votes.set(pick.name, (votes.get(pick.name) ?? 0) + 1);
    }
    let best = common[0] ?? members[0]!.protocols[0]!.name;
    let bestVotes = -1;
    for (const name of common) {
      const v = votes.get(name) ?? 0;
      if (v > bestVotes) {
        best = name;
        bestVotes = v;
      }
    }
    return best;
  }

  private supportsCommonProtocol(g: Group, protocols: JoinProtocol[]): boolean {
    const names = new Set(protocols.map((p) => p.name));
    for (const m of g.members.values()) {
      if (!m.protocols.some((p) => names.has(p.name))) return false;
    }
    return true;
  }
}

function sameProtocols(a: JoinProtocol[], b: JoinProtocol[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}
