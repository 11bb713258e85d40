/**
 * What a Fetch request asks for, given the session it names, and which partitions its
 * response carries (Kafka's FetchManager.newContext and the FetchContext classes, KIP-227).
 *
 *   sessionId  epoch   context
 *   any        -1      sessionless: the request's partitions, answered in full, session id 0;
 *                      a session it names is closed first
 *   any         0      full: as sessionless, then a new session holds the partitions and its
 *                      id is in the response (0 when the cache has no room); a session it
 *                      names is closed first
 *   0          >0/<-1  FETCH_SESSION_ID_NOT_FOUND (no partitions, session id 0)
 *   S          other   incremental: S must exist (else FETCH_SESSION_ID_NOT_FOUND), the epoch
 *                      must be S's (else INVALID_FETCH_SESSION_EPOCH), and S must name topics
 *                      the way the request version does, by id from v13 (else
 *                      FETCH_SESSION_TOPIC_ID_ERROR). The request's partitions are added to or
 *                      update S, its forgotten partitions leave S; the fetch reads every
 *                      partition of S, and the response carries only those with records, an
 *                      error, or a new high watermark or log start offset. S's epoch moves on.
 *                      A session left empty is closed and the fetch is sessionless.
 *
 * Versions before 7 have no session fields and are sessionless. A request naming one
 * partition twice fetches it once, with the last parameters given (Kafka keeps a map).
 *
 * Beyond Kafka: an incremental request that would grow its session past the per-session or
 * total partition bound (limits.ts) closes the session and gets FETCH_SESSION_ID_NOT_FOUND,
 * which every session-using client answers with a full fetch (then sessionless, being too big).
 */
import type { RequestBody } from '../protocol/index.js';
import { KafkaErrorCode } from '../protocol/index.js';
import type { CachedPartition, FetchSession, FetchSessionCache, PartitionRequest, PartitionResponseState } from './fetch-session-cache.js';
import { FINAL_EPOCH, INITIAL_EPOCH, INVALID_SESSION_ID, nextEpoch, partitionKeyOf } from './fetch-session-cache.js';

type FetchReq = RequestBody<'Fetch'>;

/** One partition a Fetch reads. */
export interface FetchTarget {
  /** The session key: topic name (v7-12) or topic id (v13+), and partition. */
  readonly key: string;
  /** The topic as the request names it (name or id, as `key`). */
  readonly topicRef: string;
  /** The topic's name; null when a v13+ topic id names no topic here. */
  readonly name: string | null;
  readonly topicId: string;
  readonly partition: number;
  readonly params: PartitionRequest;
}

export type FetchContext =
  | { kind: 'error'; errorCode: number }
  | { kind: 'sessionless'; targets: FetchTarget[] }
  | { kind: 'full'; targets: FetchTarget[]; usesTopicIds: boolean }
  | { kind: 'incremental'; session: FetchSession; expectedEpoch: number; targets: FetchTarget[] };

/** Resolves a v13+ topic id to its name (undefined when unknown). */
export type TopicNameById = (topicId: string) => string | undefined;

function paramsOf(p: FetchReq['topics'][number]['partitions'][number]): PartitionRequest {
  return { fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: p.lastFetchedEpoch, logStartOffset: p.logStartOffset };
}

function target(topicRef: string, partition: number, params: PartitionRequest, version: number, nameById: TopicNameById): FetchTarget {
  const byId = version >= 13;
  return {
    key: partitionKeyOf(topicRef, partition),
    topicRef,
    name: byId ? (nameById(topicRef) ?? null) : topicRef,
    topicId: byId ? topicRef : '',
    partition,
    params,
  };
}

/** The request's partitions in request order, one entry per partition (the last parameters win). */
function requestedTargets(req: FetchReq, version: number, nameById: TopicNameById): FetchTarget[] {
  const byKey = new Map<string, FetchTarget>();
  for (const t of req.topics) {
    const ref = version >= 13 ? t.topicId : t.topic;
    for (const p of t.partitions) {
      const x = target(ref, p.partition, paramsOf(p), version, nameById);
      byKey.set(x.key, x);
    }
  }
  return [...byKey.values()];
}

export function newFetchContext(cache: FetchSessionCache, now: number, version: number, req: FetchReq, nameById: TopicNameById): FetchContext {
  if (version < 7) return { kind: 'sessionless', targets: requestedTargets(req, version, nameById) };
  const { sessionId, sessionEpoch } = req;
  if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
    if (sessionId !== INVALID_SESSION_ID) cache.removeById(sessionId);
    const targets = requestedTargets(req, version, nameById);
    return sessionEpoch === FINAL_EPOCH ? { kind: 'sessionless', targets } : { kind: 'full', targets, usesTopicIds: version >= 13 };
  }
  const session = cache.get(sessionId);
  if (session === undefined) return { kind: 'error', errorCode: KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  if (session.epoch !== sessionEpoch) return { kind: 'error', errorCode: KafkaErrorCode.INVALID_FETCH_SESSION_EPOCH };
  if (session.usesTopicIds !== version >= 13) return { kind: 'error', errorCode: KafkaErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };

  const requested = requestedTargets(req, version, nameById).map((t) => ({ topic: t.topicRef, partition: t.partition, params: t.params }));
  const forgotten = req.forgottenTopicsData.flatMap((f) => f.partitions.map((partition) => ({ topic: version >= 13 ? f.topicId : f.topic, partition })));
  // The size after the update (added first, then forgotten, as session.update applies them).
  const added = new Set(requested.map((r) => partitionKeyOf(r.topic, r.partition)).filter((k) => !session.partitions.has(k)));
  let grown = session.size + added.size;
  for (const key of new Set(forgotten.map((f) => partitionKeyOf(f.topic, f.partition)))) if (session.partitions.has(key) || added.has(key)) grown--;
  if (!cache.fitsGrowth(session, grown)) {
    cache.remove(session);
    return { kind: 'error', errorCode: KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  }
  session.update(requested, forgotten);
  if (session.size === 0) {
    cache.remove(session);
    return { kind: 'sessionless', targets: requestedTargets(req, version, nameById) };
  }
  cache.touch(session, now);
  session.epoch = nextEpoch(session.epoch);
  const targets = [...session.partitions.values()].map((c) => target(c.topic, c.partition, paramsFromCache(c), version, nameById));
  return { kind: 'incremental', session, expectedEpoch: session.epoch, targets };
}

function paramsFromCache(c: CachedPartition): PartitionRequest {
  return { fetchOffset: c.fetchOffset, partitionMaxBytes: c.partitionMaxBytes, currentLeaderEpoch: c.currentLeaderEpoch, lastFetchedEpoch: c.lastFetchedEpoch, logStartOffset: c.logStartOffset };
}

/** A partition's outcome, for deciding what the response carries. */
export interface TargetResult<T> {
  target: FetchTarget;
  state: PartitionResponseState;
  out: T;
}

export interface FetchOutcome<T> {
  errorCode: number;
  sessionId: number;
  results: TargetResult<T>[];
}

/**
 * The response of a fetch whose reads gave `results` (one per target, in target order):
 * creates the session of a full fetch, filters an incremental one.
 */
export function finishFetch<T>(cache: FetchSessionCache, now: number, ctx: FetchContext, results: TargetResult<T>[]): FetchOutcome<T> {
  switch (ctx.kind) {
    case 'error':
      return { errorCode: ctx.errorCode, sessionId: INVALID_SESSION_ID, results: [] };
    case 'sessionless':
      return { errorCode: 0, sessionId: INVALID_SESSION_ID, results };
    case 'full': {
      const cached: CachedPartition[] = results.map((r) => ({
        topic: r.target.topicRef,
        partition: r.target.partition,
        ...r.target.params,
        highWatermark: r.state.highWatermark,
        localLogStartOffset: r.state.logStartOffset,
      }));
      const session = cache.maybeCreate(now, ctx.usesTopicIds, cached);
      return { errorCode: 0, sessionId: session?.id ?? INVALID_SESSION_ID, results };
    }
    case 'incremental': {
      const { session } = ctx;
      // Another request of the session was handled while this one waited: its answer would
      // describe state the client no longer has (Kafka: "possible duplicate request").
      if (session.epoch !== ctx.expectedEpoch) return { errorCode: KafkaErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, results: [] };
      return { errorCode: 0, sessionId: session.id, results: results.filter((r) => session.mustRespond(r.target.key, r.state, true)) };
    }
  }
}
