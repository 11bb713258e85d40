/**
 * InitProducerId (key 22) for idempotent producers: every request gets a fresh producer id
 * from the storage engine's durable allocator (never handed out twice, even across crashes)
 * with epoch 0 — Kafka's answer when there is no transactional id. The partition logs then
 * track (producer id, epoch, sequence) per batch, drop retried duplicates and reject gaps
 * (src/storage/producer-state.ts).
 *
 * Transactions are not supported: a request with a transactional id is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report at once instead of retrying.
 */
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import type { BrokerState } from '../state.js';

export async function handleInitProducerId(state: BrokerState, req: RequestBody<'InitProducerId'>): Promise<ResponseInput<'InitProducerId'>> {
  if (req.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
  }
  try {
    const producerId = await state.engine.allocateProducerId();
    return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 };
  } catch (err) {
    state.log.error({ err: err instanceof Error ? err.message : String(err) }, 'producer id allocation failed');
    return { throttleTimeMs: 0, errorCode: kafkaErrorCode(err), producerId: -1, producerEpoch: -1 };
  }
}
