/**
 * kafkajs's own RecordBatch v2 encoder and decoder (a dev dependency), loaded through
 * createRequire, as an independent implementation to compare our bytes against.
 */
import { createRequire } from 'node:module';
import type { BatchInput } from '../../src/format/batch-builder.js';
import { CompressionCodec } from '../../src/format/record-batch.js';

const require = createRequire(import.meta.url);

interface KLong {
  toString(): string;
}
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): KLong };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(args: Record<string, unknown>): Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: Record<string, unknown>) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<KafkajsBatch>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;

export interface KafkajsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null>;
}
export interface KafkajsBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  records: KafkajsRecord[];
}

/**
 * kafkajs's encoding of `input`. kafkajs cannot express LogAppendTime or control batches
 * and keeps headers in an object, so callers pass CreateTime, non-control batches whose
 * header keys are unique and non-numeric (object key order is then insertion order).
 */
export async function kafkajsEncode(input: BatchInput, now: number): Promise<Buffer> {
  const ts = input.records.map((r) => r.timestamp ?? now);
  const base = ts[0]!;
  const records = input.records.map((r, i) =>
    Record({
      offsetDelta: i,
      timestampDelta: Long.fromValue(ts[i]! - base),
      key: r.key ?? null,
      value: r.value,
      headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
    }),
  );
  const batch = await RecordBatch({
    compression: CompressionCodec[input.compression ?? 'none'],
    firstOffset: Long.fromValue(input.baseOffset ?? 0),
    firstTimestamp: Long.fromValue(base),
    maxTimestamp: Long.fromValue(Math.max(...ts)),
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    lastOffsetDelta: input.records.length - 1,
    transactional: input.transactional ?? false,
    producerId: Long.fromValue(input.producerId ?? -1),
    producerEpoch: input.producerEpoch ?? -1,
    firstSequence: input.baseSequence ?? -1,
    records,
  });
  return batch.buffer;
}

export function kafkajsDecode(bytes: Buffer): Promise<KafkajsBatch> {
  return decodeKafkajsBatch(new Decoder(bytes));
}
