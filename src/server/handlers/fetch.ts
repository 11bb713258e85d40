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
 * Fetch sessions (KIP-227) are not kept: every response has session id 0, which tells the
 * client to keep sending full fetch requests; an incremental request for a session we never
 * created gets FETCH_SESSION_ID_NOT_FOUND.
 */
import { isTributaryError } from '../../errors.js';
import { fetchMaxWaitMsMax, fetchResponseBytesMax } from '../../limits.js';
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { ApiKey, KafkaErrorCode, RecordChunks, encodeResponseChunks, kafkaErrorCode } from '../../protocol/index.js';
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
  topics: { topic: string; topicId: string; partitions: PartitionOut[] }[];
  bytes: number;
}

/** A requested topic by name: v0-12 name it, v13+ give its topic id (unknown ids map to null). */
type Wanted = { name: string | null; topicId: string; partitions: FetchReq['topics'][number]['partitions'] };

function resolveTopics(state: BrokerState, req: FetchReq, version: number): Wanted[] {
  if (version < 13) return req.topics.map((t) => ({ name: t.topic, topicId: t.topicId, partitions: t.partitions }));
  return req.topics.map((t) => ({ name: state.engine.topicNameById(t.topicId) ?? null, topicId: t.topicId, partitions: t.partitions }));
}

function readAll(state: BrokerState, wanted: Wanted[], req: FetchReq): ReadPass {
  let budget = Math.min(req.maxBytes > 0 ? req.maxBytes : fetchResponseBytesMax, fetchResponseBytesMax);
  let bytes = 0;
  let first = true;
  const topics = wanted.map((t) => ({
    topic: t.name ?? '',
    topicId: t.topicId,
    partitions: t.partitions.map((p): PartitionOut => {
      const out: PartitionOut = {
        partitionIndex: p.partition,
        errorCode: 0,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: NO_RECORDS,
      };
      if (t.name === null) {
        out.errorCode = KafkaErrorCode.UNKNOWN_TOPIC_ID;
        return out;
      }
      const topic = t.name;
      try {
        const max = Math.min(Math.max(p.partitionMaxBytes, 0), budget);
        if (max <= 0 && !first) {
          const r = state.engine.listOffsets(topic, p.partition, 'latest');
          out.highWatermark = out.lastStableOffset = r.offset;
          out.logStartOffset = state.engine.listOffsets(topic, p.partition, 'earliest').offset;
          return out;
        }
        const r = state.engine.read(topic, p.partition, p.fetchOffset, first ? Math.max(max, 1) : max);
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
          out.highWatermark = state.engine.listOffsets(topic, p.partition, 'latest').offset;
          out.logStartOffset = state.engine.listOffsets(topic, p.partition, 'earliest').offset;
        }
      }
      return out;
    }),
  }));
  return { topics, bytes };
}

export async function handleFetch(state: BrokerState, req: FetchReq, version: number, correlationId: number): Promise<Buffer[]> {
  const respond = (body: ResponseInput<'Fetch'>): Buffer[] => encodeResponseChunks(ApiKey.Fetch, version, correlationId, body);
  if (version >= 7 && req.sessionId !== 0) {
    return respond({ throttleTimeMs: 0, errorCode: KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
  }
  const wanted = resolveTopics(state, req, version);
  let pass = readAll(state, wanted, req);
  const maxWait = Math.min(Math.max(req.maxWaitMs, 0), fetchMaxWaitMsMax);
  const minBytes = Math.max(req.minBytes, 0);
  const hasError = pass.topics.some((t) => t.partitions.some((p) => p.errorCode !== 0));
  if (pass.bytes < Math.max(minBytes, 1) && maxWait > 0 && !hasError) {
    const keys = wanted.flatMap((t) => (t.name === null ? [] : t.partitions.map((p) => partitionKey(t.name!, p.partition))));
    const deadline = Date.now() + maxWait;
    while (pass.bytes < Math.max(minBytes, 1)) {
      const left = deadline - Date.now();
      if (left <= 0 || state.closing) break;
      if ((await state.waiters.wait(keys, left)) === 'timeout') break;
      pass = readAll(state, wanted, req);
    }
  }
  return respond({
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: pass.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions })),
  });
}
