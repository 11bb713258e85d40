/**
 * ListOffsets (key 2, v0-6): earliest (-2), latest (-1, the high watermark) or the first
 * offset whose timestamp is at or after a given one (-1/-1 when there is none, Kafka's answer).
 * v0 answers in `oldStyleOffsets` (at most `maxNumOffsets` of them; we return one).
 */
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import type { OffsetSpec } from '../../storage/index.js';
import type { BrokerState } from '../state.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

export function handleListOffsets(state: BrokerState, req: RequestBody<'ListOffsets'>, version: number): ResponseInput<'ListOffsets'> {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const base = { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [] as number[], timestamp: -1, offset: -1, leaderEpoch: -1 };
        if (p.timestamp === MAX_TIMESTAMP || p.timestamp < EARLIEST) {
          return { ...base, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION };
        }
        const spec: OffsetSpec = p.timestamp === LATEST ? 'latest' : p.timestamp === EARLIEST ? 'earliest' : p.timestamp;
        try {
          const r = state.engine.listOffsets(t.name, p.partitionIndex, spec);
          if (version === 0) return { ...base, oldStyleOffsets: p.maxNumOffsets > 0 && r.offset >= 0 ? [r.offset] : [] };
          return { ...base, timestamp: r.timestamp, offset: r.offset, leaderEpoch: r.offset >= 0 ? 0 : -1 };
        } catch (err) {
          return { ...base, errorCode: kafkaErrorCode(err) };
        }
      }),
    })),
  };
}
