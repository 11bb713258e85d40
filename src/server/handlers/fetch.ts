/**
 * Fetch (key 1, v4-16): batches served as stored, zero-copy from the mapped segment. v13+
 * name topics by topic id (UNKNOWN_TOPIC_ID for one we do not have); v4-12 by name.
 *
 * Sizes: each partition gets at most `partitionMaxBytes` and the response at most `maxBytes`
 * (capped by fetchResponseBytesMax), except that the first partition with data always gets at
 * least one whole batch even if it is larger (KIP-74), so a consumer can always make progress.
 * Batches start at the one holding `fetchOffset`; the client skips the records before it, as
 * with Kafka.
 *
 * Long poll: with fewer than `minBytes` available the request waits (never longer than
 * `maxWaitMs`, capped by fetchMaxWaitMsMax) until an append to one of its partitions, then
 * reads again. The wait is a timer and a wake-up list: nothing blocks.
 *
 * zstd batches are served to every version, as Kafka serves them to a topic whose
 * compression.type is `producer`: kafka-python 2.0.2, for one, fetches with v4 and reads zstd.
 * (KIP-110's Fetch v10 rule is Kafka's only for topics with compression.type=zstd, which
 * answer older fetches with UNSUPPORTED_COMPRESSION_TYPE; that belongs with that config value.)
 *
 * Fetch sessions (KIP-227, v7+): fetch-context.ts decides which partitions a request reads
 * (its own, or its session's) and which of them the response carries; the sessions live in
 * the broker's FetchSessionCache (fetch-session-cache.ts).
 */
import { isTributaryError } from '../../errors.js';
import { fetchMaxWaitMsMax, fetchResponseBytesMax } from '../../limits.js';
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { ApiKey, KafkaErrorCode, RecordChunks, ZERO_UUID, encodeResponseChunks, kafkaErrorCode } from '../../protocol/index.js';
import type { FetchTarget, TargetResult } from '../fetch-context.js';
import { finishFetch, newFetchContext } from '../fetch-context.js';
import { partitionKey } from '../fetch-waiters.js';
import type { BrokerState } from '../state.js';

type FetchReq = RequestBody<'Fetch'>;
type PartitionOut = {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: null;
  preferredReadReplica: number;
  records: RecordChunks;
};

/** librdkafka rejects a null record set ("invalid MessageSetSize -1"): Kafka always sends an empty one. */
const NO_RECORDS = new RecordChunks([]);

interface ReadPass {
  results: TargetResult<PartitionOut>[];
  bytes: number;
}

function readAll(state: BrokerState, targets: readonly FetchTarget[], req: FetchReq): ReadPass {
  let budget = Math.min(req.maxBytes > 0 ? req.maxBytes : fetchResponseBytesMax, fetchResponseBytesMax);
  let bytes = 0;
  let first = true;
  const results = targets.map((t): TargetResult<PartitionOut> => {
    const p = t.params;
    const out: PartitionOut = {
      partitionIndex: t.partition,
      errorCode: 0,
      highWatermark: -1,
      lastStableOffset: -1,
      logStartOffset: -1,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: NO_RECORDS,
    };
    const result = (): TargetResult<PartitionOut> => ({
      target: t,
      out,
      state: { errorCode: out.errorCode, highWatermark: out.highWatermark, logStartOffset: out.logStartOffset, recordBytes: out.records.length },
    });
    if (t.name === null) {
      out.errorCode = KafkaErrorCode.UNKNOWN_TOPIC_ID;
      return result();
    }
    const topic = t.name;
    try {
      const max = Math.min(Math.max(p.partitionMaxBytes, 0), budget);
      if (max <= 0 && !first) {
        const r = state.engine.listOffsets(topic, t.partition, 'latest');
        out.highWatermark = out.lastStableOffset = r.offset;
        out.logStartOffset = state.engine.listOffsets(topic, t.partition, 'earliest').offset;
        return result();
      }
      const r = state.engine.read(topic, t.partition, p.fetchOffset, first ? Math.max(max, 1) : max);
      out.highWatermark = r.highWatermark;
      out.lastStableOffset = r.highWatermark;
      out.logStartOffset = r.logStartOffset;
      const chunks = new RecordChunks(r.batches);
      // Without `first`, a batch larger than the remaining budget is left for the next fetch.
      if (chunks.length > 0 && (first || chunks.length <= max)) {
        out.records = chunks;
        bytes += chunks.length;
        budget -= chunks.length;
        first = false;
      }
    } catch (err) {
      out.errorCode = isTributaryError(err, 'OFFSET_OUT_OF_RANGE') ? KafkaErrorCode.OFFSET_OUT_OF_RANGE : kafkaErrorCode(err);
      if (out.errorCode === KafkaErrorCode.OFFSET_OUT_OF_RANGE) {
        out.highWatermark = state.engine.listOffsets(topic, t.partition, 'latest').offset;
        out.logStartOffset = state.engine.listOffsets(topic, t.partition, 'earliest').offset;
      }
    }
    return result();
  });
  return { results, bytes };
}

/** Groups consecutive partitions of one topic into one response entry, in order (Kafka does the same). */
function responseTopics(results: readonly TargetResult<PartitionOut>[]): { topic: string; topicId: string; partitions: PartitionOut[] }[] {
  const topics: { topic: string; topicId: string; partitions: PartitionOut[]; ref: string }[] = [];
  for (const r of results) {
    const last = topics[topics.length - 1];
    if (last !== undefined && last.ref === r.target.topicRef) last.partitions.push(r.out);
    else topics.push({ topic: r.target.name ?? '', topicId: r.target.topicId || ZERO_UUID, partitions: [r.out], ref: r.target.topicRef });
  }
  return topics.map(({ topic, topicId, partitions }) => ({ topic, topicId, partitions }));
}

export async function handleFetch(state: BrokerState, req: FetchReq, version: number, correlationId: number): Promise<Buffer[]> {
  const respond = (body: ResponseInput<'Fetch'>): Buffer[] => encodeResponseChunks(ApiKey.Fetch, version, correlationId, body);
  const sessions = state.fetchSessions;
  const ctx = newFetchContext(sessions, Date.now(), version, req, (id) => state.engine.topicNameById(id));
  const targets = ctx.kind === 'error' ? [] : ctx.targets;
  let pass = readAll(state, targets, req);
  const maxWait = Math.min(Math.max(req.maxWaitMs, 0), fetchMaxWaitMsMax);
  const minBytes = Math.max(req.minBytes, 0);
  const hasError = pass.results.some((r) => r.out.errorCode !== 0);
  if (ctx.kind !== 'error' && pass.bytes < Math.max(minBytes, 1) && maxWait > 0 && !hasError) {
    const keys = targets.flatMap((t) => (t.name === null ? [] : [partitionKey(t.name, t.partition)]));
    const deadline = Date.now() + maxWait;
    while (pass.bytes < Math.max(minBytes, 1)) {
      const left = deadline - Date.now();
      if (left <= 0 || state.closing) break;
      if ((await state.waiters.wait(keys, left)) === 'timeout') break;
      pass = readAll(state, targets, req);
    }
  }
  const outcome = finishFetch(sessions, Date.now(), ctx, pass.results);
  return respond({ throttleTimeMs: 0, errorCode: outcome.errorCode, sessionId: outcome.sessionId, responses: responseTopics(outcome.results) });
}
