/**
 * Produce (key 0, v3+): one RecordBatch v2 per partition, appended through the storage API.
 *
 * Every partition is answered on its own: a bad batch (CRC mismatch -> CORRUPT_MESSAGE, too
 * large -> MESSAGE_TOO_LARGE, malformed -> INVALID_RECORD, unknown partition ->
 * UNKNOWN_TOPIC_OR_PARTITION) never blocks the good ones in the same request, and the storage
 * engine validates before it writes, so nothing bad reaches the log.
 *
 * Per-record errors (KIP-467, Produce v8+): when the engine rejects a batch because of some of
 * its records (a keyless record on a compacted topic -> INVALID_RECORD, a timestamp outside
 * the topic's window -> INVALID_TIMESTAMP), the partition answer lists them in
 * `recordErrors` (batchIndex, batchIndexErrorMessage) with the summary in `errorMessage`, so
 * a client fails exactly those records and the rest with its "different record" error
 * (librdkafka's _INVALID_DIFFERENT_RECORD) instead of blaming every record.
 *
 * Ordering: Kafka clients pipeline produce requests on one connection (max.in.flight) and rely
 * on them being appended in order. Appends to one partition are applied by the engine in call
 * order, so every append of a request is *started* before the next request's: requests on a
 * connection pass through `connectionChain`, which only waits for the previous request's
 * appends to be issued (topic auto-creation may await), never for them to complete.
 *
 * The request frame's buffer is given back for reuse (server/frame-pool.ts) once every append
 * has settled, whatever was answered by then.
 *
 * acks: 0 = no response at all; 1 and -1 = answer once each append is as durable as the topic's
 * flush policy promises (one broker: the leader is the whole ISR, so -1 waits for nothing more).
 *
 * zstd (KIP-110) is allowed from Produce v7: a zstd batch in an older request gets
 * UNSUPPORTED_COMPRESSION_TYPE for its partition, as Kafka answers since KAFKA-7549.
 */
import { isTributaryError } from '../../errors.js';
import { CompressionCodec, DeflatedBatch } from '../../format/record-batch.js';
import { produceTimeoutMsMax } from '../../limits.js';
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import type { BrokerState } from '../state.js';
import { ensureTopic, isInternalTopic } from '../state.js';

type PartitionOut = ResponseInput<'Produce'>['responses'] extends (infer T)[] | undefined ? (T extends { partitionResponses?: (infer P)[] } ? P : never) : never;

const chains = new WeakMap<Connection, Promise<void>>();

type RecordErrorOut = PartitionOut['recordErrors'] extends (infer R)[] | undefined ? R : never;

function partitionError(index: number, errorCode: number, errorMessage: string | null, recordErrors: RecordErrorOut[] = []): PartitionOut {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors, errorMessage };
}

/** The record errors a storage rejection carries (`context.recordErrors`, format/batch-rewrite.ts), as the response lists them. */
function recordErrorsOf(err: unknown): RecordErrorOut[] {
  if (!isTributaryError(err)) return [];
  const list = err.context.recordErrors;
  if (!Array.isArray(list)) return [];
  return (list as { batchIndex: number; message: string }[]).map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }));
}

function errorOf(err: unknown): { code: number; message: string } {
  if (isTributaryError(err)) {
    const code = err.code === 'INVALID_TOPIC' ? KafkaErrorCode.INVALID_TOPIC_EXCEPTION : kafkaErrorCode(err);
    return { code, message: err.message };
  }
  return { code: KafkaErrorCode.UNKNOWN_SERVER_ERROR, message: err instanceof Error ? err.message : String(err) };
}

/** The first Produce version that may carry zstd batches (KIP-110). */
export const PRODUCE_ZSTD_VERSION_MIN = 7;

/** Checks the records field holds exactly one batch (Kafka requires it for v3+). */
function singleBatch(records: Buffer | null): Buffer | string {
  if (records === null || records.length === 0) return 'no record batch';
  const b = DeflatedBatch.at(records, 0);
  if (b === null) return 'truncated or malformed record batch';
  if (b.sizeInBytes !== records.length) return 'a produce request must carry exactly one record batch per partition';
  return records;
}

export async function handleProduce(
  state: BrokerState,
  req: RequestBody<'Produce'>,
  version: number,
  connection: Connection,
  releaseFrame: () => void = () => undefined,
): Promise<ResponseInput<'Produce'> | null> {
  const acks = req.acks;
  const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
  const transactional = req.transactionalId !== null;

  // Issue every append of this request in order after the previous request's appends.
  const previous = chains.get(connection) ?? Promise.resolve();
  let release!: () => void;
  const issued = new Promise<void>((r) => (release = r));
  chains.set(connection, previous.then(() => issued));
  await previous;

  const pending: Promise<PartitionOut>[][] = [];
  try {
    for (const topic of req.topicData) {
      const outs: Promise<PartitionOut>[] = [];
      pending.push(outs);
      let topicError: { code: number; message: string } | null = null;
      if (badAcks) topicError = { code: KafkaErrorCode.INVALID_REQUIRED_ACKS, message: `acks must be -1, 0 or 1, got ${acks}` };
      else if (transactional) topicError = { code: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: 'transactions are not supported' };
      else if (isInternalTopic(topic.name)) topicError = { code: KafkaErrorCode.INVALID_TOPIC_EXCEPTION, message: `${topic.name} is an internal topic` };
      else {
        try {
          if (!(await ensureTopic(state, topic.name))) topicError = { code: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown topic ${topic.name}` };
        } catch (err) {
          topicError = errorOf(err);
        }
      }
      for (const p of topic.partitionData) {
        if (topicError) {
          outs.push(Promise.resolve(partitionError(p.index, topicError.code, topicError.message)));
          continue;
        }
        const batch = singleBatch(p.records);
        if (typeof batch === 'string') {
          outs.push(Promise.resolve(partitionError(p.index, KafkaErrorCode.INVALID_RECORD, batch)));
          continue;
        }
        if (version < PRODUCE_ZSTD_VERSION_MIN && new DeflatedBatch(batch).compression === CompressionCodec.zstd) {
          const message = `Produce requests with version ${version} may not use zstd compression (v${PRODUCE_ZSTD_VERSION_MIN}+ may)`;
          outs.push(Promise.resolve(partitionError(p.index, KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message)));
          continue;
        }
        outs.push(
          state.engine.append(topic.name, p.index, batch).then(
            (r): PartitionOut => ({ index: p.index, errorCode: 0, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null }),
            (err: unknown): PartitionOut => {
              const e = errorOf(err);
              if (e.code === KafkaErrorCode.UNKNOWN_SERVER_ERROR || isTributaryError(err, 'STORAGE_IO')) {
                state.log.error({ topic: topic.name, partition: p.index, err: e.message }, 'append failed');
              }
              return partitionError(p.index, e.code, e.message, recordErrorsOf(err));
            },
          ),
        );
      }
    }
  } finally {
    release();
  }

  // The request's bytes are read until every append has settled (written, or rejected before
  // writing), even if the answer goes out earlier on a timeout: only then may the frame be reused.
  void Promise.allSettled(pending.flat()).then(releaseFrame);

  const timeoutMs = Math.min(Math.max(req.timeoutMs, 0), produceTimeoutMsMax);
  const responses = await Promise.all(
    req.topicData.map(async (topic, i) => ({
      name: topic.name,
      partitionResponses: await Promise.all(pending[i]!.map((p, j) => withTimeout(p, timeoutMs, topic.partitionData[j]!.index))),
    })),
  );
  if (acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
}

/** Answers REQUEST_TIMED_OUT if the append is not durable within the request's timeout. */
function withTimeout(p: Promise<PartitionOut>, timeoutMs: number, index: number): Promise<PartitionOut> {
  if (timeoutMs <= 0) return p;
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(partitionError(index, KafkaErrorCode.REQUEST_TIMED_OUT, 'timed out waiting for the append to become durable')), timeoutMs);
    t.unref();
    p.then((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}
