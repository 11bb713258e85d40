/**
 * ListOffsets (key 2, v0-10). A partition's `timestamp` is a time in ms or one of Kafka's
 * sentinels (ListOffsetsRequest.java), each answered as Kafka answers it without tiered storage:
 *
 *   >= 0  the first offset whose record timestamp is at or after it, with that timestamp;
 *         -1/-1 when there is none below the high watermark
 *   -1    LATEST: the high watermark (no timestamp)
 *   -2    EARLIEST: the log start offset (no timestamp)
 *   -3    MAX_TIMESTAMP, v7+ (KIP-734): the record with the largest timestamp, the first of
 *         them on ties; -1/-1 when there is none below the high watermark
 *   -4    EARLIEST_LOCAL_TIMESTAMP, v8+ (KIP-405): the local log start offset, which without
 *         tiered storage is the log start offset
 *   -5    LATEST_TIERED_TIMESTAMP, v9+ (KIP-1005): the highest offset in remote storage; with
 *         none, Kafka answers offset -1, leader epoch -1
 *
 * A sentinel the request's version does not carry (-3 before v7, ...) and any other negative
 * timestamp (-6 is EARLIEST_PENDING_UPLOAD, v11, which we do not speak) get UNSUPPORTED_VERSION
 * for that partition. v10's `timeoutMs` bounds remote-storage lookups (KIP-1075); nothing here
 * waits, so it is not used. v0 answers in `oldStyleOffsets` (at most `maxNumOffsets` of them;
 * we return one). The leader epoch is 0 (every batch is stamped with epoch 0) when an offset
 * is returned, else -1.
 */
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import type { ListOffsetsResult } from '../../storage/index.js';
import type { BrokerState } from '../state.js';

/** Kafka's sentinels (ListOffsetsRequest.java) and the first ListOffsets version that carries each. */
const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;
const SENTINEL_SINCE: ReadonlyMap<number, number> = new Map([
  [LATEST, 0],
  [EARLIEST, 0],
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL, 8],
  [LATEST_TIERED, 9],
]);

const NONE: ListOffsetsResult = { offset: -1, timestamp: -1 };

function lookup(state: BrokerState, topic: string, partition: number, timestamp: number): ListOffsetsResult {
  switch (timestamp) {
    case LATEST:
      return state.engine.listOffsets(topic, partition, 'latest');
    case EARLIEST:
    case EARLIEST_LOCAL:
      return state.engine.listOffsets(topic, partition, 'earliest');
    case MAX_TIMESTAMP:
      return state.engine.maxTimestampOffset(topic, partition);
    case LATEST_TIERED:
      // No tiered storage: nothing is in remote storage. Still an unknown partition is an error.
      state.engine.listOffsets(topic, partition, 'latest');
      return NONE;
    default:
      return state.engine.listOffsets(topic, partition, timestamp);
  }
}

export function handleListOffsets(state: BrokerState, req: RequestBody<'ListOffsets'>, version: number): ResponseInput<'ListOffsets'> {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const base = { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [] as number[], timestamp: -1, offset: -1, leaderEpoch: -1 };
        if (p.timestamp < 0 && !(version >= (SENTINEL_SINCE.get(p.timestamp) ?? Infinity))) {
          return { ...base, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION };
        }
        try {
          const r = lookup(state, t.name, p.partitionIndex, p.timestamp);
          if (version === 0) return { ...base, oldStyleOffsets: p.maxNumOffsets > 0 && r.offset >= 0 ? [r.offset] : [] };
          return { ...base, timestamp: r.timestamp, offset: r.offset, leaderEpoch: r.offset >= 0 ? 0 : -1 };
        } catch (err) {
          return { ...base, errorCode: kafkaErrorCode(err) };
        }
      }),
    })),
  };
}
