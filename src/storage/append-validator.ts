/**
 * What a topic's config asks of a produced batch beyond its header (Kafka's LogValidator), run
 * before PartitionLog appends it: the record pass of format/batch-rewrite.ts with the rules
 * the topic's config sets.
 *
 *   cleanup.policy includes compact        -> every record needs a key (INVALID_RECORD)
 *   message.timestamp.type CreateTime and a
 *   finite message.timestamp.before/after  -> timestamps within the window (INVALID_TIMESTAMP)
 *   compression.type other than producer   -> batches in another codec are recompressed
 *
 * A batch that needs none of these is not touched here (the append path checks its CRC as
 * before). One that does is CRC-checked, decoded, checked and maybe recompressed on the worker
 * pool when it is at least the pool's compress cut-over (workerCompressBytesMin), in-thread
 * below it or without a pool. Rejections carry `context.recordErrors` (KIP-467), which the
 * broker answers as the Produce response's record_errors.
 *
 * The rules are taken from the config and clock at the time of the call; the append applies
 * the result in call order (PartitionLog serialises it).
 */
import { rewriteBatch, needsRecordPass } from '../format/batch-rewrite.js';
import type { RecordRules } from '../format/batch-rewrite.js';
import { DeflatedBatch } from '../format/record-batch.js';
import { flushNeverValue } from '../limits.js';
import type { StoragePool } from './log-loader.js';
import type { LogConfig } from './topic-config.js';

/** The record rules `config` sets for a batch appended at `now` to `partition` ("topic-0"). */
export function recordRules(config: LogConfig, partition: string, now: number): RecordRules {
  const before = config.timestampBeforeMaxMs;
  const after = config.timestampAfterMaxMs;
  const bounded = config.timestampType === 'CreateTime' && (before < flushNeverValue || after < flushNeverValue);
  return {
    requireKeys: config.compact,
    timestampRange: bounded ? { min: before < flushNeverValue ? now - before : -flushNeverValue, max: after < flushNeverValue ? now + after : flushNeverValue } : null,
    targetCodec: config.compressionCodec,
    ...(config.compressionLevel !== undefined ? { level: config.compressionLevel } : {}),
    partition,
  };
}

/**
 * Null when `batch` (structurally validated, CRC not yet checked) of `topic`-`partition` needs
 * no record pass under `config`; else the promise of the batch to append, CRC-checked and
 * within max.message.bytes after any recompression. With a pool, large inputs are transferred
 * (`batch.bytes` detached). `clock` is the broker clock of the timestamp window.
 */
export function validateForAppend(batch: DeflatedBatch, config: LogConfig, topic: string, partition: number, clock: () => number, pool?: StoragePool): Promise<DeflatedBatch> | null {
  // The default config asks nothing: no allocation on the hot path.
  if (!config.compact && config.compressionCodec === null && config.timestampBeforeMaxMs >= flushNeverValue && config.timestampAfterMaxMs >= flushNeverValue) return null;
  const rules = recordRules(config, `${topic}-${partition}`, clock());
  if (!needsRecordPass(batch, rules)) return null;
  return run(batch.bytes, rules, config.maxMessageBytes, pool);
}

async function run(bytes: Buffer, rules: RecordRules, maxBytes: number, pool?: StoragePool): Promise<DeflatedBatch> {
  const r = pool?.rewriteBatch ? await pool.rewriteBatch(bytes, rules) : rewriteBatch(bytes, rules);
  const out = new DeflatedBatch(r.bytes);
  // Recompression changes the size: Kafka checks max.message.bytes again on the stored form.
  if (r.recompressed) out.validate({ producer: true, maxBytes });
  return out;
}
